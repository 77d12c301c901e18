// What every dashboard page shares: the session (a bearer token kept in this tab's
// sessionStorage), calls to the API with it, the header, the sign-in form, the "no access" state,
// figures that explain themselves, and number formats. The pages hold no data of their own: the
// API decides, per token, what each person may see.
import { DEFINITIONS } from './definitions.js';

const TOKEN_KEY = 'swl-dashboard-token';

/** The pages, who may see each (the API enforces it; the header only marks the others). */
export const PAGES = [
  { id: 'outcomes', href: '/dashboard/outcomes', ru: 'Итоги пилота', kk: 'Пилот қорытындысы', roles: ['ministry'] },
  { id: 'meals', href: '/dashboard/meals', ru: 'Школьное питание', kk: 'Мектептегі тамақтану', roles: ['education-authority', 'social-pedagogue'] },
  { id: 'ops', href: '/dashboard/ops', ru: 'Операции', kk: 'Операциялар', roles: ['operator'] },
  { id: 'timeline', href: '/dashboard/timeline', ru: 'История семьи', kk: 'Отбасы тарихы', roles: ['auditor'] },
];

export const ROLE_NAMES = {
  ministry: 'министерство',
  'education-authority': 'управление образования',
  'social-pedagogue': 'социальный педагог',
  operator: 'оператор',
  auditor: 'аудитор',
  sdu: 'СДУ',
  nobd: 'НОБД',
  'sms-gateway': 'SMS-шлюз',
  citizen: 'гражданин',
  merchant: 'магазин',
  'canteen-device': 'устройство столовой',
};

// ── session ──────────────────────────────────────────────────────────────────────────────
export const currentToken = () => sessionStorage.getItem(TOKEN_KEY);
export const signOut = () => sessionStorage.removeItem(TOKEN_KEY);

/** Keeps a token that looks like a JWT; the API verifies it on every call. */
export function signIn(token) {
  const trimmed = token.trim().replace(/^Bearer\s+/i, '');
  if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(trimmed)) return false;
  sessionStorage.setItem(TOKEN_KEY, trimmed);
  return true;
}

/** The token's claims, read (not verified) to name the role in the header. */
export function claimsOf(token) {
  try {
    const payload = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const json = new TextDecoder().decode(Uint8Array.from(atob(payload), (c) => c.charCodeAt(0)));
    return JSON.parse(json);
  } catch {
    return undefined;
  }
}

export class NoAccess extends Error {}
export class SignedOut extends Error {}

/** GET an API path with the session's token: the JSON body, or NoAccess (403) / SignedOut (401). */
export async function api(path) {
  const token = currentToken();
  if (!token) throw new SignedOut('no token');
  const response = await fetch(path, { headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' } });
  const body = await response.json().catch(() => undefined);
  if (response.status === 401) throw new SignedOut(body?.detail ?? 'unauthorized');
  if (response.status === 403) throw new NoAccess(body?.detail ?? 'forbidden');
  if (!response.ok) throw new Error(`${response.status} ${body?.code ?? ''}: ${body?.detail ?? response.statusText}`);
  return body;
}

// ── DOM helpers ──────────────────────────────────────────────────────────────────────────
/** h('td', { class: 'num' }, '12') — text children only, never HTML, so data cannot inject markup. */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat())
    if (child !== undefined && child !== null && child !== false) element.append(child instanceof Node ? child : String(child));
  return element;
}

/** A table: columns [{ label, num? }], rows of cell values (strings, numbers or nodes). */
export function table(caption, columns, rows, attributes = {}) {
  return h(
    'div',
    { class: 'table-scroll' },
    h(
      'table',
      attributes,
      h('caption', {}, caption),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          columns.map((c) => h('th', { scope: 'col', class: c.num ? 'num' : undefined }, c.label)),
        ),
      ),
      h(
        'tbody',
        {},
        rows.length === 0
          ? h('tr', {}, h('td', { colspan: columns.length, class: 'muted' }, 'Нет данных за выбранный период.'))
          : rows.map((row) =>
              h(
                'tr',
                {},
                row.map((cell, i) => h(i === 0 ? 'th' : 'td', { scope: i === 0 ? 'row' : undefined, class: columns[i].num ? 'num' : undefined }, cell)),
              ),
            ),
      ),
    ),
  );
}

export function select(id, label, options, value, onChange) {
  const control = h(
    'select',
    { id, name: id },
    options.map((o) => h('option', { value: o.value, selected: o.value === value }, o.label)),
  );
  control.addEventListener('change', () => onChange(control.value));
  return h('div', { class: 'field' }, h('label', { for: id }, label), control);
}

