/**
 * The demo and its dashboard, end to end, on one seeded small pilot (the demo's own seeding, made
 * smaller): the read endpoints the pages use against each school's табель; every page in a real
 * headless Chromium, signed in per role, its figures and charts equal to the API's, no console
 * error, focus that moves by keyboard, and "no access" (and no data) for a role that may not see
 * it; then the README's five-minute tour, run as written against the same demo.
 */
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../api/auth';
import { silentLogger } from '../../adapters/log/logger';
import { freshDatabase } from '../pg';
import { failOnContractViolations } from '../system';
import { findChromium, launchBrowser, NO_CHROMIUM, type Browser, type Tab } from '../../simulators/demo/browser';
import { startDemo, type Demo } from '../../simulators/demo/demo';
import { DEMO_PLAN, type DemoPlan } from '../../simulators/demo/seed';

/** What the functions evaluated in the page use of it (they run in Chromium; this project's types have no DOM). */
interface InPage {
  readonly document: {
    getElementById(id: string): { readonly dataset: Record<string, string | undefined>; getAttribute(name: string): string | null } | null;
    querySelector(selector: string): unknown;
    readonly activeElement: { readonly id: string; readonly className: string; readonly tagName: string; getAttribute(name: string): string | null } | null;
  };
  readonly location: { readonly search: string };
}

/** The demo, smaller: two food months of 24 families, school meals for 48 pupils in four schools. */
const PLAN: DemoPlan = { ...DEMO_PLAN, families: 24, pupils: 48, pupilsPerSchool: 12 };

let demo: Demo;
let workDir: string;
let dropDatabase: () => Promise<void>;

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'swl-demo-test-'));
  const db = await freshDatabase([]);
  dropDatabase = db.drop;
  demo = await startDemo({ dataDir: join(workDir, '.data', 'demo'), pool: db.pool, plan: PLAN, logger: silentLogger(), checkContract: true });
}, 300_000);

afterAll(async () => {
  // The pages' and the tour's calls too: every answer one its route declares.
  const violations = demo?.system.api.contractViolations() ?? [];
  await demo?.stop();
  await dropDatabase?.();
  rmSync(workDir, { recursive: true, force: true });
  failOnContractViolations(violations);
});

const get = async (path: string, token: string) => {
  const response = await fetch(`${demo.url}${path}`, { headers: { Authorization: `Bearer ${token}` } });
  return { status: response.status, body: (await response.json()) as any }; // eslint-disable-line @typescript-eslint/no-explicit-any
};
const tokenOf = (principal: Principal) => demo.driver.token(principal);

describe('the demo, seeded through the API', () => {
  it('stands inside the pilot, on a clock an operator may move', async () => {
    const clock = await get('/v1/ops/clock', demo.tokens.OPERATOR_TOKEN!);
    expect(clock.body.movable).toBe(true);
    expect(clock.body.now >= '2026-04-06T05:00:00.000Z' && clock.body.now < '2026-04-06T06:00:00.000Z').toBe(true);
    const outcomes = await get('/v1/ministry/outcomes?program=food-vouchers', demo.tokens.MINISTRY_TOKEN!);
    expect([...new Set(outcomes.body.funnel.map((r: { month: string }) => r.month))].sort()).toEqual(['2026-02', '2026-03']);
  });

  it('gives each school of a region the figures of its own табель', async () => {
    const region = demo.seeded.quietSchool.region;
    const overview = await get('/v1/school-meals/overview?month=2026-03', demo.tokens.EDUCATION_TOKEN!);
    expect(overview.status).toBe(200);
    const expected = demo.seeded.population.schools
      .filter((s) => s.region === region)
      .map((s) => s.schoolId)
      .sort();
    expect(overview.body.schools.map((s: { schoolId: string }) => s.schoolId)).toEqual(expected);
    for (const school of overview.body.schools) {
      const pedagogue = await tokenOf({ role: 'social-pedagogue', sub: `ped-${school.schoolId}`, schoolId: school.schoolId });
      const sheet = (await get(`/v1/schools/${school.schoolId}/tabel/2026-03`, pedagogue)).body;
      expect(school).toMatchObject({
        status: sheet.status,
        entitledPupils: sheet.pupils.length,
        mealCount: sheet.mealCount,
        amountDueTiyn: sheet.amountDueTiyn,
        lateMealCount: sheet.lateMealCount,
        fedPerDay: sheet.fedPerDay,
      });
    }
  });

  it('shows the quiet canteen: two school days without a meal on the sheet, and its records late', async () => {
    const quiet = demo.seeded.quietSchool;
    const overview = await get(`/v1/school-meals/overview?month=2026-03&schoolId=${quiet.schoolId}`, demo.tokens.EDUCATION_TOKEN!);
    const [school] = overview.body.schools;
    expect(school.daysWithoutRecords.map((d: { day: string }) => d.day)).toEqual(['2026-03-30', '2026-03-31']);
    expect(quiet.lateRecords).toBeGreaterThan(0);
    expect(school.lateMealCount).toBe(quiet.lateRecords);
    expect(school.status).toBe('final');
  });

  it('keeps a pedagogue to their school and an education authority to its region', async () => {
    const schools = demo.seeded.population.schools;
    const quiet = demo.seeded.quietSchool;
    const other = schools.find((s) => s.schoolId !== quiet.schoolId)!;
    expect((await get(`/v1/school-meals/overview?schoolId=${other.schoolId}`, demo.tokens.PEDAGOGUE_TOKEN!)).status).toBe(403);
    const own = await get('/v1/school-meals/overview?month=2026-03', demo.tokens.PEDAGOGUE_TOKEN!);
    expect(own.body.schools.map((s: { schoolId: string }) => s.schoolId)).toEqual([quiet.schoolId]);
    const elsewhere = schools.find((s) => s.region !== quiet.region)!;
    expect((await get(`/v1/school-meals/overview?schoolId=${elsewhere.schoolId}`, demo.tokens.EDUCATION_TOKEN!)).status).toBe(403);
    const otherAuthority = await tokenOf({ role: 'education-authority', sub: 'edu-other', region: elsewhere.region });
    const theirs = await get('/v1/school-meals/overview?month=2026-03', otherAuthority);
    expect(theirs.body.schools.every((s: { region: string }) => s.region === elsewhere.region)).toBe(true);
  });
});

