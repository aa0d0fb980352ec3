import { createCanvas } from '@napi-rs/canvas';
import { CategoryScale, Chart, Filler, LinearScale, LineController, LineElement, PointElement, Title } from 'chart.js';
import type { EquityCurve } from '../oms-types.js';
import { money, signedMoney } from '../blocks/format.js';

Chart.register(LineController, LineElement, PointElement, LinearScale, CategoryScale, Filler, Title);

/** The picture's size in pixels: 2:1, what Slack previews without cropping. */
export const CHART_WIDTH = 960;
export const CHART_HEIGHT = 480;

const UP = '#16a34a';
const DOWN = '#dc2626';
const BASELINE = '#6b7280';

const PERIOD_WORDS: Record<EquityCurve['period'], string> = { day: 'today', week: 'this week', month: 'this month', all: 'since the start' };

/** "2026-12-07T14:05:00.000Z" -> "14:05" within a day, "Dec 7" over longer periods (UTC). */
function timeLabel(ms: number, period: EquityCurve['period']): string {
  const at = new Date(ms);
  if (period === 'day') return `${String(at.getUTCHours()).padStart(2, '0')}:${String(at.getUTCMinutes()).padStart(2, '0')}`;
  return at.toLocaleDateString('en-US', { month: 'short', day: 'numeric', timeZone: 'UTC' });
}

/** "Tech Portfolio this week: $1,001,234.00, +$1,234.00 (+0.12%)", the picture's title and its alt text. */
export function describeCurve(curve: EquityCurve): string {
  const pct = curve.return_pct === null ? '' : ` (${curve.return_pct.startsWith('-') ? '' : '+'}${curve.return_pct}%)`;
  return `${curve.portfolio_name} ${PERIOD_WORDS[curve.period]}: ${money(curve.equity)}, ${signedMoney(curve.pnl)}${pct}`;
}

/**
 * The equity curve as a PNG, drawn with Chart.js on a Skia canvas (@napi-rs/canvas, prebuilt, no
 * native build): the equity over time, filled green when up over the period and red when down,
 * with the period's starting equity as a dashed line. Plotting takes the amounts as doubles: they
 * place pixels only; every amount shown as text comes from the OMS's decimal strings.
 */
export function renderEquityChart(curve: EquityCurve): Buffer {
  const canvas = createCanvas(CHART_WIDTH, CHART_HEIGHT);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, CHART_WIDTH, CHART_HEIGHT);
  const points = curve.data.map((p) => ({ x: Date.parse(p.at), y: Number(p.equity) }));
  const first = points[0]?.x ?? Date.parse(curve.as_of);
  const last = points.at(-1)?.x ?? first;
  const start = Number(curve.start_equity);
  const color = curve.pnl.startsWith('-') ? DOWN : UP;
  const chart = new Chart(ctx as unknown as CanvasRenderingContext2D, {
    type: 'line',
    data: {
      datasets: [
        { data: points, borderColor: color, backgroundColor: `${color}22`, borderWidth: 2, pointRadius: points.length > 60 ? 0 : 2, fill: { value: start }, tension: 0 },
        { data: [{ x: first, y: start }, { x: last, y: start }], borderColor: BASELINE, borderDash: [6, 4], borderWidth: 1, pointRadius: 0, fill: false },
      ],
    },
    options: {
      responsive: false,
      animation: false,
      devicePixelRatio: 1,
      parsing: false,
      plugins: { title: { display: true, text: describeCurve(curve), font: { size: 18 } }, legend: { display: false } },
      scales: {
        x: { type: 'linear', min: first, max: last === first ? first + 1 : last, ticks: { maxTicksLimit: 8, callback: (v) => timeLabel(Number(v), curve.period) } },
        y: { ticks: { callback: (v) => money(String(Math.round(Number(v)))) } },
      },
    },
  });
  try {
    return canvas.toBuffer('image/png');
  } finally {
    chart.destroy();
  }
}
