// Operations for the operator: /v1/ops/summary, polled every few seconds (a bearer token cannot
// ride on an EventSource, and a poll is enough for a picture that changes by the second). The
// figures and tables are updated in place, so keyboard focus and the pause button stay put.
import { api, figure, formatCount, formatInstant, formatShare, h, NoAccess, runPage, SignedOut, table } from './common.js';
import { barChart, chartCanvas, COLOURS } from './charts.js';

const REFRESH_MS = 5_000;
const SOURCE = '/v1/ops/summary';
const KINDS = {
  consent_request: 'SMS-запрос согласия (5-е число)',
  consent_reminder: 'Напоминание о согласии',
  consent_timeout: 'Срок ответа на SMS',
  meal_voucher_expiry: 'Окончание ваучера питания',
  food_month_end: 'Конец месяца: сгорание',
  food_hold_expiry: 'Истечение удержания в магазине',
};
const PROGRAMS = { 'food-vouchers': 'продуктовые ваучеры', 'school-meals': 'школьное питание' };

async function render(content) {
  const first = await api(SOURCE);
  let paused = false;
  const status = h('span', { class: 'live', id: 'refreshed', role: 'status' });
  const pause = h('button', { type: 'button', class: 'secondary', id: 'pause', 'aria-pressed': 'false' }, 'Пауза');
  const body = h('div', { id: 'ops-body' });
  pause.addEventListener('click', () => {
    paused = !paused;
    pause.setAttribute('aria-pressed', String(paused));
    pause.textContent = paused ? 'Продолжить' : 'Пауза';
    status.textContent = paused ? 'Обновление приостановлено.' : 'Обновление возобновлено.';
  });
  content.replaceChildren(h('div', { class: 'card filters' }, h('p', { class: 'live' }, `Обновляется каждые ${REFRESH_MS / 1000} с. `, status), pause), body);
  const draw = (summary) => {
    // Keyboard focus survives a refresh: the same figure or control is focused again.
    const focused = document.activeElement;
    const again = focused?.dataset?.figure ? `[data-figure="${focused.dataset.figure}"]` : focused?.id && body.contains(focused) ? `#${focused.id}` : undefined;
    body.replaceChildren(...sections(summary));
    drawCharts(summary);
    if (again) body.querySelector(again)?.focus();
    status.textContent = `Обновлено: ${new Date().toLocaleTimeString('ru-RU')} · часы сервиса: ${formatInstant(summary.now)}`;
    status.dataset.now = summary.now;
  };
  draw(first);
  const timer = setInterval(async () => {
    if (paused || document.hidden) return;
    try {
      draw(await api(SOURCE));
    } catch (error) {
      if (error instanceof NoAccess || error instanceof SignedOut) {
        clearInterval(timer);
        location.reload();
        return;
      }
      status.textContent = `Не удалось обновить: ${error.message}`;
    }
  }, REFRESH_MS);
}

