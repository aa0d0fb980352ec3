// CandleChart: one-minute candles with a volume histogram under them, and the desk's own trades
// marked on them, drawn by lightweight-charts (served from its package at /vendor/lightweight-charts/).
// The container's data attributes say what is drawn (bar count, last close as the feed sent it, the
// trades marked), for people and tests alike.

import { createChart, createSeriesMarkers, CandlestickSeries, HistogramSeries, ColorType } from '/vendor/lightweight-charts/lightweight-charts.standalone.production.mjs';
import { markerBarTime, mergeBars, priceDecimals, toChartBar, tradeMarker } from './bars.js';

const UP = '#26a69a';
const DOWN = '#ef5350';

export class CandleChart {
  /** @param {HTMLElement} container */
  constructor(container, { maxBars = 500 } = {}) {
    this.container = container;
    this.maxBars = maxBars;
    this.bars = [];
    this.decimals = 2;
    this.chart = createChart(container, {
      autoSize: true,
      layout: { background: { type: ColorType.Solid, color: 'transparent' }, textColor: '#8a94a3', fontSize: 11 },
      grid: { vertLines: { color: '#1b222c' }, horzLines: { color: '#1b222c' } },
      // Room right of the last bar, where the latest trades' marks and their labels go.
      timeScale: { timeVisible: true, secondsVisible: false, borderColor: '#2a3340', rightOffset: 12 },
      rightPriceScale: { borderColor: '#2a3340', scaleMargins: { top: 0.08, bottom: 0.28 } },
    });
    this.candles = this.chart.addSeries(CandlestickSeries, {
      upColor: UP,
      downColor: DOWN,
      wickUpColor: UP,
      wickDownColor: DOWN,
      borderVisible: false,
    });
    // Volume on its own overlay scale, in the bottom fifth.
    this.volume = this.chart.addSeries(HistogramSeries, { priceFormat: { type: 'volume' }, priceScaleId: '', lastValueVisible: false, priceLineVisible: false });
    this.volume.priceScale().applyOptions({ scaleMargins: { top: 0.8, bottom: 0 } });
    // The desk's trades: each keeps the bar it was first marked on (by trade id), so a replay's
    // trades do not all move onto each newer bar.
    this.markers = createSeriesMarkers(this.candles, []);
    this.marked = new Map();
    this.maxMarkers = 200;
    this.describe();
  }

  /** Marks the desk's trades (newest or oldest first, any order) on the bars drawn now. */
  markTrades(trades) {
    for (const t of trades) {
      const id = String(t?.trade_id ?? '');
      if (!id || this.marked.has(id)) continue;
      const time = markerBarTime(t, this.bars);
      if (time === null) continue;
      this.marked.set(id, tradeMarker(t, time));
    }
    // The newest kept: ids are numbered in commit order within a desk.
    const kept = [...this.marked.entries()].sort((a, b) => Number(a[0]) - Number(b[0])).slice(-this.maxMarkers);
    this.marked = new Map(kept);
    this.drawMarkers();
  }

  drawMarkers() {
    const list = [...this.marked.values()].sort((a, b) => a.time - b.time);
    this.markers.setMarkers(list);
    const last = [...this.marked.values()].pop();
    this.container.dataset.markers = String(list.length);
    this.container.dataset.lastMarker = last ? `${last.text} on ${new Date(last.time * 1000).toISOString()}` : '';
  }

  /** Replace every bar (a snapshot). */
  set(bars) {
    this.bars = mergeBars([], bars, this.maxBars);
    this.redraw();
    // A new symbol's bars fill the width; later updates keep whatever the user scrolled to.
    if (this.bars.length) this.chart.timeScale().fitContent();
  }

  /** Changed bars (an update): the minute being built, and the one just finished. */
  update(bars) {
    const lastTime = this.bars.length ? Date.parse(this.bars[this.bars.length - 1].time) : -Infinity;
    this.bars = mergeBars(this.bars, bars, this.maxBars);
    const decimals = priceDecimals(this.bars);
    // The library updates the last bar or appends; anything older means drawing everything again.
    if (decimals !== this.decimals || bars.some((b) => Date.parse(b.time) < lastTime)) return this.redraw();
    for (const b of mergeBars([], bars)) {
      const bar = toChartBar(b);
      if (!bar) continue;
      this.candles.update(bar);
      this.volume.update(volumeOf(bar));
    }
    this.describe();
  }

  clear() {
    this.bars = [];
    this.marked.clear();
    this.drawMarkers();
    this.redraw();
  }

  redraw() {
    this.decimals = priceDecimals(this.bars);
    this.candles.applyOptions({ priceFormat: { type: 'price', precision: this.decimals, minMove: 10 ** -this.decimals } });
    const drawn = this.bars.map(toChartBar).filter(Boolean);
    this.candles.setData(drawn);
    this.volume.setData(drawn.map(volumeOf));
    this.describe();
  }

  describe() {
    const last = this.bars[this.bars.length - 1];
    this.container.dataset.bars = String(this.bars.length);
    this.container.dataset.lastClose = last ? String(last.close) : '';
    this.container.dataset.lastVolume = last ? String(last.volume) : '';
  }
}

function volumeOf(bar) {
  return { time: bar.time, value: bar.volume, color: bar.close >= bar.open ? 'rgba(38,166,154,0.45)' : 'rgba(239,83,80,0.45)' };
}
