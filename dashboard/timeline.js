// A family's timeline for the auditor: every event of /v1/audit/families/{familyId}/history on a
// time axis, one lane per kind of stream, and the family's state as of any instant chosen on it
// (a click on an event, the slider, or a time typed in) from the same route with ?asOf=. The page
// shows what the auditor's role gets from the API: pseudonymous ids, never names or IINs.
import { api, formatCount, formatInstant, formatTenge, h, queryState, runPage, saveQueryState, table } from './common.js';
import { COLOURS } from './charts.js';

const LANES = [
  { id: 'list', label: 'Списки' },
  { id: 'consent', label: 'Согласие' },
  { id: 'meals', label: 'Ваучер питания' },
  { id: 'food', label: 'Продуктовые ваучеры' },
  { id: 'feedback', label: 'Отзывы' },
  { id: 'other', label: 'Прочее' },
];
/** The hold index (foodhold-…) belongs with the family's food vouchers. */
const LANE_OF_WORD = { foodhold: 'food' };
const laneOf = (stream) => {
  const first = stream.slice(0, stream.indexOf('-'));
  const word = LANE_OF_WORD[first] ?? first;
  const index = LANES.findIndex((l) => l.id === word);
  return index < 0 ? LANES.length - 1 : index;
};
const EVENTS = {
  EligibilityListReceived: 'Список получен',
  ListRowAccepted: 'Строка списка принята',
  ListRowRejected: 'Строка списка отклонена',
  EligibilityListProcessed: 'Список обработан',
  ConsentCaseOpened: 'Открыто дело согласия',
  ConsentCaseReopened: 'Дело согласия открыто снова',
  ConsentNotRequired: 'Согласие не требуется',
  ConsentPhoneNotFound: 'Нет телефона в БМГ',
  SmsRequested: 'Запрошено SMS',
  SmsSent: 'SMS отправлено',
  SmsFailed: 'SMS не доставлено',
  SmsReplyReceived: 'Получен ответ на SMS',
  ConsentGiven: 'Согласие дано',
  ConsentRefused: 'Отказ',
  ConsentTimedOut: 'Срок ответа истёк',
  ConsentUndeliverable: 'SMS не доставить никому',
  DeadlineScheduled: 'Назначен срок',
  DeadlineFired: 'Срок наступил',
  MealVoucherIssued: 'Выдан ваучер питания',
  MealVoucherActivated: 'Ваучер питания активирован',
  MealServed: 'Питание',
  MealRefused: 'Питание отклонено',
  MealVoucherExpired: 'Ваучер питания истёк',
  FoodVouchersIssued: 'Выданы продуктовые ваучеры',
  FoodVoucherActivated: 'Продуктовый ваучер активирован',
  FoodPurchaseAuthorized: 'Покупка: удержание',
  FoodHoldRegistered: 'Удержание зарегистрировано',
  FoodPurchaseCaptured: 'Покупка оплачена',
  FoodPurchaseVoided: 'Покупка отменена',
  FoodHoldExpired: 'Удержание истекло',
  FoodVouchersLapsed: 'Остаток сгорел',
  FeedbackSubmitted: 'Отзыв',
  FeedbackForwarded: 'Отзыв передан в e-Otinish',
};
const STATUS = { issued: 'выдан', active: 'активен', expired: 'истёк', lapsed: 'сгорел' };

async function render(content) {
  const state = queryState({ family: '', asOf: '' });
  const input = h('input', {
    type: 'text',
    id: 'family',
    name: 'family',
    value: state.family,
    required: true,
    autocomplete: 'off',
    spellcheck: 'false',
    'aria-describedby': 'family-help',
  });
  const form = h(
    'form',
    { class: 'card filters', role: 'search', 'aria-label': 'Семья' },
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'family' }, 'ID семьи (из списка СДУ или НОБД)'),
      input,
      h('span', { id: 'family-help', class: 'small muted' }, 'Например, fam-000001.'),
    ),
    h('button', { type: 'submit', class: 'primary', id: 'show' }, 'Показать'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    Object.assign(state, { family: input.value.trim(), asOf: '' });
    saveQueryState(state);
    void show(state, view);
  });
  const view = h('div', { id: 'timeline-view' });
  content.replaceChildren(form, view);
  if (state.family) await show(state, view);
  else view.replaceChildren(h('p', { class: 'muted' }, 'Введите ID семьи, чтобы увидеть её события на оси времени.'));
}