const chromium = findChromium();
describe.skipIf(!chromium)(`the dashboard in headless Chromium${chromium ? '' : ` — skipped: ${NO_CHROMIUM}`}`, () => {
  let browser: Browser;
  const tabs: Tab[] = [];
  beforeAll(async () => {
    browser = await launchBrowser(chromium!);
  }, 60_000);
  afterAll(async () => browser?.close());

  const open = async (path: string, token?: string) => {
    const tab = await browser.open(demo.url, path, token);
    tabs.push(tab);
    return tab;
  };
  /** The page's figures: data-figure → data-value (raw integers, as the API gives them). */
  const figures = (tab: Tab) =>
    tab.page.$$eval('[data-figure]', (buttons) =>
      Object.fromEntries(buttons.map((b) => [b.getAttribute('data-figure'), Number(b.getAttribute('data-value'))])),
    );
  /** What a Chart.js chart on the page draws: its labels and each dataset's data. */
  const chartData = (tab: Tab, id: string) =>
    tab.page.evaluate((canvasId) => {
      const chart = (
        globalThis as unknown as { Chart: { getChart(c: unknown): { data: { labels: unknown[]; datasets: { data: unknown[] }[] } } | undefined } }
      ).Chart.getChart((globalThis as unknown as InPage).document.getElementById(canvasId));
      return chart ? { labels: chart.data.labels, data: chart.data.datasets.map((d) => d.data) } : undefined;
    }, id);

  it('pilot outcomes (ministry): every figure and bar is the API’s, for a city, a month and a comparison', async () => {
    const tab = await open('/dashboard/outcomes?program=food-vouchers&month=2026-03&compare=2026-02', demo.tokens.MINISTRY_TOKEN);
    await tab.page.waitForSelector('#by-area-table');
    const api = (await get('/v1/ministry/outcomes?program=food-vouchers&month=2026-03', demo.tokens.MINISTRY_TOKEN!)).body;
    const sum = (key: string) => api.funnel.reduce((n: number, r: Record<string, number>) => n + r[key]!, 0);
    const shown = await figures(tab);
    for (const key of [
      'eligible',
      'smsSent',
      'consented',
      'refused',
      'timedOut',
      'undeliverable',
      'noPhone',
      'issued',
      'activated',
      'used',
      'lapsed',
      'issuedTiyn',
      'usedTiyn',
      'heldTiyn',
      'lapsedTiyn',
    ])
      expect([key, shown[key]]).toEqual([key, sum(key)]);
    expect(shown.availableTiyn).toBe(sum('issuedTiyn') - sum('usedTiyn') - sum('heldTiyn') - sum('lapsedTiyn'));
    expect(shown.consented).toBeGreaterThan(0);
    expect(shown.usedTiyn).toBeGreaterThan(0);
    const funnel = await chartData(tab, 'funnel-chart');
    expect(funnel!.data[0]).toEqual(['eligible', 'consented', 'issued', 'activated', 'used', 'lapsed'].map(sum));
    const goods = await chartData(tab, 'goods-chart');
    const byCategory = new Map<string, number>();
    for (const v of api.foodVolumes) byCategory.set(v.category, (byCategory.get(v.category) ?? 0) + v.amountTiyn);
    expect([...(goods!.data[0] as number[])].sort((a, b) => b - a)).toEqual([...byCategory.values()].sort((a, b) => b - a));
    const compare = await chartData(tab, 'compare-chart');
    const february = (await get('/v1/ministry/outcomes?program=food-vouchers&month=2026-02', demo.tokens.MINISTRY_TOKEN!)).body;
    expect(compare!.data[1]).toEqual(
      ['eligible', 'consented', 'issued', 'activated', 'used', 'lapsed'].map((k) =>
        february.funnel.reduce((n: number, r: Record<string, number>) => n + r[k]!, 0),
      ),
    );
    // One city: the API's row for it.
    await tab.page.selectOption('#city', 'pavlodar');
    await tab.page.waitForFunction(() => {
      const { document, location } = globalThis as unknown as InPage;
      return new URLSearchParams(location.search).get('city') === 'pavlodar' && document.querySelector('#by-area-table');
    });
    const pavlodar = (await get('/v1/ministry/outcomes?program=food-vouchers&month=2026-03&city=pavlodar', demo.tokens.MINISTRY_TOKEN!)).body.funnel[0];
    const city = await figures(tab);
    expect({ eligible: city.eligible, issued: city.issued, usedTiyn: city.usedTiyn }).toEqual({
      eligible: pavlodar.eligible,
      issued: pavlodar.issued,
      usedTiyn: pavlodar.usedTiyn,
    });
    expect(tab.problems).toEqual([]);
  });

  it('explains a figure on a click: its events, its source, and the auditor’s recount of it, which agrees', async () => {
    const tab = await open('/dashboard/outcomes?program=food-vouchers&month=2026-03&city=pavlodar', demo.tokens.MINISTRY_TOKEN);
    await tab.page.click('[data-figure="consented"]');
    const dialog = tab.page.locator('dialog#definition');
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain('ConsentGiven');
    expect(await dialog.textContent()).toContain('/v1/ministry/outcomes');
    // The recount is the auditor's call: the path the dialog names opens the row to its events.
    const trace = (await tab.page.textContent('#definition-trace code'))!.replace(/^GET /, '');
    const recount = await get(trace, demo.tokens.AUDITOR_TOKEN!);
    expect([recount.status, recount.body.agrees]).toEqual([200, true]);
    expect(recount.body.recounted.consented).toBe((await figures(tab)).consented);
    expect(recount.body.events.some((e: { type: string }) => e.type === 'ConsentGiven')).toBe(true);
    await tab.page.keyboard.press('Escape');
    expect(await dialog.isVisible()).toBe(false);
    expect(tab.problems).toEqual([]);
  });

  it('moves focus by keyboard: skip link, filters, figures', async () => {
    const tab = await open('/dashboard/outcomes', demo.tokens.MINISTRY_TOKEN);
    await tab.page.waitForSelector('#by-area-table');
    await tab.page.keyboard.press('Tab');
    expect(await tab.page.evaluate(() => (globalThis as unknown as InPage).document.activeElement?.className)).toBe('skip-link');
    const order: string[] = [];
    for (let i = 0; i < 14; i++) {
      await tab.page.keyboard.press('Tab');
      order.push(
        await tab.page.evaluate(() => {
          const active = (globalThis as unknown as InPage).document.activeElement;
          return active?.id || active?.getAttribute('data-figure') || active?.tagName || '';
        }),
      );
    }
    expect(order).toEqual(expect.arrayContaining(['program', 'city', 'month', 'compare', 'eligible', 'consented']));
    expect(order.indexOf('program')).toBeLessThan(order.indexOf('eligible'));
    // A focused figure opens its definition with Enter.
    await tab.page.focus('[data-figure="issued"]');
    await tab.page.keyboard.press('Enter');
    expect(await tab.page.locator('dialog#definition').isVisible()).toBe(true);
    expect(tab.problems).toEqual([]);
  });

  it('school meals (education authority): the region’s figures and pupils fed per day are the API’s; the quiet canteen stands out', async () => {
    const tab = await open('/dashboard/meals?month=2026-03', demo.tokens.EDUCATION_TOKEN);
    await tab.page.waitForSelector('#schools-table');
    const api = (await get('/v1/school-meals/overview?month=2026-03', demo.tokens.EDUCATION_TOKEN!)).body;
    const shown = await figures(tab);
    expect(shown).toMatchObject({
      schools: api.totals.schools,
      entitledPupils: api.totals.entitledPupils,
      mealsServed: api.totals.mealCount,
      amountDueTiyn: api.totals.amountDueTiyn,
      lateMeals: api.totals.lateMealCount,
      daysWithoutRecords: api.totals.daysWithoutRecords,
    });
    const fed = await chartData(tab, 'fed-chart');
    expect(fed!.data[0]).toEqual(api.days.map((d: string) => api.totals.fedPerDay[d]));
    expect(await tab.page.textContent('#unusual-table')).toContain(demo.seeded.quietSchool.schoolId);
    expect(await tab.page.$$eval('#schools-table tbody tr', (rows) => rows.length)).toBe(api.schools.length);
    // March's canteens were paid through the agent before the demo opened: each order and where its money stands.
    const orders = (await get('/v1/payment-orders?month=2026-03', demo.tokens.EDUCATION_TOKEN!)).body.orders as {
      orderId: string;
      payout: { status: string };
    }[];
    expect(orders.length).toBeGreaterThan(0);
    expect(orders.every((o) => o.payout.status === 'paid')).toBe(true);
    const shownOrders = await tab.page.$$eval('#payments-table tbody tr', (rows) =>
      rows.map((row) => [row.children[1]?.textContent, row.querySelector('[data-payout]')?.getAttribute('data-payout')]),
    );
    expect(shownOrders).toEqual(orders.map((o) => [o.orderId, o.payout.status]));
    expect(tab.problems).toEqual([]);
  });

  it('school meals (social pedagogue): their school only', async () => {
    const tab = await open('/dashboard/meals?month=2026-03', demo.tokens.PEDAGOGUE_TOKEN);
    await tab.page.waitForSelector('#schools-table');
    const rows = await tab.page.$$eval('#schools-table tbody th', (cells) => cells.map((c) => c.textContent));
    expect(rows).toEqual([demo.seeded.quietSchool.schoolId]);
    const orderSchools = await tab.page.$$eval('#payments-table tbody th', (cells) => [...new Set(cells.map((c) => c.textContent))]);
    expect(orderSchools).toEqual([demo.seeded.quietSchool.schoolId]);
    expect(tab.problems).toEqual([]);
  });

  it('operations (operator): the API’s picture, refreshed live', async () => {
    const tab = await open('/dashboard/ops', demo.tokens.OPERATOR_TOKEN);
    await tab.page.waitForSelector('#lists-table');
    const api = (await get('/v1/ops/summary', demo.tokens.OPERATOR_TOKEN!)).body;
    const shown = await figures(tab);
    expect(shown).toMatchObject({ smsDue: api.sms.dueNow, deadlinesOverdue: api.deadlines.overdue, listsReceived: api.lists.received });
    const lag = await chartData(tab, 'lag-chart');
    expect(lag!.labels).toEqual(api.projections.map((p: { name: string }) => p.name));
    expect(await tab.page.$$eval('#lists-table tbody tr', (rows) => rows.length)).toBe(api.lists.recent.length);
    const first = await tab.page.getAttribute('#refreshed', 'data-now');
    await tab.page.waitForFunction(
      (before) => (globalThis as unknown as InPage).document.getElementById('refreshed')?.getAttribute('data-now') !== before,
      first,
      { timeout: 12_000 },
    );
    // Pause is a real button: the keyboard presses it.
    await tab.page.focus('#pause');
    await tab.page.keyboard.press('Enter');
    expect(await tab.page.getAttribute('#pause', 'aria-pressed')).toBe('true');
    expect(tab.problems).toEqual([]);
  });

  it('family timeline (auditor): every event on the axis; the state as of an event chosen by keyboard', async () => {
    const family = demo.seeded.sampleFamilyId;
    const tab = await open(`/dashboard/timeline?family=${family}`, demo.tokens.AUDITOR_TOKEN);
    await tab.page.waitForSelector('#state-table');
    const api = (await get(`/v1/audit/families/${family}/history`, demo.tokens.AUDITOR_TOKEN!)).body;
    const axis = await chartData(tab, 'timeline-chart');
    expect((axis!.data[0] as unknown[]).length).toBe(api.events.length);
    expect(await tab.page.$$eval('#events-table tbody tr', (rows) => rows.length)).toBe(api.events.length);
    // Back to the 20th event with the keyboard: the state is the API's as of that event.
    await tab.page.focus('#as-of-slider');
    await tab.page.keyboard.press('Home');
    for (let i = 0; i < 19; i++) await tab.page.keyboard.press('ArrowRight');
    const asOf = api.events[19].recordedAt as string;
    await tab.page.waitForFunction((instant) => (globalThis as unknown as InPage).document.getElementById('state')?.dataset.asOf === instant, asOf);
    const then = (await get(`/v1/audit/families/${family}/history?asOf=${encodeURIComponent(asOf)}`, demo.tokens.AUDITOR_TOKEN!)).body;
    const rows = await tab.page.$$eval('#state-table tbody tr', (found) => found.map((row) => row.querySelector('th')?.textContent ?? ''));
    expect(rows.filter(Boolean)).toEqual(then.state.vouchers.map((v: { voucherId: string }) => v.voucherId));
    expect(new URL(tab.page.url()).searchParams.get('asOf')).toBe(asOf);
    expect(tab.problems).toEqual([]);
  });

  it('shows "no access", and no data, to a role that may not see a page', async () => {
    const cases: [string, string][] = [
      ['/dashboard/outcomes', demo.tokens.OPERATOR_TOKEN!],
      ['/dashboard/ops', demo.tokens.MINISTRY_TOKEN!],
      ['/dashboard/meals', demo.tokens.AUDITOR_TOKEN!],
      [`/dashboard/timeline?family=${demo.seeded.sampleFamilyId}`, demo.tokens.MINISTRY_TOKEN!],
      ['/dashboard/outcomes', demo.tokens.CITIZEN_TOKEN!],
    ];
    for (const [path, token] of cases) {
      const tab = await open(path, token);
      await tab.page.waitForSelector('#no-access');
      expect([path, await tab.page.$$eval('[data-figure], canvas, table', (found) => found.length)]).toEqual([path, 0]);
      // The API's 403 is the only failed request, and it is the page's answer, not an error it throws.
      expect(tab.problems.filter((p) => !p.includes('403'))).toEqual([]);
    }
  });

  it('signs in with a token typed into the form, and out again', async () => {
    const tab = await open('/dashboard');
    await tab.page.waitForSelector('#sign-in');
    await tab.page.focus('#token');
    await tab.page.keyboard.insertText(demo.tokens.MINISTRY_TOKEN!);
    await tab.page.keyboard.press('Tab');
    await tab.page.keyboard.press('Enter');
    await tab.page.waitForSelector('[data-page="outcomes"]');
    expect(await tab.page.textContent('[data-role]')).toContain('министерство');
    await tab.page.click('#sign-out');
    await tab.page.waitForSelector('#sign-in');
    expect(tab.problems).toEqual([]);
  });
});

