/**
 * Ratings and complaints to e-Otinish over real HTTP both ways: the citizen submits to the API,
 * the outbox (run by the scheduler) forwards to a stand-in e-Otinish the test starts. Routed to
 * the addressee the seeds name, about the shop or the canteen; the text only in the vault; every
 * appeal reaches e-Otinish exactly once, also when it failed the first tries or its answer was
 * lost; the citizen sees where each one is.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streams } from '../domain/events';
import { addSeconds } from '../domain/shared/calendar';
import { appendAll, item } from '../test/projections/harness';
import { startTestSystem, type TestSystem } from '../test/system';
import { startTestEotinish, type TestEotinish } from '../simulators/eotinish-server';

let t: TestSystem;
let eotinish: TestEotinish;
const START = '2026-03-10T06:00:00.000Z';
const FOOD = 'fv~fam-pav~2026-03~1';
const AKKOL = 'fv~fam-akk~2026-03~1';
const MEALS = 'mv~pupil-m~2025-2026';
const citizen = (familyId: string) => ({ role: 'citizen', sub: `c-${familyId}`, familyId, personId: `p-${familyId}` }) as const;

function foodWallet(familyId: string, city: string, region: string, voucherId: string) {
  const stream = streams.food(familyId, '2026-03');
  return [
    item(
      stream,
      {
        type: 'FoodVouchersIssued',
        data: {
          familyId,
          month: '2026-03',
          city,
          region,
          mrpTiyn: 432_500,
          vouchers: [{ voucherId, memberPersonId: `p-${familyId}`, amountTiyn: 432_500 }],
          totalTiyn: 432_500,
          activationUntil: '2026-03-31',
          caseId: `case-${familyId}`,
          issuedAt: '2026-03-05T05:00:00.000Z',
        },
      },
      '2026-03-05T05:00:00.000Z',
      familyId,
    ),
    item(
      stream,
      { type: 'FoodVoucherActivated', data: { voucherId, byPersonId: `p-${familyId}`, activatedAt: '2026-03-05T06:00:00.000Z' } },
      '2026-03-05T06:00:00.000Z',
      familyId,
    ),
    item(
      stream,
      {
        type: 'FoodPurchaseAuthorized',
        data: {
          holdId: `h-${familyId}`,
          shopId: `shop-${city}-1`,
          basketTiyn: 1000,
          eligibleTiyn: 1000,
          heldTiyn: 1000,
          allocations: [{ voucherId, amountTiyn: 1000 }],
          lines: [
            { sku: '2000000000001', name: 'flour', category: 'wheat_flour', quantity: 1, unit: 'pcs', unitPriceTiyn: 1000, lineTiyn: 1000, eligible: true },
          ],
          expiresAt: '2026-03-06T10:15:00.000Z',
          authorizedAt: '2026-03-06T10:00:00.000Z',
        },
      },
      '2026-03-06T10:00:00.000Z',
      familyId,
    ),
  ];
}
const mealVoucher = item(
  streams.meals('pupil-m', '2025-2026'),
  {
    type: 'MealVoucherIssued',
    data: {
      voucherId: MEALS,
      pupilId: 'pupil-m',
      familyId: 'fam-m',
      schoolId: 'school-7',
      region: 'akmola',
      grade: 7,
      category: 'asp_family',
      schoolYear: '2025-2026',
      validFrom: '2025-09-01',
      validUntil: '2026-05-31',
      viaConsent: true,
      caseId: 'case-m',
      issuedAt: '2026-03-02T05:00:00.000Z',
    },
  },
  '2026-03-02T05:00:00.000Z',
  'fam-m',
);

async function submit(familyId: string, body: Record<string, unknown>, idempotencyKey?: string) {
  return t.call('POST', '/v1/me/feedback', { token: await t.token(citizen(familyId)), body, ...(idempotencyKey ? { idempotencyKey } : {}) });
}
async function mine(familyId: string) {
  return (await t.call('GET', '/v1/me/feedback', { token: await t.token(citizen(familyId)) })).body.feedback as {
    feedbackId: string;
    status: string;
    attempts: number;
    eotinishRef?: string;
    nextAttemptAt?: string;
  }[];
}
/** The scheduler's pass at `at`: deadlines, then the e-Otinish outbox. */
async function pass(at: string) {
  t.clock.set(at);
  await t.system.scheduler.tick();
  await t.settle();
}

