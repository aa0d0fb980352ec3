// PriceChart: reference price (step line) and traded price (line + dots) on a <canvas>, time on x.
// Keeps the last `maxPoints` points per series; redraws on demand (coalesced per animation frame),
// on resize and once a second so flat lines run up to "now".

const COLORS = {
  grid: '#1b222c',
  axis: '#5d6877',
  ref: '#4c8dff',
  last: '#f0b90b',
  tagText: '#0b0e13',
  empty: '#4a5462',
};

const MIN_SPAN_MS = 60_000;

export class PriceChart {
  /**
   * @param {HTMLCanvasElement} canvas
   * @param {{maxPoints?: number, now?: () => number}} [options]
   */
  constructor(canvas, options = {}) {
    this.canvas = canvas;
    this.maxPoints = options.maxPoints ?? 300;
    this.now = options.now || (() => Date.now());
    /** @type {{ref: {t:number,p:number}[], last: {t:number,p:number}[]}} */
    this.series = { ref: [], last: [] };
    this.frame = 0;
    this.cssWidth = 0;
    this.cssHeight = 0;
    if (typeof ResizeObserver !== 'undefined' && canvas.parentElement) {
      new ResizeObserver(() => this.requestDraw()).observe(canvas.parentElement);
    }
    setInterval(() => this.requestDraw(), 1000);
    this.requestDraw();
  }

  clear() {
    this.series = { ref: [], last: [] };
    this.requestDraw();
  }

  /**
   * Add a point; consecutive equal reference prices are collapsed (it is a step series). `p` places
   * it; `text`, the exact decimal the feed sent, labels it (a float would round it).
   */
  add(name, t, p, text) {
    if (!Number.isFinite(p) || !Number.isFinite(t)) return;
    const s = this.series[name];
    if (!s) return;
    const prev = s[s.length - 1];
    if (name === 'ref' && prev && prev.p === p) return;
    // Keep the series time-ordered even if a timestamp comes in slightly out of order.
    if (prev && t < prev.t) t = prev.t;
    s.push({ t, p, text });
    if (s.length > this.maxPoints) s.splice(0, s.length - this.maxPoints);
    this.requestDraw();
  }

  /** Replace a series (points oldest first). */
  set(name, points) {
    const clean = points.filter((pt) => Number.isFinite(pt.p) && Number.isFinite(pt.t)).sort((a, b) => a.t - b.t);
    this.series[name] = clean.slice(-this.maxPoints);
    this.requestDraw();
  }

  pointCount() {
    return this.series.ref.length + this.series.last.length;
  }

  requestDraw() {
    if (this.frame) return;
    const raf = typeof requestAnimationFrame === 'function' ? requestAnimationFrame : (fn) => setTimeout(fn, 16);
    this.frame = raf(() => {
      this.frame = 0;
      this.draw();
    });
  }

  resize() {
    const parent = this.canvas.parentElement;
    const w = Math.max(100, Math.floor(parent ? parent.clientWidth : this.canvas.clientWidth));
    const h = Math.max(80, Math.floor(parent ? parent.clientHeight : this.canvas.clientHeight));
    const dpr = window.devicePixelRatio || 1;
    if (w !== this.cssWidth || h !== this.cssHeight || this.canvas.width !== Math.round(w * dpr)) {
      this.cssWidth = w;
      this.cssHeight = h;
      this.canvas.width = Math.round(w * dpr);
      this.canvas.height = Math.round(h * dpr);
      this.canvas.style.width = `${w}px`;
      this.canvas.style.height = `${h}px`;
    }
    return dpr;
  }

  draw() {
    const dpr = this.resize();
    const ctx = this.canvas.getContext('2d');
    if (!ctx) return;
    const W = this.cssWidth;
    const H = this.cssHeight;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, W, H);
    ctx.font = '11px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace';
    ctx.textBaseline = 'middle';

    const { ref, last } = this.series;
    this.canvas.dataset.points = String(this.pointCount());
    const lastPoint = last[last.length - 1];
    const refPoint = ref[ref.length - 1];
    this.canvas.dataset.lastPrice = lastPoint ? (lastPoint.text ?? String(lastPoint.p)) : '';
    this.canvas.dataset.referencePrice = refPoint ? (refPoint.text ?? String(refPoint.p)) : '';

    // The price axis is as wide as its widest exact label: a large or 4-decimal price is not cut.
    const labels = [refPoint?.text, lastPoint?.text].filter((text) => typeof text === 'string');
    const labelWidth = Math.max(0, ...labels.map((text) => ctx.measureText(text).width));
    const pad = { l: 8, r: Math.max(64, Math.ceil(labelWidth) + 12), t: 10, b: 20 };
    const plotW = Math.max(10, W - pad.l - pad.r);
    const plotH = Math.max(10, H - pad.t - pad.b);

    if (ref.length + last.length === 0) {
      ctx.fillStyle = COLORS.empty;
      ctx.textAlign = 'center';
      ctx.fillText('waiting for prices…', pad.l + plotW / 2, pad.t + plotH / 2);
      return;
    }

