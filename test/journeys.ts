/**
 * Short journeys through the real HTTP door that many API tests need as a "given": a family with
 * active food vouchers and a fresh QR token; a pupil with an active meal voucher.
 */
import { makeIin } from '../domain/shared/iin';
import type { TestSystem } from './system';

const sdu = { role: 'sdu', sub: 'sdu-test' } as const;
const nobd = { role: 'nobd', sub: 'nobd-test' } as const;
const gateway = { role: 'sms-gateway', sub: 'gw-test' } as const;

/**
 * A family of one in Kokshetau with its March 2026 voucher active; `qr()` issues a fresh token.
 * The clock must be on or after 2026-03-05 (the start SMS day) and inside March.
 */
export async function activeFoodFamily(t: TestSystem, familyId: string, serial: number): Promise<{ qr: () => Promise<string> }> {
  const head = makeIin('1980-05-05', 'female', serial);
  const phone = `+7701${String(serial).padStart(7, '0')}`;
  await t.system.phones.load([[head, phone]]);
  const list = await t.call('POST', '/v1/lists/food-vouchers', {
    token: await t.token(sdu),
    body: {
      listId: `sdu-${familyId}`,
      month: '2026-03',
      rows: [{ familyId, city: 'kokshetau', aspOnDate: '2026-02-28', head: { iin: head }, members: [{ iin: head }] }],
    },
  });
  if (list.status !== 201 || list.body.accepted !== 1) throw new Error(`list: ${list.status} ${list.text}`);
  // The start SMS goes out on the 5th (a deadline); the reply is matched to the case by phone (a read model).
  await t.system.scheduler.tick();
  await t.settle();
  const reply = await t.call('POST', '/v1/sms/inbound', {
    token: await t.token(gateway),
    body: { phone, text: '21*1', receivedAt: t.clock.now().toISOString() },
  });
  if (reply.body.outcome !== 'consent_given') throw new Error(`reply: ${reply.text}`);
  const citizen = await t.token({ role: 'citizen', sub: `c-${familyId}`, familyId, personId: t.system.vault.pseudonymise(head) });
  const activated = await t.call('POST', '/v1/me/food-vouchers/2026-03/activate', { token: citizen });
  if (activated.status !== 200 || activated.body.activated.length !== 1) throw new Error(`activate: ${activated.text}`);
  const voucherId = activated.body.activated[0] as string;
  return {
    qr: async () => {
      const answer = await t.call('POST', `/v1/me/vouchers/${encodeURIComponent(voucherId)}/qr`, { token: citizen });
      if (answer.status !== 201) throw new Error(`qr: ${answer.text}`);
      return answer.body.token as string;
    },
  };
}

/** A primary-grade pupil (no consent SMS) of `schoolId` with an active meal voucher; returns the pupil's IIN. */
export async function activeMealPupil(
  t: TestSystem,
  schoolId: string,
  familyId: string,
  serial: number,
  listMonth = '2026-03',
): Promise<{ iin: string; pupilId: string; voucherId: string }> {
  const iin = makeIin('2018-03-03', 'male', serial);
  const mother = makeIin('1990-03-03', 'female', serial);
  const list = await t.call('POST', '/v1/lists/school-meals', {
    token: await t.token(nobd),
    body: {
      listId: `nobd-${schoolId}-${familyId}`,
      month: listMonth,
      schoolYear: '2025-2026',
      schoolId,
      region: 'akmola',
      rows: [
        { familyId, pupil: { iin }, schoolId, grade: 2, category: 'asp_family', approvedByHead: true, representatives: [{ iin: mother, role: 'mother' }] },
      ],
    },
  });
  if (list.status !== 201 || list.body.accepted !== 1) throw new Error(`meals list: ${list.status} ${list.text}`);
  await t.settle();
  const citizen = await t.token({ role: 'citizen', sub: `c-${familyId}`, familyId, personId: t.system.vault.pseudonymise(mother) });
  const mine = await t.call('GET', '/v1/me/vouchers', { token: citizen });
  const voucher = (mine.body.vouchers as { program: string; voucherId: string }[]).find((v) => v.program === 'school-meals');
  if (!voucher) throw new Error(`no meal voucher: ${mine.text}`);
  const activated = await t.call('POST', `/v1/me/vouchers/${encodeURIComponent(voucher.voucherId)}/activate`, { token: citizen });
  if (activated.status !== 200) throw new Error(`activate: ${activated.text}`);
  return { iin, pupilId: t.system.vault.pseudonymise(iin), voucherId: voucher.voucherId };
}
