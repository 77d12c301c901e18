// Charts drawn with Chart.js (its UMD build, loaded before the page's module as the global
// `Chart`). Every chart is a canvas with role="img" and a label stating its figures, and sits
// beside a table of the same figures: the table is the accessible (and exact) version.
import { formatCount, formatTenge, h } from './common.js';

export const COLOURS = ['#0b4f8a', '#1f7a72', '#c8861e', '#a3262a', '#6a4c93', '#5b6b7f', '#2f8fcb', '#7aa33a'];
const FONT = { family: "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', Arial, sans-serif", size: 12 };

/** Axis and tooltip text for counts or money (money values are integer tiyn). */
const formatterOf = (kind) => (kind === 'money' ? (v) => formatTenge(Math.round(v)) : (v) => formatCount(v));

/** A canvas in its box, labelled for screen readers with `summary`. */
export function chartCanvas(id, summary, size = '') {
  const canvas = h('canvas', { id, role: 'img', 'aria-label': summary });
  return { box: h('div', { class: `chart-box ${size}`.trim() }, canvas), canvas };
}

/**
 * A bar chart. `datasets`: [{ label, data, colour?, colours? }]; `kind`: 'count' | 'money';
 * `horizontal` for funnels and categories. Animation is off: the figures are there at once (and
 * the same in every screenshot).
 */
export function barChart(canvas, { labels, datasets, kind = 'count', horizontal = false, stacked = false, legend }) {
  const format = formatterOf(kind);
  // Whole units only (no "0,5 событий"), and an axis up to 1 when every value is 0.
  const valueAxis = {
    beginAtZero: true,
    suggestedMax: 1,
    stacked,
    ticks: { precision: 0, callback: (v) => format(v), font: FONT },
    grid: { color: '#e4e9ef' },
  };
  const labelAxis = { stacked, ticks: { font: FONT, autoSkip: false }, grid: { display: false } };
  Chart.getChart(canvas)?.destroy();
  return new Chart(canvas, {
    type: 'bar',
    data: {
      labels,
      datasets: datasets.map((d, i) => ({
        label: d.label,
        data: d.data,
        backgroundColor: d.colours ?? d.colour ?? COLOURS[i % COLOURS.length],
        borderWidth: 0,
        maxBarThickness: 48,
      })),
    },
    options: {
      indexAxis: horizontal ? 'y' : 'x',
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      plugins: {
        legend: { display: legend ?? datasets.length > 1, labels: { font: FONT } },
        tooltip: { callbacks: { label: (ctx) => `${ctx.dataset.label}: ${format(ctx.raw)}` } },
      },
      scales: horizontal ? { x: valueAxis, y: labelAxis } : { x: labelAxis, y: valueAxis },
    },
  });
}

/** A line chart over days (e.g. pupils fed per school day). */
export function lineChart(canvas, { labels, datasets, kind = 'count' }) {
  const format = formatterOf(kind);
  Chart.getChart(canvas)?.destroy();
  return new Chart(canvas, {
    type: 'line',
    data: {
      labels,
      datasets: datasets.map((d, i) => ({
        label: d.label,
        data: d.data,
        borderColor: d.colour ?? COLOURS[i % COLOURS.length],
        backgroundColor: d.colour ?? COLOURS[i % COLOURS.length],
        tension: 0.2,
        pointRadius: 3,
      })),
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      plugins: {
        legend: { display: datasets.length > 1, labels: { font: FONT } },
        tooltip: { callbacks: { label: (ctx) => `${ctx.dataset.label}: ${format(ctx.raw)}` } },
      },
      scales: {
        x: { ticks: { font: FONT }, grid: { display: false } },
        y: { beginAtZero: true, ticks: { precision: 0, callback: (v) => format(v), font: FONT }, grid: { color: '#e4e9ef' } },
      },
    },
  });
}
