// The start page: sign in with a token, then the pages — those the role may open first.
import { claimsOf, currentToken, h, mountShell, PAGES, ROLE_NAMES, signInForm } from './common.js';

const WHAT = {
  outcomes: 'Воронка пилота, деньги, товары по категориям; по городам и месяцам, со сравнением месяцев.',
  meals: 'Накормленные ученики по дням, табели школ и их статус, школы с необычной картиной.',
  ops: 'Отставание проекций, очередь и ошибки SMS, приём списков, сроки планировщика, ошибки API.',
  timeline: 'События семьи на оси времени и её состояние на выбранный момент.',
};

function render() {
  const content = document.getElementById('content');
  mountShell('index');
  const token = currentToken();
  if (!token) {
    content.replaceChildren(signInForm(render));
    content.dataset.state = 'sign-in';
    return;
  }
  const role = claimsOf(token)?.role;
  const mine = PAGES.filter((p) => p.roles.includes(role));
  const others = PAGES.filter((p) => !p.roles.includes(role));
  const card = (page, available) =>
    h(
      'a',
      { class: 'page-card', href: page.href, 'data-page': page.id },
      h(
        'div',
        { class: 'card' },
        h('h2', {}, page.ru, ' ', h('span', { class: 'muted small', lang: 'kk' }, page.kk)),
        h('p', {}, WHAT[page.id]),
        h('p', { class: 'small muted' }, available ? 'Доступно вашей роли.' : `Для ролей: ${page.roles.map((r) => ROLE_NAMES[r]).join(', ')}.`),
      ),
    );
  content.replaceChildren(
    h('p', {}, `Вы вошли с ролью «${ROLE_NAMES[role] ?? role ?? 'неизвестна'}».`),
    mine.length
      ? h(
          'section',
          { 'aria-labelledby': 'mine' },
          h('h2', { id: 'mine' }, 'Ваши разделы'),
          h(
            'div',
            { class: 'pages' },
            mine.map((p) => card(p, true)),
          ),
        )
      : h('p', {}, 'Для вашей роли в панели нет разделов.'),
    others.length
      ? h(
          'section',
          { 'aria-labelledby': 'others' },
          h('h2', { id: 'others' }, 'Другие разделы'),
          h(
            'div',
            { class: 'pages' },
            others.map((p) => card(p, false)),
          ),
        )
      : undefined,
  );
  content.dataset.state = 'ready';
}

render();