// ── number formats (money stays integer tiyn until it is printed) ─────────────────────────
const grouped = new Intl.NumberFormat('ru-RU', { maximumFractionDigits: 0 });
export const formatCount = (n) => grouped.format(n);
export function formatTenge(tiyn) {
  const sign = tiyn < 0 ? '−' : '';
  const abs = Math.abs(tiyn);
  const whole = Math.trunc(abs / 100);
  const cents = String(abs % 100).padStart(2, '0');
  return `${sign}${grouped.format(whole)},${cents} ₸`;
}
/** 0.123 → "12,3 %". */
export const formatShare = (part, whole) => (whole > 0 ? `${(Math.round((part / whole) * 1000) / 10).toLocaleString('ru-RU')} %` : '—');
const dateTime = new Intl.DateTimeFormat('ru-RU', {
  timeZone: 'Asia/Almaty',
  day: '2-digit',
  month: '2-digit',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
});
export const formatInstant = (iso) => (iso ? `${dateTime.format(new Date(iso))}` : '—');
const monthName = new Intl.DateTimeFormat('ru-RU', { month: 'long', year: 'numeric', timeZone: 'UTC' });
export const formatMonth = (month) => {
  const text = monthName.format(new Date(`${month}-01T00:00:00Z`));
  return text.charAt(0).toUpperCase() + text.slice(1);
};
const dayName = new Intl.DateTimeFormat('ru-RU', { day: 'numeric', month: 'short', timeZone: 'UTC' });
export const formatDay = (day) => dayName.format(new Date(`${day}T00:00:00Z`));

// ── figures that explain themselves ──────────────────────────────────────────────────────
/**
 * A figure: its value as text and as data-value (raw integer), and a button that opens how it is
 * made — the events it counts, the API call it comes from, where an auditor can trace it.
 */
export function figure({ key, value, format = 'count', tone, note, source, trace }) {
  const definition = DEFINITIONS[key];
  if (!definition) throw new Error(`no definition for figure ${key}`);
  const text = format === 'money' ? formatTenge(value) : format === 'share' ? value : formatCount(value);
  return h(
    'button',
    {
      type: 'button',
      class: `figure ${tone ?? (format === 'money' ? 'money' : '')}`.trim(),
      'data-figure': key,
      'data-value': typeof value === 'number' ? value : undefined,
      'aria-haspopup': 'dialog',
      onclick: () => explain(key, source, trace),
    },
    h('span', { class: 'label' }, definition.label),
    h('span', { class: 'value' }, text),
    note ? h('span', { class: 'note' }, note) : undefined,
  );
}

/** Opens the definition of a figure: what it is, which events it counts, where it comes from. */
export function explain(key, source, trace) {
  const definition = DEFINITIONS[key];
  let dialog = document.getElementById('definition');
  if (!dialog) {
    dialog = h('dialog', { id: 'definition', class: 'definition', 'aria-labelledby': 'definition-title' });
    document.body.append(dialog);
  }
  dialog.replaceChildren(
    h('h2', { id: 'definition-title' }, `Как считается: ${definition.label.toLowerCase()}`),
    h('p', {}, definition.text),
    definition.events.length ? h('p', {}, 'Считаются события журнала:') : undefined,
    definition.events.length
      ? h(
          'ul',
          {},
          definition.events.map((e) => h('li', {}, h('code', {}, e))),
        )
      : undefined,
    source ? h('p', { class: 'small' }, 'Источник: ', h('code', {}, source)) : undefined,
    // The recount is an API call with the auditor's token, not a page: the path, to call (a link would answer 401).
    trace ? h('p', { class: 'small', id: 'definition-trace' }, 'Пересчёт по событиям журнала (роль «аудитор»): ', h('code', {}, `GET ${trace}`)) : undefined,
    h('div', { class: 'actions' }, h('button', { type: 'button', class: 'primary', onclick: () => dialog.close() }, 'Закрыть')),
  );
  dialog.showModal();
}

// ── page shell ───────────────────────────────────────────────────────────────────────────
/** Fills the header: the pages (the current one marked), who is signed in, sign-out. */
export function mountShell(pageId) {
  const token = currentToken();
  const role = token ? claimsOf(token)?.role : undefined;
  const nav = document.getElementById('nav');
  nav.replaceChildren(
    ...PAGES.map((page) =>
      h(
        'li',
        {},
        h(
          'a',
          {
            href: page.href,
            'aria-current': page.id === pageId ? 'page' : undefined,
            class: role && !page.roles.includes(role) ? 'unavailable' : undefined,
            title: role && !page.roles.includes(role) ? 'Недоступно для вашей роли' : undefined,
          },
          page.ru,
        ),
      ),
    ),
  );
  const session = document.getElementById('session');
  session.replaceChildren(
    ...(token
      ? [
          h('span', { class: 'who', 'data-role': role ?? '' }, `Роль: ${ROLE_NAMES[role] ?? role ?? 'неизвестна'}`),
          h('button', { type: 'button', id: 'sign-out', onclick: () => (signOut(), location.assign('/dashboard')) }, 'Выйти'),
        ]
      : []),
  );
}