beforeAll(async () => {
  eotinish = await startTestEotinish();
  t = await startTestSystem(START, { env: { EOTINISH_URL: eotinish.url, EOTINISH_TIMEOUT_MS: '300' } });
  await appendAll(t.system.store, [...foodWallet('fam-pav', 'pavlodar', 'pavlodar', FOOD), ...foodWallet('fam-akk', 'akkol', 'akmola', AKKOL), mealVoucher]);
  await t.system.vault.upsertPerson({ iin: '900101300417' });
});
afterAll(async () => {
  await t?.close();
  await eotinish?.close();
});

describe('a complaint about a shop in Pavlodar', () => {
  let feedbackId = '';
  it('is recorded at once, addressed to the akimat of Pavlodar region, about the shop of the purchase named', async () => {
    const answer = await submit(
      'fam-pav',
      { program: 'food-vouchers', voucherId: FOOD, holdId: 'h-fam-pav', kind: 'complaint', text: 'Мука была просрочена, кассир Айдос' },
      'complaint-1',
    );
    // Nothing but the request's debug line: no warning, no error, and never the text.
    expect([answer.status, t.logged.filter((line) => !line.includes('"level":"debug"'))]).toEqual([201, []]);
    expect(t.logged.join('\n')).not.toContain('просрочена');
    expect(answer.body).toMatchObject({
      status: 'pending',
      addressee: { code: 'akimat:pavlodar', name: 'Акимат Павлодарской области' },
      concerns: { shopId: 'shop-pavlodar-1' },
    });
    feedbackId = answer.body.feedbackId;
    const again = await submit(
      'fam-pav',
      { program: 'food-vouchers', voucherId: FOOD, holdId: 'h-fam-pav', kind: 'complaint', text: 'Мука была просрочена, кассир Айдос' },
      'complaint-1',
    );
    expect(again.body.feedbackId).toBe(feedbackId);
    const events = await t.system.store.readStream(streams.feedback('fam-pav'));
    expect(events.map((e) => e.type)).toEqual(['FeedbackSubmitted']);
    const { rows } = await t.system.pool.query<{ data: string }>('select data::text from events');
    expect(rows.map((r) => r.data).join('\n')).not.toContain('просрочена');
  });

  it('reaches e-Otinish exactly once although e-Otinish failed the first two tries, backing off between them', async () => {
    eotinish.failNext(2);
    await pass(START);
    let view = (await mine('fam-pav'))[0]!;
    expect(view).toMatchObject({ status: 'pending', attempts: 1, nextAttemptAt: addSeconds(START, 60) });
    await pass(addSeconds(START, 30)); // not due yet: no try
    expect(eotinish.requests.get(feedbackId)).toBe(1);
    await pass(addSeconds(START, 60));
    view = (await mine('fam-pav'))[0]!;
    expect(view).toMatchObject({ status: 'pending', attempts: 2, nextAttemptAt: addSeconds(START, 60 + 120) });
    await pass(addSeconds(START, 180));
    view = (await mine('fam-pav'))[0]!;
    expect(view).toMatchObject({ status: 'forwarded', attempts: 3, eotinishRef: eotinish.appeals.get(feedbackId)!.ref });
    expect(eotinish.requests.get(feedbackId)).toBe(3);
    expect([...eotinish.appeals.keys()].filter((k) => k === feedbackId)).toHaveLength(1);
    expect(eotinish.appeals.get(feedbackId)).toMatchObject({
      kind: 'complaint',
      text: 'Мука была просрочена, кассир Айдос',
      addressee: { code: 'akimat:pavlodar' },
      concerns: { shopId: 'shop-pavlodar-1', voucherId: FOOD },
    });
    await pass(addSeconds(START, 3600)); // forwarded: never sent again
    expect(eotinish.requests.get(feedbackId)).toBe(3);
  });

  it('the family’s history shows the submission and the forwarding', async () => {
    const history = await t.call('GET', '/v1/me/history', { token: await t.token(citizen('fam-pav')) });
    const types = history.body.events.map((e: { type: string }) => e.type);
    expect(types).toEqual(expect.arrayContaining(['FeedbackSubmitted', 'FeedbackForwardFailed', 'FeedbackForwarded']));
  });
});