/** The sh blocks of the README between the tour markers, as one script. */
function tourScript(): string {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const tour = readme.slice(readme.indexOf('<!-- tour:start'), readme.indexOf('<!-- tour:end -->'));
  const blocks = [...tour.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
  return blocks.join('\n');
}

const tools = ['curl', 'jq'].filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0);
describe.skipIf(tools.length > 0)(
  `the README's five-minute tour, as written${tools.length ? ` — skipped: no ${tools.join(', ')} (apt-get install -y curl jq)` : ''}`,
  () => {
    it('runs against the demo, every call answered, and ends on the dashboard', async () => {
      const script = tourScript();
      expect(script).toContain('source .data/demo/tokens.env');
      mkdirSync(join(workDir, '.data', 'demo'), { recursive: true });
      // Asynchronously: the demo answers from this very process.
      const { stdout: output } = await promisify(execFile)('bash', ['-e', '-o', 'pipefail', '-c', script], { cwd: workDir, encoding: 'utf8', timeout: 60_000 });
      expect(output).toContain('"accepted":1');
      expect(output).toContain('"outcome":"consent_given"');
      expect(output).toMatch(/"capturedTiyn":\d+/);
      expect(output).toContain('<title>Социальный кошелёк — панель</title>');
    }, 90_000);

    it('left the tour family’s April in the ministry’s figures: consented, spent, the rest lapsed', async () => {
      // The figures are a read model: wait until it has applied everything the tour wrote.
      await demo.driver.settle();
      const april = (await get('/v1/ministry/outcomes?program=food-vouchers&month=2026-04&city=kokshetau', demo.tokens.MINISTRY_TOKEN!)).body.funnel[0];
      expect(april).toMatchObject({ eligible: 1, consented: 1, issued: 2, activated: 2, heldTiyn: 0 });
      expect(april.used).toBeGreaterThanOrEqual(1);
      expect(april.usedTiyn).toBe(160_000);
      expect(april.issuedTiyn).toBe(april.usedTiyn + april.lapsedTiyn);
    });
  },
);
