// School meals for a region's education authority (every school of its region) or a school's
// social pedagogue (its own): /v1/school-meals/overview, whose figures are each school's табель.
import {
  api,
  figure,
  formatCount,
  formatDay,
  formatInstant,
  formatMonth,
  formatTenge,
  h,
  queryState,
  runPage,
  saveQueryState,
  select,
  table,
} from './common.js';
import { barChart, chartCanvas, COLOURS } from './charts.js';
import { REGIONS } from './labels.js';

const STATUS = {
  in_progress: { label: 'черновик (месяц идёт)', tone: 'draft' },
  available: { label: 'доступен для выгрузки', tone: 'available' },
  final: { label: 'окончательный', tone: 'final' },
};
/** Where a canteen payment order stands with the paying agent (/v1/payment-orders `payout.status`). */
const PAYOUT = {
  nothing_to_pay: { label: 'нечего платить', tone: 'final' },
  unissued: { label: 'ещё не отправлено в банк', tone: 'draft' },
  pending: { label: 'в банке, ждём подтверждения', tone: 'available' },
  paid: { label: 'оплачено', tone: 'ok' },
  failed: { label: 'отклонено банком', tone: 'bad' },
};
const payoutBadge = (status) => h('span', { class: `badge ${PAYOUT[status]?.tone ?? ''}`, 'data-payout': status }, PAYOUT[status]?.label ?? status);
const badge = (status) => h('span', { class: `badge ${STATUS[status]?.tone ?? ''}`, 'data-status': status }, STATUS[status]?.label ?? status);
const regionName = (code) => REGIONS[code]?.ru ?? code;

/** The month and the five before it, newest first. */
function monthsUpTo(month) {
  const [year, m] = month.split('-').map(Number);
  return Array.from({ length: 6 }, (_, i) => {
    const date = new Date(Date.UTC(year, m - 1 - i, 1));
    return `${date.getUTCFullYear()}-${String(date.getUTCMonth() + 1).padStart(2, '0')}`;
  });
}

async function render(content) {
  const state = queryState({ month: '', school: '' });
  const query = new URLSearchParams({ ...(state.month ? { month: state.month } : {}), ...(state.school ? { schoolId: state.school } : {}) });
  const source = `/v1/school-meals/overview${query.size ? `?${query}` : ''}`;
  const overview = await api(source);
  // The list of schools to choose from is the whole scope's, whichever school is shown.
  const scope = state.school ? await api(`/v1/school-meals/overview?month=${overview.month}`) : overview;
  state.month = overview.month;
  saveQueryState(state);
  const orders = await api(ordersSource(state));
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
  const t = overview.totals;
  content.replaceChildren(
    h(
      'form',
      { class: 'card filters', role: 'search', 'aria-label': 'Фильтры', onsubmit: (e) => e.preventDefault() },
      select(
        'month',
        'Месяц',
        monthsUpTo(overview.currentMonth).map((m) => ({ value: m, label: formatMonth(m) })),
        overview.month,
        (month) => redraw({ month }),
      ),
      scope.schools.length > 1
        ? select(
            'school',
            'Школа',
            [{ value: '', label: 'Все школы' }, ...scope.schools.map((s) => ({ value: s.schoolId, label: s.schoolId }))],
            state.school,
            (school) => redraw({ school }),
          )
        : undefined,
    ),
    h(
      'p',
      { id: 'scope', role: 'status' },
      `Табель за ${formatMonth(overview.month).toLowerCase()}: `,
      badge(overview.status),
      ` — доступен с ${formatInstant(overview.availableFrom)}, окончательный с ${formatInstant(overview.finalFrom)}. `,
      h('span', { class: 'muted' }, 'Источник: ', h('code', {}, source)),
    ),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'totals-title' },
      h('h2', { id: 'totals-title' }, scope.schools.length > 1 && !state.school ? `Школы региона: ${regionName(overview.schools[0]?.region ?? '')}` : 'Школа'),
      h(
        'div',
        { class: 'figures', id: 'meal-figures' },
        figure({ key: 'schools', value: t.schools, source }),
        figure({ key: 'entitledPupils', value: t.entitledPupils, source }),
        figure({ key: 'mealsServed', value: t.mealCount, source }),
        figure({ key: 'amountDueTiyn', value: t.amountDueTiyn, format: 'money', source }),
        figure({ key: 'lateMeals', value: t.lateMealCount, tone: t.lateMealCount ? 'alert' : undefined, source }),
        figure({ key: 'daysWithoutRecords', value: t.daysWithoutRecords, tone: t.daysWithoutRecords ? 'alert' : undefined, note: 'школо-дней', source }),
      ),
    ),
    fedSection(overview),
    unusualSection(overview),
    schoolsSection(overview),
    paymentsSection(overview, orders.orders, ordersSource(state)),
  );
  barChart(document.getElementById('fed-chart'), {
    labels: overview.days.map(formatDay),
    datasets: [{ label: 'Накормлено учеников', data: overview.days.map((d) => t.fedPerDay[d] ?? 0), colour: COLOURS[1] }],
  });
}

