// Pilot outcomes for the ministry: every figure is /v1/ministry/outcomes with the filters shown
// (rows of several cities are added up); a click on a figure tells how it is made.
import { api, figure, formatCount, formatMonth, formatShare, formatTenge, h, queryState, runPage, saveQueryState, select, table } from './common.js';
import { barChart, chartCanvas, COLOURS } from './charts.js';
import { FOOD_CATEGORIES, PILOT_CITIES, REGIONS } from './labels.js';

const NUMERIC = [
  'eligible',
  'noPhone',
  'notRequired',
  'smsSent',
  'reminded',
  'consented',
  'refused',
  'timedOut',
  'undeliverable',
  'issued',
  'issuedTiyn',
  'activated',
  'activatedTiyn',
  'used',
  'usedTiyn',
  'heldTiyn',
  'lapsed',
  'lapsedTiyn',
  'mealsServed',
];
const PROGRAMS = [
  { value: 'food-vouchers', label: 'Продуктовые ваучеры (АСП)' },
  { value: 'school-meals', label: 'Школьное питание' },
];
const UNITS = { g: 'г', ml: 'мл', pcs: 'шт' };

/** The rows' figures added up (several cities, or one), plus what remains on the vouchers. */
export function totalsOf(rows) {
  const totals = Object.fromEntries(NUMERIC.map((k) => [k, 0]));
  for (const row of rows) for (const k of NUMERIC) totals[k] += row[k] ?? 0;
  totals.availableTiyn = totals.issuedTiyn - totals.usedTiyn - totals.heldTiyn - totals.lapsedTiyn;
  return totals;
}

const areaName = (program, area) => (program === 'food-vouchers' ? (PILOT_CITIES[area]?.ru ?? area) : (REGIONS[area]?.ru ?? area));
const outcomesPath = (state, month) =>
  `/v1/ministry/outcomes?${new URLSearchParams({ program: state.program, ...(month ? { month } : {}), ...(state.city ? { city: state.city } : {}) })}`;

/**
 * Where an auditor recounts the funnel row behind the figures from the events it counts (GET
 * /v1/audit/figures/outcomes-funnel, role auditor): one row is one program, city and month, so only
 * when a city is chosen.
 */
function traceOf(state) {
  if (!state.city || !state.month) return undefined;
  const key = [state.program, state.city, state.month].map(encodeURIComponent).join('/');
  return `/v1/audit/figures/outcomes-funnel?${new URLSearchParams({ key })}`;
}

async function render(content) {
  const state = queryState({ program: 'food-vouchers', city: '', month: '', compare: '' });
  if (!PROGRAMS.some((p) => p.value === state.program)) state.program = 'food-vouchers';
  const everything = await api(`/v1/ministry/outcomes?program=${state.program}`);
  const months = [...new Set(everything.funnel.map((r) => r.month))].sort();
  const areas = [...new Set(everything.funnel.map((r) => r.area))].sort();
  if (!months.includes(state.month)) state.month = months.at(-1) ?? '';
  if (!areas.includes(state.city)) state.city = '';
  if (!months.includes(state.compare) || state.compare === state.month) state.compare = '';
  saveQueryState(state);
  const current = state.month ? await api(outcomesPath(state, state.month)) : { funnel: [], foodVolumes: [], schoolMeals: [] };
  const compared = state.compare ? await api(outcomesPath(state, state.compare)) : undefined;

  const redraw = (changes) => {
    Object.assign(state, changes);
    saveQueryState(state);
    const focused = document.activeElement?.id;
    content.replaceChildren(h('p', { class: 'loading', role: 'status' }, 'Загрузка…'));
    render(content).then(
      () => focused && document.getElementById(focused)?.focus(),
      (error) => content.replaceChildren(h('p', { class: 'error-text', role: 'alert' }, `Не удалось загрузить данные: ${error.message}`)),
    );
  };
  const food = state.program === 'food-vouchers';
  const totals = totalsOf(current.funnel);
  const source = outcomesPath(state, state.month);
  const trace = traceOf(state);
  const where = `${state.city ? areaName(state.program, state.city) : food ? 'все пилотные города' : 'все регионы'}, ${state.month ? formatMonth(state.month) : 'нет данных'}`;

  content.replaceChildren(
    filters(state, months, areas, redraw),
    h('p', { class: 'muted', id: 'scope', role: 'status' }, `Показано: ${where}. Источник: `, h('code', {}, source)),
    peopleSection(totals, food, source, trace),
    moneySection(totals, food, source, trace),
    food ? goodsSection(current.foodVolumes, source) : mealsSection(current.schoolMeals, source),
    compared ? comparisonSection(state, totals, totalsOf(compared.funnel), food) : undefined,
    byAreaSection(
      state,
      everything.funnel.filter((r) => !state.city || r.area === state.city),
      food,
    ),
  );
  drawCharts(state, totals, current, food, compared);
}

