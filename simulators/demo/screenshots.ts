/**
 * npm run dashboard:screenshots — the dashboard's pages as PNG in docs/dashboard/, from the demo's
 * seeded pilot (startDemo, as `npm run demo`), each page signed in with its role's token in a
 * headless Chromium (browser.ts, as the browser tests). Before the operations page is taken, the
 * demo gets a moment of traffic of the kind an operator watches: an April list arrives, its SMS
 * waits for the gateway, a till retries an expired QR, a device sends a record for another school.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { localDate } from '../../domain/shared/calendar';
import { silentLogger } from '../../adapters/log/logger';
import { bearer } from '../http';
import { createProgress } from '../progress';
import { findChromium, launchBrowser, NO_CHROMIUM } from './browser';
import { startDemo, type Demo } from './demo';
import { demoStart, TOUR_FAMILY } from './seed';

const OUT = resolve('docs/dashboard');

async function main(): Promise<number> {
  const chromium = findChromium();
  if (!chromium) {
    process.stderr.write(`dashboard:screenshots: ${NO_CHROMIUM}\n`);
    return 1;
  }
  const work = mkdtempSync(join(tmpdir(), 'swl-screenshots-'));
  // The embedded Postgres runs as its own user (initdb refuses root): it must reach its data dir.
  chmodSync(work, 0o755);
  const startMs = Date.parse(demoStart());
  const progress = createProgress(Date.parse('2026-04-06T05:00:00Z') - startMs, 'seeding');
  const demo = await startDemo({
    dataDir: join(work, 'demo'),
    onProgress: (instant) => progress.update(Date.parse(instant) - startMs, localDate(instant)),
    logger: silentLogger(),
  });
  progress.finish();
  const browser = await launchBrowser(chromium, { width: 1480, height: 900 });
  try {
    mkdirSync(OUT, { recursive: true });
    const shots: [string, string, string | undefined][] = [
      ['outcomes', '/dashboard/outcomes?program=food-vouchers&month=2026-03&compare=2026-02', demo.tokens.MINISTRY_TOKEN],
      ['meals', '/dashboard/meals?month=2026-03', demo.tokens.EDUCATION_TOKEN],
      ['timeline', `/dashboard/timeline?family=${demo.seeded.sampleFamilyId}`, demo.tokens.AUDITOR_TOKEN],
      ['ops', '/dashboard/ops', demo.tokens.OPERATOR_TOKEN],
      ['sign-in', '/dashboard', undefined],
    ];
    for (const [name, path, token] of shots) {
      if (name === 'ops') await operatorsMoment(demo);
      const tab = await browser.open(demo.url, path, token);
      await tab.page.waitForSelector('#content[data-state]');
      if (name === 'timeline') await midway(tab.page);
      await tab.page.waitForLoadState('networkidle');
      const file = join(OUT, `${name}.png`);
      await tab.page.screenshot({ path: file, fullPage: true });
      if (tab.problems.length) throw new Error(`${path}: ${tab.problems.join('; ')}`);
      process.stdout.write(`${file}\n`);
      await tab.close();
    }
    return 0;
  } finally {
    await browser.close();
    await demo.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

/** The timeline's state as of its 30th event, so the marker stands inside the axis. */
async function midway(page: import('playwright-core').Page): Promise<void> {
  await page.waitForSelector('#state-table');
  await page.focus('#as-of-slider');
  await page.keyboard.press('Home');
  for (let i = 0; i < 29; i++) await page.keyboard.press('ArrowRight');
  await page.waitForTimeout(300);
}

/** Traffic an operator's page shows: a list in, an SMS waiting for the gateway, refusals by code. */
async function operatorsMoment(demo: Demo): Promise<void> {
  const http = demo.driver.http;
  await http.send(
    http.api.POST('/v1/lists/food-vouchers', {
      headers: bearer(demo.tokens.SDU_TOKEN!),
      body: {
        listId: 'sdu-2026-04-001',
        month: '2026-04',
        rows: [
          {
            familyId: TOUR_FAMILY.familyId,
            city: TOUR_FAMILY.city,
            aspOnDate: '2026-03-31',
            head: { iin: TOUR_FAMILY.head.iin },
            members: [{ iin: TOUR_FAMILY.head.iin }, { iin: TOUR_FAMILY.child.iin }],
          },
          {
            familyId: 'fam-astana-1',
            city: 'Astana',
            aspOnDate: '2026-03-31',
            head: { iin: TOUR_FAMILY.child.iin },
            members: [{ iin: TOUR_FAMILY.child.iin }],
          },
        ],
      },
    }),
  );
  await http.send(http.api.POST('/v1/shop/balance', { headers: bearer(demo.tokens.MERCHANT_TOKEN!), body: { token: 'an-expired-or-forged-qr' } }));
  await http.send(http.api.GET('/v1/ministry/outcomes', { headers: bearer(demo.tokens.OPERATOR_TOKEN!) }));
  await demo.driver.settle();
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`dashboard:screenshots: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exit(1);
  },
);