async function show(state, view) {
  view.replaceChildren(h('p', { class: 'loading', role: 'status' }, 'Загрузка…'));
  const whole = await api(`/v1/audit/families/${encodeURIComponent(state.family)}/history`);
  const events = whole.events;
  if (events.length === 0) {
    view.replaceChildren(h('p', { id: 'no-events', role: 'status' }, `У семьи ${state.family} нет событий в журнале.`));
    return;
  }
  const times = events.map((e) => Date.parse(e.recordedAt));
  const slider = h('input', {
    type: 'range',
    class: 'slider',
    id: 'as-of-slider',
    min: 0,
    max: events.length - 1,
    step: 1,
    value: events.length - 1,
    'aria-describedby': 'as-of-label',
  });
  const asOfLabel = h('p', { id: 'as-of-label', class: 'state-as-of', role: 'status' });
  const stateBox = h('div', { id: 'state' });
  const canvas = h('canvas', {
    id: 'timeline-chart',
    role: 'img',
    'aria-label': `События семьи ${state.family}: ${events.length}, с ${formatInstant(events[0].recordedAt)} по ${formatInstant(events.at(-1).recordedAt)}. Таблица событий ниже.`,
  });
  view.replaceChildren(
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'axis-title' },
      h('h2', { id: 'axis-title' }, `События семьи ${state.family} на оси времени`),
      h('p', { class: 'small muted' }, 'Нажмите на событие — ниже появится состояние семьи на этот момент. С клавиатуры: ползунок выбирает событие.'),
      h('div', { class: 'chart-box' }, canvas),
      h('div', { class: 'field' }, h('label', { for: 'as-of-slider' }, 'Состояние на момент события'), slider),
      asOfLabel,
    ),
    stateBox,
    h('section', { class: 'card', 'aria-labelledby': 'events-title' }, h('h2', { id: 'events-title' }, 'Все события'), eventsTable(events)),
  );
  let asOfMs = state.asOf ? Date.parse(state.asOf) : times.at(-1);
  const chart = drawTimeline(
    canvas,
    events,
    () => asOfMs,
    (index) => choose(index),
  );
  let pending;
  const choose = (index) => {
    slider.value = String(index);
    void at(events[index].recordedAt);
  };
  const at = async (asOf) => {
    asOfMs = Date.parse(asOf);
    state.asOf = asOf;
    saveQueryState(state);
    chart.update('none');
    const index = Math.max(0, times.filter((t) => t <= asOfMs).length - 1);
    asOfLabel.textContent = `Состояние на ${formatInstant(asOf)} — после события ${index + 1} из ${events.length}: ${EVENTS[events[index].type] ?? events[index].type}.`;
    const request = (pending = api(`/v1/audit/families/${encodeURIComponent(state.family)}/history?asOf=${encodeURIComponent(asOf)}`));
    const answer = await request;
    if (request !== pending) return;
    stateBox.replaceChildren(stateSection(answer));
    stateBox.dataset.asOf = answer.asOf;
  };
  slider.addEventListener('input', () => choose(Number(slider.value)));
  const start = state.asOf && Number.isFinite(Date.parse(state.asOf)) ? state.asOf : events.at(-1).recordedAt;
  slider.value = String(Math.max(0, times.filter((t) => t <= Date.parse(start)).length - 1));
  await at(start);
}