    const now = this.now();
    let tMin = Infinity;
    let tMax = now;
    let pMin = Infinity;
    let pMax = -Infinity;
    for (const s of [ref, last]) {
      for (const pt of s) {
        if (pt.t < tMin) tMin = pt.t;
        if (pt.t > tMax) tMax = pt.t;
        if (pt.p < pMin) pMin = pt.p;
        if (pt.p > pMax) pMax = pt.p;
      }
    }
    if (tMax - tMin < MIN_SPAN_MS) tMin = tMax - MIN_SPAN_MS;
    const range = pMax - pMin;
    const padP = range > 0 ? range * 0.12 : Math.max(Math.abs(pMax) * 0.002, 0.05);
    pMin -= padP;
    pMax += padP;

    const x = (t) => pad.l + ((t - tMin) / (tMax - tMin)) * plotW;
    const y = (p) => pad.t + (1 - (p - pMin) / (pMax - pMin)) * plotH;

    // Grid and price axis.
    const step = niceStep((pMax - pMin) / 5);
    const decimals = step >= 1 ? 2 : Math.min(4, Math.max(2, Math.ceil(-Math.log10(step))));
    ctx.strokeStyle = COLORS.grid;
    ctx.lineWidth = 1;
    ctx.fillStyle = COLORS.axis;
    ctx.textAlign = 'left';
    for (let p = Math.ceil(pMin / step) * step; p <= pMax; p += step) {
      const yy = Math.round(y(p)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(pad.l, yy);
      ctx.lineTo(pad.l + plotW, yy);
      ctx.stroke();
      ctx.fillText(p.toFixed(decimals), pad.l + plotW + 6, yy);
    }
    // Time axis.
    ctx.textAlign = 'center';
    ctx.textBaseline = 'alphabetic';
    // As many time labels as fit without touching (an HH:MM:SS label is about 60 px wide).
    const gaps = Math.max(1, Math.min(4, Math.floor(plotW / 80)));
    for (let i = 0; i <= gaps; i += 1) {
      const t = tMin + ((tMax - tMin) * i) / gaps;
      const xx = Math.round(x(t)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(xx, pad.t);
      ctx.lineTo(xx, pad.t + plotH);
      ctx.stroke();
      const label = timeLabel(t);
      const align = i === 0 ? 'left' : i === gaps ? 'right' : 'center';
      ctx.textAlign = align;
      ctx.fillText(label, xx, H - 6);
    }
    ctx.textBaseline = 'middle';

    // Reference price: step line extended to now.
    if (ref.length) {
      ctx.strokeStyle = COLORS.ref;
      ctx.lineWidth = 1.25;
      ctx.setLineDash([]);
      ctx.beginPath();
      ctx.moveTo(x(ref[0].t), y(ref[0].p));
      for (let i = 1; i < ref.length; i += 1) {
        ctx.lineTo(x(ref[i].t), y(ref[i - 1].p));
        ctx.lineTo(x(ref[i].t), y(ref[i].p));
      }
      ctx.lineTo(x(tMax), y(ref[ref.length - 1].p));
      ctx.stroke();
    }

    // Trades: line through prints, dots on prints, dashed tail to now.
    if (last.length) {
      ctx.strokeStyle = COLORS.last;
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      ctx.moveTo(x(last[0].t), y(last[0].p));
      for (let i = 1; i < last.length; i += 1) ctx.lineTo(x(last[i].t), y(last[i].p));
      ctx.stroke();
      ctx.setLineDash([3, 3]);
      ctx.beginPath();
      ctx.moveTo(x(last[last.length - 1].t), y(last[last.length - 1].p));
      ctx.lineTo(x(tMax), y(last[last.length - 1].p));
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = COLORS.last;
      for (const pt of last) {
        ctx.beginPath();
        ctx.arc(x(pt.t), y(pt.p), 2, 0, Math.PI * 2);
        ctx.fill();
      }
    }

    // Value tags on the price axis.
    const tags = [];
    if (refPoint) tags.push({ p: refPoint.p, text: refPoint.text, color: COLORS.ref });
    if (lastPoint) tags.push({ p: lastPoint.p, text: lastPoint.text, color: COLORS.last });
    tags.sort((a, b) => b.p - a.p);
    let prevY = -Infinity;
    for (const tag of tags) {
      let yy = y(tag.p);
      if (yy - prevY < 15) yy = prevY + 15;
      prevY = yy;
      ctx.fillStyle = tag.color;
      ctx.fillRect(pad.l + plotW + 2, yy - 7, pad.r - 4, 14);
      ctx.fillStyle = COLORS.tagText;
      ctx.textAlign = 'left';
      ctx.fillText(tag.text ?? tag.p.toFixed(decimals), pad.l + plotW + 6, yy);
    }
  }
}

function niceStep(raw) {
  if (!(raw > 0)) return 1;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  const nice = norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 2.5 ? 2.5 : norm <= 5 ? 5 : 10;
  return nice * mag;
}

function timeLabel(t) {
  const d = new Date(t);
  const p = (n) => (n < 10 ? `0${n}` : String(n));
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}