/** The sign-in form: a bearer token, kept in this tab only (sessionStorage). */
export function signInForm(onSignedIn, message) {
  const error = h('p', { class: 'error-text', id: 'token-error', role: 'alert' }, message ?? '');
  const input = h('textarea', {
    id: 'token',
    name: 'token',
    required: true,
    autocomplete: 'off',
    spellcheck: 'false',
    'aria-describedby': 'token-help token-error',
  });
  const form = h(
    'form',
    { class: 'notice', id: 'sign-in' },
    h('h2', {}, 'Вход по токену', h('span', { class: 'muted', lang: 'kk' }, ' · Токен арқылы кіру')),
    h(
      'p',
      { id: 'token-help', class: 'muted' },
      'Вставьте токен доступа (Bearer JWT) вашей роли. Он хранится только в этой вкладке браузера и отправляется с каждым запросом к API; все цифры приходят из API по правам этой роли.',
    ),
    h('div', { class: 'field' }, h('label', { for: 'token' }, 'Токен доступа'), input),
    error,
    h('p', {}, h('button', { type: 'submit', class: 'primary' }, 'Войти')),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (!signIn(input.value)) {
      error.textContent = 'Это не похоже на токен: нужен JWT из трёх частей, разделённых точками.';
      input.focus();
      return;
    }
    onSignedIn();
  });
  return form;
}

/** "No access": the role may not see this page; nothing of it is shown. */
export function noAccessNotice(page, detail) {
  const role = claimsOf(currentToken() ?? '')?.role;
  const allowed = page.roles.map((r) => ROLE_NAMES[r] ?? r).join(', ');
  return h(
    'section',
    { class: 'notice no-access', id: 'no-access', role: 'alert' },
    h('h2', {}, 'Нет доступа', h('span', { class: 'muted', lang: 'kk' }, ' · Қолжетімділік жоқ')),
    h('p', {}, `Раздел «${page.ru}» доступен ролям: ${allowed}. Ваша роль: ${ROLE_NAMES[role] ?? role ?? 'неизвестна'}.`),
    detail ? h('p', { class: 'muted small' }, `Ответ API: ${detail}`) : undefined,
    h(
      'p',
      {},
      h('a', { href: '/dashboard' }, 'Перейти к списку разделов'),
      ' или ',
      h('button', { type: 'button', class: 'secondary', onclick: () => (signOut(), location.reload()) }, 'войти с другим токеном'),
    ),
  );
}

/**
 * Runs a page: the shell, then `render(content)` with the session; a missing or refused token
 * gets the sign-in form, a role the API refuses gets "no access" — and no data either way.
 */
export async function runPage(pageId, render) {
  const page = PAGES.find((p) => p.id === pageId);
  const content = document.getElementById('content');
  mountShell(pageId);
  const start = async (message) => {
    if (!currentToken()) {
      content.replaceChildren(signInForm(() => (mountShell(pageId), start()), message));
      content.dataset.state = 'sign-in';
      return;
    }
    content.replaceChildren(h('p', { class: 'loading', role: 'status' }, 'Загрузка…'));
    // data-state says what the page shows (ready, no-access, sign-in, error): tests and screenshots wait for it.
    delete content.dataset.state;
    try {
      await render(content);
      content.dataset.state = 'ready';
    } catch (error) {
      if (error instanceof SignedOut) {
        signOut();
        mountShell(pageId);
        await start('Токен не принят (истёк или недействителен). Войдите снова.');
      } else if (error instanceof NoAccess) {
        content.replaceChildren(noAccessNotice(page, error.message));
        content.dataset.state = 'no-access';
      } else {
        content.replaceChildren(h('p', { class: 'error-text', role: 'alert' }, `Не удалось загрузить данные: ${error.message}`));
        content.dataset.state = 'error';
      }
    }
  };
  await start();
}

/** Query-string state, so a view can be linked (and screenshotted) as it is. */
export function queryState(defaults) {
  const params = new URLSearchParams(location.search);
  return Object.fromEntries(Object.entries(defaults).map(([k, v]) => [k, params.get(k) ?? v]));
}
export function saveQueryState(state) {
  const params = new URLSearchParams(Object.entries(state).filter(([, v]) => v !== '' && v !== undefined && v !== null));
  history.replaceState(null, '', `${location.pathname}${params.size ? `?${params}` : ''}`);
}