/** Events as points: x the instant, y the lane; a vertical line marks the instant the state is shown for. */
function drawTimeline(canvas, events, asOfMs, onPick) {
  const points = events.map((e, index) => ({ x: Date.parse(e.recordedAt), y: laneOf(e.stream), index }));
  const marker = {
    id: 'as-of-marker',
    afterDatasetsDraw(chart) {
      const x = chart.scales.x.getPixelForValue(asOfMs());
      const { top, bottom } = chart.chartArea;
      const ctx = chart.ctx;
      ctx.save();
      ctx.strokeStyle = '#a3262a';
      ctx.lineWidth = 2;
      ctx.setLineDash([6, 4]);
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x, bottom);
      ctx.stroke();
      ctx.restore();
    },
  };
  const dayTime = new Intl.DateTimeFormat('ru-RU', { timeZone: 'Asia/Almaty', day: '2-digit', month: 'short' });
  return new Chart(canvas, {
    type: 'scatter',
    data: {
      datasets: [{ label: 'События', data: points, pointRadius: 5, pointHoverRadius: 8, backgroundColor: points.map((p) => COLOURS[p.y % COLOURS.length]) }],
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      onClick: (_event, elements) => elements[0] && onPick(points[elements[0].index].index),
      plugins: {
        legend: { display: false },
        tooltip: {
          callbacks: {
            label: (ctx) => `${formatInstant(events[ctx.raw.index].recordedAt)} — ${EVENTS[events[ctx.raw.index].type] ?? events[ctx.raw.index].type}`,
          },
        },
      },
      scales: {
        x: { type: 'linear', ticks: { callback: (v) => dayTime.format(new Date(v)), maxTicksLimit: 10 }, grid: { color: '#e4e9ef' } },
        y: {
          type: 'linear',
          min: -0.5,
          max: LANES.length - 0.5,
          reverse: true,
          // One tick per lane, at its integer; the range's half-steps keep the points off the edges.
          afterBuildTicks: (axis) => (axis.ticks = LANES.map((_, value) => ({ value }))),
          ticks: { callback: (v) => LANES[v]?.label ?? '' },
          grid: { color: '#eef1f5' },
        },
      },
    },
    plugins: [marker],
  });
}

function stateSection(answer) {
  const vouchers = answer.state.vouchers;
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'state-title' },
    h('h2', { id: 'state-title' }, `Состояние на ${formatInstant(answer.asOf)}`),
    h('p', { class: 'muted' }, `Событий до этого момента: ${formatCount(answer.events.length)}. Ваучеров: ${formatCount(vouchers.length)}.`),
    table(
      'Ваучеры семьи на этот момент',
      [
        { label: 'Ваучер' },
        { label: 'Программа' },
        { label: 'Статус' },
        { label: 'Выдан' },
        { label: 'Выдано', num: true },
        { label: 'Удержано', num: true },
        { label: 'Потрачено', num: true },
        { label: 'Сгорело', num: true },
        { label: 'Доступно', num: true },
        { label: 'Питаний', num: true },
      ],
      vouchers.map((v) => [
        v.voucherId,
        v.program === 'food-vouchers' ? 'продуктовый' : 'питание',
        STATUS[v.status] ?? v.status,
        formatInstant(v.issuedAt),
        formatTenge(v.issuedTiyn),
        formatTenge(v.heldTiyn),
        formatTenge(v.spentTiyn),
        formatTenge(v.lapsedTiyn),
        formatTenge(v.availableTiyn),
        formatCount(v.meals),
      ]),
      { id: 'state-table' },
    ),
  );
}

function eventsTable(events) {
  return table(
    'События журнала (позиция, время, что, поток, кто)',
    [{ label: '№', num: true }, { label: 'Время (Алматы)' }, { label: 'Событие' }, { label: 'Поток' }, { label: 'Кто' }],
    events.map((e, i) => [String(i + 1), formatInstant(e.recordedAt), EVENTS[e.type] ?? e.type, LANES[laneOf(e.stream)].label, e.actor?.role ?? '—']),
    { id: 'events-table' },
  );
}

runPage('timeline', render);