describe('routing and delivery', () => {
  it('a rating of a canteen goes to the local education body, about the school', async () => {
    const answer = await submit('fam-m', { program: 'school-meals', voucherId: MEALS, kind: 'rating', rating: 4 });
    expect(answer.body).toMatchObject({ addressee: { code: 'education-authority:akmola' }, concerns: { schoolId: 'school-7' } });
  });

  it('a complaint from Akkol goes to the akimat of Akmola region', async () => {
    const answer = await submit('fam-akk', { program: 'food-vouchers', voucherId: AKKOL, kind: 'complaint', text: 'нет муки' });
    expect(answer.body.addressee).toEqual({ code: 'akimat:akmola', name: 'Акимат Акмолинской области' });
  });

  it('an answer lost on the way (timeout) is retried and e-Otinish keeps one appeal for it', async () => {
    const now = addSeconds(START, 4000);
    eotinish.swallowNext();
    await pass(now);
    await pass(addSeconds(now, 60));
    await pass(addSeconds(now, 180));
    const akkol = (await mine('fam-akk'))[0]!;
    const meals = (await mine('fam-m'))[0]!;
    for (const view of [akkol, meals]) expect(view.status).toBe('forwarded');
    const lost = [akkol, meals].find((v) => v.attempts === 2)!;
    expect(eotinish.requests.get(lost.feedbackId)).toBe(2);
    expect(eotinish.appeals.get(lost.feedbackId)!.ref).toBe(lost.eotinishRef);
    expect(eotinish.appeals.size).toBe(3);
  });

  it('a refusal by e-Otinish stops the tries and shows as not delivered', async () => {
    const answer = await submit('fam-m', { program: 'school-meals', voucherId: MEALS, kind: 'complaint', text: 'холодный обед' });
    eotinish.refuseNext(422);
    await pass(addSeconds(START, 8000));
    await pass(addSeconds(START, 80_000));
    const view = (await mine('fam-m')).find((v) => v.feedbackId === answer.body.feedbackId)!;
    expect(view).toMatchObject({ status: 'not_delivered', attempts: 1 });
    expect(eotinish.requests.get(answer.body.feedbackId)).toBe(1);
  });
});

describe('bad input', () => {
  it('answers clear errors and records nothing', async () => {
    const before = await t.eventCount();
    const cases: [string, string, Record<string, unknown>, number, string][] = [
      ['another family’s voucher', 'fam-akk', { program: 'food-vouchers', voucherId: FOOD, kind: 'rating', rating: 3 }, 404, 'voucher_not_found'],
      [
        'a purchase that is not theirs',
        'fam-pav',
        { program: 'food-vouchers', voucherId: FOOD, holdId: 'h-fam-akk', kind: 'rating', rating: 3 },
        404,
        'hold_not_found',
      ],
      [
        'a shop purchase on a meal voucher',
        'fam-m',
        { program: 'school-meals', voucherId: MEALS, holdId: 'h-1', kind: 'rating', rating: 3 },
        400,
        'validation_failed',
      ],
      ['no voucher named', 'fam-m', { program: 'school-meals', kind: 'rating', rating: 3 }, 400, 'validation_failed'],
      ['an empty complaint', 'fam-m', { program: 'school-meals', voucherId: MEALS, kind: 'complaint', text: '   ' }, 400, 'validation_failed'],
      ['the program does not match the voucher', 'fam-m', { program: 'food-vouchers', voucherId: MEALS, kind: 'rating', rating: 3 }, 404, 'voucher_not_found'],
    ];
    for (const [name, familyId, body, status, code] of cases) {
      const answer = await submit(familyId, body);
      expect([name, answer.status, answer.body.code]).toEqual([name, status, code]);
    }
    expect(await t.eventCount()).toBe(before);
  });
});

describe('forgetting the citizen', () => {
  it('erases the complaint’s text; the log never had it', async () => {
    expect(t.logged.join('\n')).not.toContain('кассир');
    const [complaint] = (await mine('fam-pav'))!;
    const ref = `feedback-text:${complaint!.feedbackId}`;
    expect(await t.system.vault.textOf(ref)).toBe('Мука была просрочена, кассир Айдос');
    await t.system.vault.forget('p-fam-pav');
    expect(await t.system.vault.textOf(ref)).toBeUndefined();
  });
});