function sections(s) {
  const maxLag = Math.max(0, ...s.projections.map((p) => p.lagEvents));
  const halted = s.projections.filter((p) => p.status === 'halted');
  const errors = s.errors.byCode.reduce((n, e) => n + e.count, 0);
  const rate = s.sms.failureRate === null ? '—' : formatShare(s.sms.failedAttempts, s.sms.failedAttempts + s.sms.sent);
  return [
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'health-title' },
      h('h2', { id: 'health-title' }, 'Сейчас'),
      h(
        'div',
        { class: 'figures', id: 'ops-figures' },
        figure({
          key: 'maxLag',
          value: maxLag,
          tone: maxLag > 0 || halted.length ? 'alert' : undefined,
          note: halted.length ? `остановлено: ${halted.map((p) => p.name).join(', ')}` : 'событий',
          source: SOURCE,
        }),
        figure({ key: 'smsDue', value: s.sms.dueNow, note: `ждут окна или повтора: ${formatCount(s.sms.waiting)}`, source: SOURCE }),
        figure({
          key: 'smsFailureRate',
          value: rate,
          format: 'share',
          tone: s.sms.failedAttempts ? 'alert' : undefined,
          note: `${formatCount(s.sms.failedAttempts)} из ${formatCount(s.sms.failedAttempts + s.sms.sent)} попыток`,
          source: SOURCE,
        }),
        figure({
          key: 'deadlinesOverdue',
          value: s.deadlines.overdue,
          tone: s.deadlines.overdue ? 'alert' : undefined,
          note: s.deadlines.overdueSince ? `с ${formatInstant(s.deadlines.overdueSince)}` : 'планировщик успевает',
          source: SOURCE,
        }),
        figure({ key: 'listsReceived', value: s.lists.received, note: `за ${s.windowHours} ч, строк ${formatCount(s.lists.rows)}`, source: SOURCE }),
        figure({ key: 'errorsLastHour', value: errors, tone: errors ? 'alert' : undefined, note: `${s.errors.byCode.length} кодов`, source: SOURCE }),
      ),
    ),
    h(
      'div',
      { class: 'grid-2' },
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'lag-title' },
        h('h2', { id: 'lag-title' }, 'Модели чтения: отставание'),
        chartCanvas('lag-chart', `Отставание проекций, событий: ${s.projections.map((p) => `${p.name} ${p.lagEvents}`).join('; ')}.`, 'short').box,
        table(
          'Проекции',
          [{ label: 'Модель' }, { label: 'Состояние' }, { label: 'Отставание, событий', num: true }, { label: 'Отставание, с', num: true }],
          s.projections.map((p) => [
            p.name,
            h('span', { class: `badge ${p.status === 'live' ? 'ok' : 'bad'}` }, p.status === 'live' ? 'работает' : 'остановлена'),
            formatCount(p.lagEvents),
            p.lagSeconds === undefined ? '—' : formatCount(Math.round(p.lagSeconds)),
          ]),
          { id: 'projections-table' },
        ),
      ),
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'errors-title' },
        h('h2', { id: 'errors-title' }, `Ошибки API за ${s.errors.windowMinutes} мин`),
        chartCanvas('errors-chart', `Ошибки API по кодам: ${s.errors.byCode.map((e) => `${e.code} ${e.count}`).join('; ') || 'нет'}.`, 'short').box,
        table(
          'Ошибки по кодам',
          [{ label: 'Код' }, { label: 'Ответов', num: true }, { label: 'Последний' }],
          s.errors.byCode.map((e) => [h('code', {}, e.code), formatCount(e.count), formatInstant(e.lastAt)]),
          { id: 'errors-table' },
        ),
      ),
    ),
    h(
      'div',
      { class: 'grid-2' },
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'sms-title' },
        h('h2', { id: 'sms-title' }, 'Очередь SMS'),
        table(
          `SMS: очередь и доставка за ${s.windowHours} ч`,
          [{ label: 'Показатель' }, { label: 'Сообщений', num: true }],
          [
            ['К отправке сейчас', formatCount(s.sms.dueNow)],
            ['Ждут окна отправки или повтора', formatCount(s.sms.waiting)],
            [`Запрошено за ${s.windowHours} ч`, formatCount(s.sms.requested)],
            ['Из них отправлено', formatCount(s.sms.sent)],
            ['Не доставлено окончательно', formatCount(s.sms.failedForGood)],
            ['Неудачных попыток доставки', formatCount(s.sms.failedAttempts)],
            ['Старейшее ожидающее с', s.sms.oldestDueAt ? formatInstant(s.sms.oldestDueAt) : '—'],
          ],
          { id: 'sms-table' },
        ),
      ),
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'deadlines-title' },
        h('h2', { id: 'deadlines-title' }, 'Ближайшие сроки планировщика'),
        table(
          'Следующие сроки',
          [{ label: 'Срок' }, { label: 'Когда' }, { label: 'Сколько', num: true }],
          s.deadlines.next.map((d) => [KINDS[d.kind] ?? d.kind, formatInstant(d.dueAt), formatCount(d.count)]),
          { id: 'deadlines-table' },
        ),
        table(
          `В ближайшие ${s.windowHours} ч по видам`,
          [{ label: 'Вид срока' }, { label: 'Сколько', num: true }],
          Object.entries(s.deadlines.comingByKind).map(([kind, n]) => [KINDS[kind] ?? kind, formatCount(n)]),
          { id: 'coming-table' },
        ),
      ),
    ),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'lists-title' },
      h('h2', { id: 'lists-title' }, 'Приём списков'),
      h(
        'p',
        { class: 'muted' },
        `За ${s.windowHours} ч: списков ${formatCount(s.lists.received)}, строк ${formatCount(s.lists.rows)}, отклонено строк ${formatCount(s.lists.rejectedRows)}, не обработано списков ${formatCount(s.lists.unprocessed)}.`,
      ),
      table(
        'Последние списки',
        [
          { label: 'Список' },
          { label: 'Источник' },
          { label: 'Программа' },
          { label: 'Месяц' },
          { label: 'Строк', num: true },
          { label: 'Принято', num: true },
          { label: 'Отклонено', num: true },
          { label: 'Получен' },
          { label: 'Обработан' },
        ],
        s.lists.recent.map((l) => [
          l.listId,
          l.source.toUpperCase(),
          PROGRAMS[l.program] ?? l.program,
          l.month,
          formatCount(l.rowCount),
          formatCount(l.accepted),
          formatCount(l.rejected),
          formatInstant(l.receivedAt),
          l.processedAt ? formatInstant(l.processedAt) : h('span', { class: 'badge draft' }, 'идёт'),
        ]),
        { id: 'lists-table' },
      ),
    ),
  ];
}

function drawCharts(s) {
  barChart(document.getElementById('lag-chart'), {
    labels: s.projections.map((p) => p.name),
    datasets: [{ label: 'Отставание, событий', data: s.projections.map((p) => p.lagEvents), colour: COLOURS[0] }],
    horizontal: true,
  });
  barChart(document.getElementById('errors-chart'), {
    labels: s.errors.byCode.map((e) => e.code),
    datasets: [{ label: 'Ответов с ошибкой', data: s.errors.byCode.map((e) => e.count), colour: COLOURS[3] }],
    horizontal: true,
  });
}

runPage('ops', render);