function filters(state, months, areas, redraw) {
  const monthOptions = months.map((m) => ({ value: m, label: formatMonth(m) }));
  return h(
    'form',
    { class: 'card filters', role: 'search', 'aria-label': 'Фильтры', onsubmit: (e) => e.preventDefault() },
    select('program', 'Программа', PROGRAMS, state.program, (program) => redraw({ program, city: '', month: '', compare: '' })),
    select(
      'city',
      state.program === 'food-vouchers' ? 'Город' : 'Регион',
      [{ value: '', label: 'Все' }, ...areas.map((a) => ({ value: a, label: areaName(state.program, a) }))],
      state.city,
      (city) => redraw({ city }),
    ),
    select('month', 'Месяц', monthOptions.length ? monthOptions : [{ value: '', label: 'нет данных' }], state.month, (month) => redraw({ month })),
    select(
      'compare',
      'Сравнить с месяцем',
      [{ value: '', label: '— не сравнивать —' }, ...monthOptions.filter((o) => o.value !== state.month)],
      state.compare,
      (compare) => redraw({ compare }),
    ),
  );
}

function peopleSection(t, food, source, trace) {
  const who = food ? 'семей' : 'учеников';
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'people-title' },
    h('h2', { id: 'people-title' }, 'Воронка пилота'),
    h(
      'div',
      { class: 'figures', id: 'people-figures' },
      figure({ key: 'eligible', value: t.eligible, note: who, source, trace }),
      figure({ key: 'smsSent', value: t.smsSent, note: formatShare(t.smsSent, t.eligible), source, trace }),
      food ? undefined : figure({ key: 'notRequired', value: t.notRequired, note: formatShare(t.notRequired, t.eligible), source, trace }),
      figure({ key: 'consented', value: t.consented, note: formatShare(t.consented, t.eligible), source, trace }),
      figure({ key: 'refused', value: t.refused, note: formatShare(t.refused, t.eligible), source, trace }),
      figure({ key: 'timedOut', value: t.timedOut, note: formatShare(t.timedOut, t.eligible), source, trace }),
      figure({ key: 'undeliverable', value: t.undeliverable, note: formatShare(t.undeliverable, t.eligible), source, trace }),
      figure({ key: 'noPhone', value: t.noPhone, note: formatShare(t.noPhone, t.eligible), source, trace }),
    ),
    h(
      'div',
      { class: 'figures spaced', id: 'voucher-figures' },
      figure({ key: 'issued', value: t.issued, tone: 'vouchers', note: food ? 'по одному на члена семьи' : 'по одному на ученика', source, trace }),
      figure({ key: 'activated', value: t.activated, tone: 'vouchers', note: formatShare(t.activated, t.issued), source, trace }),
      figure({ key: 'used', value: t.used, tone: 'vouchers', note: formatShare(t.used, t.issued), source, trace }),
      food
        ? figure({ key: 'lapsed', value: t.lapsed, tone: 'vouchers', note: formatShare(t.lapsed, t.issued), source, trace })
        : figure({ key: 'mealsServed', value: t.mealsServed, tone: 'vouchers', source, trace }),
    ),
    h('h3', {}, `Воронка: ${who} → ваучеры`),
    chartCanvas('funnel-chart', funnelSummary(t, food), 'tall').box,
    table(
      'Воронка в цифрах',
      [{ label: 'Шаг' }, { label: 'Количество', num: true }, { label: 'Доля от предыдущего шага', num: true }],
      funnelSteps(t, food).map((s, i, all) => [
        s.label,
        formatCount(s.value),
        i === 0 || all[i - 1].unit !== s.unit ? '—' : formatShare(s.value, all[i - 1].value),
      ]),
      { id: 'funnel-table' },
    ),
  );
}

/** The funnel: people first (cases), then vouchers; each bar says which it counts. */
export function funnelSteps(t, food) {
  const people = food ? 'семей' : 'учеников';
  return [
    { key: 'eligible', label: `В списках (${people})`, value: t.eligible, unit: 'people' },
    ...(food ? [] : [{ key: 'notRequired', label: 'Без согласия — начальные классы (учеников)', value: t.notRequired, unit: 'people' }]),
    { key: 'consented', label: `Согласились (${people})`, value: t.consented, unit: 'people' },
    { key: 'issued', label: 'Выдано ваучеров', value: t.issued, unit: 'vouchers' },
    { key: 'activated', label: 'Активировано ваучеров', value: t.activated, unit: 'vouchers' },
    { key: 'used', label: 'Использовано ваучеров', value: t.used, unit: 'vouchers' },
    ...(food ? [{ key: 'lapsed', label: 'Сгорело ваучеров', value: t.lapsed, unit: 'vouchers' }] : []),
  ];
}
const funnelSummary = (t, food) =>
  `Воронка: ${funnelSteps(t, food)
    .map((s) => `${s.label} — ${formatCount(s.value)}`)
    .join('; ')}.`;