function fedSection(overview) {
  const t = overview.totals;
  const withMeals = overview.days.filter((d) => (t.fedPerDay[d] ?? 0) > 0);
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'fed-title' },
    h('h2', { id: 'fed-title' }, 'Накормлено учеников по учебным дням'),
    chartCanvas('fed-chart', `Накормлено учеников по дням: ${withMeals.map((d) => `${d} — ${t.fedPerDay[d]}`).join('; ') || 'питаний нет'}.`).box,
    h(
      'details',
      {},
      h('summary', {}, 'Таблица по дням'),
      table(
        'Накормлено учеников по дням (по табелю)',
        [{ label: 'Учебный день' }, { label: 'Учеников', num: true }],
        overview.days.map((d) => [formatDay(d), formatCount(t.fedPerDay[d] ?? 0)]),
        { id: 'fed-table' },
      ),
    ),
  );
}

function unusualSection(overview) {
  const unusual = overview.schools.filter((s) => s.daysWithoutRecords.length > 0 || s.lateMealCount > 0);
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'unusual-title' },
    h('h2', { id: 'unusual-title' }, 'Школы с необычной картиной'),
    unusual.length === 0
      ? h('p', { id: 'unusual-none' }, 'Нет: в каждый прошедший учебный день с активными ваучерами пришли записи питания, поздних записей нет.')
      : table(
          'Что необычно',
          [{ label: 'Школа' }, { label: 'Учебные дни без записей питания (активных ваучеров)' }, { label: 'Поздних записей', num: true }],
          unusual.map((s) => [
            s.schoolId,
            s.daysWithoutRecords.length ? s.daysWithoutRecords.map((d) => `${formatDay(d.day)} (${d.activeVouchers})`).join(', ') : '—',
            formatCount(s.lateMealCount),
          ]),
          { id: 'unusual-table' },
        ),
    h(
      'p',
      { class: 'small muted' },
      'День без записей — учебный день до сегодняшнего, когда у школы были активные ваучеры, а в табель не попало ни одного питания. Поздние записи пришли после того, как табель стал окончательным: в табель и к оплате они не входят.',
    ),
  );
}

/** The canteens' payment orders of the month in scope (a region's or a school's, as the API scopes them). */
function ordersSource(state) {
  const query = new URLSearchParams({ ...(state.month ? { month: state.month } : {}), ...(state.school ? { schoolId: state.school } : {}) });
  return `/v1/payment-orders${query.size ? `?${query}` : ''}`;
}

function paymentsSection(overview, orders, source) {
  const month = formatMonth(overview.month).toLowerCase();
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'payments-title' },
    h('h2', { id: 'payments-title' }, 'Оплата столовым: платёжные поручения'),
    orders.length === 0
      ? h(
          'p',
          { id: 'payments-none' },
          overview.status === 'final'
            ? `Поручения за ${month} ещё не выписаны: оператор выписывает их по окончательному табелю.`
            : `Поручения за ${month} выписываются после того, как табель станет окончательным (${formatInstant(overview.finalFrom)}).`,
        )
      : table(
          `Платёжные поручения за ${month}`,
          [
            { label: 'Школа' },
            { label: 'Поручение' },
            { label: 'Вид' },
            { label: 'Питаний', num: true },
            { label: 'Сумма', num: true },
            { label: 'Получатель' },
            { label: 'Выписано' },
            { label: 'Оплата' },
            { label: 'Когда' },
          ],
          orders.map((o) => [
            o.schoolId,
            o.orderId,
            o.supplementary ? 'дополнительное (поздние записи)' : 'основное',
            formatCount(o.meals),
            formatTenge(o.amountTiyn),
            o.payee.name,
            formatInstant(o.issuedAt),
            h('span', {}, payoutBadge(o.payout.status), o.payout.reason ? h('span', { class: 'small muted' }, ` ${o.payout.reason}`) : undefined),
            formatInstant(o.payout.at),
          ]),
          { id: 'payments-table' },
        ),
    h('p', { class: 'small muted' }, 'Источник: ', h('code', {}, source)),
  );
}

function schoolsSection(overview) {
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'schools-title' },
    h('h2', { id: 'schools-title' }, 'Табели школ'),
    table(
      `Табели за ${formatMonth(overview.month).toLowerCase()}`,
      [
        { label: 'Школа' },
        { label: 'Регион' },
        { label: 'Табель' },
        { label: 'Учеников с ваучером', num: true },
        { label: 'Питаний', num: true },
        { label: 'Цена питания', num: true },
        { label: 'К оплате', num: true },
        { label: 'Поздних записей', num: true },
        { label: 'Дней без записей', num: true },
      ],
      overview.schools.map((s) => [
        s.schoolId,
        regionName(s.region),
        badge(s.status),
        formatCount(s.entitledPupils),
        formatCount(s.mealCount),
        formatTenge(s.mealPriceTiyn),
        formatTenge(s.amountDueTiyn),
        formatCount(s.lateMealCount),
        formatCount(s.daysWithoutRecords.length),
      ]),
      { id: 'schools-table' },
    ),
  );
}

runPage('meals', render);