function moneySection(t, food, source, trace) {
  if (!food) return undefined;
  const money = [
    ['issuedTiyn', t.issuedTiyn],
    ['usedTiyn', t.usedTiyn],
    ['heldTiyn', t.heldTiyn],
    ['lapsedTiyn', t.lapsedTiyn],
    ['availableTiyn', t.availableTiyn],
  ];
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'money-title' },
    h('h2', { id: 'money-title' }, 'Деньги'),
    h(
      'div',
      { class: 'figures money', id: 'money-figures' },
      money.map(([key, value]) =>
        figure({ key, value, format: 'money', note: key === 'issuedTiyn' ? undefined : formatShare(value, t.issuedTiyn), source, trace }),
      ),
    ),
    h('p', { class: 'small muted' }, 'Выдано = потрачено + удержано + сгорело + доступно (до тиына).'),
    chartCanvas('money-chart', `Деньги: ${money.map(([k, v]) => `${k} ${formatTenge(v)}`).join('; ')}.`, 'short').box,
  );
}

function goodsSection(volumes, source) {
  const rows = categoriesOf(volumes);
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'goods-title' },
    h('h2', { id: 'goods-title' }, 'Товары по категориям'),
    h(
      'div',
      { class: 'figures money' },
      figure({ key: 'goodsAmountTiyn', value: rows.reduce((s, r) => s + r.amountTiyn, 0), format: 'money', note: `${rows.length} категорий`, source }),
    ),
    chartCanvas('goods-chart', `Оплачено ваучерами по категориям: ${rows.map((r) => `${r.name} ${formatTenge(r.amountTiyn)}`).join('; ')}.`, 'tall').box,
    table(
      'Товары по категориям (оплачено ваучерами)',
      [{ label: 'Категория' }, { label: 'Количество', num: true }, { label: 'Сумма', num: true }],
      rows.map((r) => [r.name, `${formatCount(r.quantity)} ${UNITS[r.unit] ?? r.unit}`, formatTenge(r.amountTiyn)]),
      { id: 'goods-table' },
    ),
  );
}

/** Volumes of several cities added up per category and unit, largest amount first. */
export function categoriesOf(volumes) {
  const byKey = new Map();
  for (const v of volumes) {
    const key = `${v.category}|${v.unit}`;
    const row = byKey.get(key) ?? { category: v.category, unit: v.unit, name: FOOD_CATEGORIES[v.category]?.ru ?? v.category, quantity: 0, amountTiyn: 0 };
    row.quantity += v.quantity;
    row.amountTiyn += v.amountTiyn;
    byKey.set(key, row);
  }
  return [...byKey.values()].sort((a, b) => b.amountTiyn - a.amountTiyn || a.name.localeCompare(b.name));
}

function mealsSection(rows, source) {
  const pupils = rows.reduce((s, r) => s + r.pupilsFed, 0);
  const meals = rows.reduce((s, r) => s + r.mealsServed, 0);
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'meals-title' },
    h('h2', { id: 'meals-title' }, 'Питание'),
    h('div', { class: 'figures' }, figure({ key: 'pupilsFed', value: pupils, source }), figure({ key: 'mealsServed', value: meals, source })),
    table(
      'Питание по регионам',
      [{ label: 'Регион' }, { label: 'Месяц' }, { label: 'Учеников питалось', num: true }, { label: 'Питаний', num: true }],
      rows.map((r) => [REGIONS[r.region]?.ru ?? r.region, formatMonth(r.month), formatCount(r.pupilsFed), formatCount(r.mealsServed)]),
      { id: 'school-meals-table' },
    ),
  );
}

const COMPARED = [
  ['eligible', 'count'],
  ['consented', 'count'],
  ['issued', 'count'],
  ['activated', 'count'],
  ['used', 'count'],
  ['lapsed', 'count'],
  ['issuedTiyn', 'money'],
  ['usedTiyn', 'money'],
  ['lapsedTiyn', 'money'],
];
const LABELS = {
  eligible: 'В списках',
  consented: 'Согласились',
  issued: 'Выдано ваучеров',
  activated: 'Активировано',
  used: 'Использовано',
  lapsed: 'Сгорело ваучеров',
  issuedTiyn: 'Выдано, ₸',
  usedTiyn: 'Потрачено, ₸',
  lapsedTiyn: 'Сгорело, ₸',
};

function comparisonSection(state, a, b, food) {
  const keys = COMPARED.filter(([k]) => food || (!k.endsWith('Tiyn') && k !== 'lapsed'));
  const show = (kind, v) => (kind === 'money' ? formatTenge(v) : formatCount(v));
  const delta = (kind, now, then) => {
    const d = now - then;
    const text = `${d > 0 ? '+' : d < 0 ? '−' : ''}${show(kind, Math.abs(d))}`;
    return then > 0 ? `${text} (${d >= 0 ? '+' : '−'}${formatShare(Math.abs(d), then)})` : text;
  };
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'compare-title' },
    h('h2', { id: 'compare-title' }, `Сравнение: ${formatMonth(state.month)} и ${formatMonth(state.compare)}`),
    chartCanvas(
      'compare-chart',
      `Сравнение месяцев ${state.month} и ${state.compare}: ${keys
        .filter(([, k]) => k === 'count')
        .map(([key]) => `${LABELS[key]} ${formatCount(a[key])} и ${formatCount(b[key])}`)
        .join('; ')}.`,
    ).box,
    table(
      'Сравнение месяцев',
      [
        { label: 'Показатель' },
        { label: formatMonth(state.month), num: true },
        { label: formatMonth(state.compare), num: true },
        { label: 'Разница', num: true },
      ],
      keys.map(([key, kind]) => [LABELS[key], show(kind, a[key]), show(kind, b[key]), delta(kind, a[key], b[key])]),
      { id: 'compare-table' },
    ),
  );
}

function byAreaSection(state, rows, food) {
  const columns = [
    { label: food ? 'Город' : 'Регион' },
    { label: 'Месяц' },
    { label: 'В списках', num: true },
    { label: 'Согласились', num: true },
    { label: 'Выдано ваучеров', num: true },
    { label: 'Активировано', num: true },
    { label: 'Использовано', num: true },
    ...(food
      ? [
          { label: 'Сгорело', num: true },
          { label: 'Выдано, ₸', num: true },
          { label: 'Потрачено, ₸', num: true },
          { label: 'Сгорело, ₸', num: true },
        ]
      : [{ label: 'Питаний', num: true }]),
  ];
  const sorted = [...rows].sort((x, y) => (x.month === y.month ? x.area.localeCompare(y.area) : x.month < y.month ? 1 : -1));
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'by-area-title' },
    h('h2', { id: 'by-area-title' }, food ? 'По городам и месяцам' : 'По регионам и месяцам'),
    table(
      food ? 'Итоги по городам и месяцам' : 'Итоги по регионам и месяцам',
      columns,
      sorted.map((r) => [
        areaName(state.program, r.area),
        formatMonth(r.month),
        formatCount(r.eligible),
        formatCount(r.consented),
        formatCount(r.issued),
        formatCount(r.activated),
        formatCount(r.used),
        ...(food ? [formatCount(r.lapsed), formatTenge(r.issuedTiyn), formatTenge(r.usedTiyn), formatTenge(r.lapsedTiyn)] : [formatCount(r.mealsServed)]),
      ]),
      { id: 'by-area-table' },
    ),
  );
}

function drawCharts(state, totals, current, food, compared) {
  const steps = funnelSteps(totals, food);
  barChart(document.getElementById('funnel-chart'), {
    labels: steps.map((s) => s.label),
    datasets: [{ label: 'Количество', data: steps.map((s) => s.value), colours: steps.map((s) => (s.unit === 'people' ? COLOURS[0] : COLOURS[1])) }],
    horizontal: true,
  });
  if (food) {
    barChart(document.getElementById('money-chart'), {
      labels: ['Выдано'],
      datasets: [
        { label: 'Потрачено', data: [totals.usedTiyn], colour: COLOURS[1] },
        { label: 'Удержано', data: [totals.heldTiyn], colour: COLOURS[2] },
        { label: 'Сгорело', data: [totals.lapsedTiyn], colour: COLOURS[3] },
        { label: 'Доступно', data: [totals.availableTiyn], colour: COLOURS[5] },
      ],
      kind: 'money',
      horizontal: true,
      stacked: true,
      legend: true,
    });
    const goods = categoriesOf(current.foodVolumes);
    barChart(document.getElementById('goods-chart'), {
      labels: goods.map((g) => g.name),
      datasets: [{ label: 'Оплачено ваучерами', data: goods.map((g) => g.amountTiyn), colour: COLOURS[1] }],
      kind: 'money',
      horizontal: true,
    });
  }
  if (compared) {
    const a = totals;
    const b = totalsOf(compared.funnel);
    const keys = ['eligible', 'consented', 'issued', 'activated', 'used', ...(food ? ['lapsed'] : [])];
    barChart(document.getElementById('compare-chart'), {
      labels: keys.map((k) => LABELS[k]),
      datasets: [
        { label: formatMonth(state.month), data: keys.map((k) => a[k]), colour: COLOURS[0] },
        { label: formatMonth(state.compare), data: keys.map((k) => b[k]), colour: COLOURS[2] },
      ],
    });
  }
}

runPage('outcomes', render);
