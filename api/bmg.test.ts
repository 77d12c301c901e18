/**
 * BMG's phone loads over real HTTP against the real system: open → chunks (JSON and CSV) →
 * complete; a bad-input table answered with clear errors where nothing is lost or doubled; the
 * phone check at list time uses the completed load and the case records which; a full load drops
 * the numbers it no longer lists. Numbers never reach events, answers or logs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeIin } from '../domain/shared/iin';
import { startTestSystem, type TestSystem } from '../test/system';

let t: TestSystem;
beforeAll(async () => {
  t = await startTestSystem('2026-03-02T04:00:00.000Z');
});
afterAll(async () => t?.close());

const bmg = { role: 'bmg', sub: 'bmg-nit' } as const;
const sdu = { role: 'sdu', sub: 'sdu-akmola' } as const;
const heads = Array.from({ length: 6 }, (_, i) => makeIin('1988-03-01', i % 2 ? 'male' : 'female', 700 + i));
const phone = (i: number) => `+7 701 555 ${String(1000 + i).slice(0, 2)} ${String(1000 + i).slice(2)}`;
const spoilt = `${heads[0]!.slice(0, 11)}${(Number(heads[0]![11]) + 1) % 10}`;

async function directoryRows(): Promise<number> {
  const { rows } = await t.system.pool.query<{ n: string }>('select count(*)::text as n from bmg_directory');
  return Number(rows[0]!.n);
}

describe('a BMG load, chunk by chunk', () => {
  it('opens a load with its freshness stamp; the same again is 200, another stamp 409', async () => {
    const token = await t.token(bmg);
    const opened = await t.call('PUT', '/v1/bmg/loads/bmg-2026-03-01', { token, body: { asOf: '2026-03-01T00:00:00Z', mode: 'full' } });
    expect([opened.status, opened.body.status, opened.body.chunks]).toEqual([201, 'receiving', []]);
    const again = await t.call('PUT', '/v1/bmg/loads/bmg-2026-03-01', { token, body: { asOf: '2026-03-01T00:00:00Z', mode: 'full' } });
    expect(again.status).toBe(200);
    const other = await t.call('PUT', '/v1/bmg/loads/bmg-2026-03-01', { token, body: { asOf: '2026-03-02T00:00:00Z', mode: 'full' } });
    expect([other.status, other.body.code]).toEqual([409, 'load_already_opened_with_different_header']);
  });

  it('applies a JSON chunk row by row; a resent chunk answers its first receipt and changes nothing', async () => {
    const token = await t.token(bmg);
    const body = {
      rows: [
        { iin: heads[0], phone: phone(0) },
        { iin: spoilt, phone: phone(9) },
        { iin: heads[1], phone: '12345' },
        { iin: heads[0], phone: phone(8) },
      ],
    };
    const first = await t.call('PUT', '/v1/bmg/loads/bmg-2026-03-01/chunks/1', { token, body });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({
      loadId: 'bmg-2026-03-01',
      chunkNo: 1,
      rows: 4,
      applied: 1,
      repeated: false,
      rejected: [
        { line: 2, code: 'invalid_iin', detail: 'check_digit' },
        { line: 3, code: 'invalid_phone', detail: expect.any(String) },
        { line: 4, code: 'duplicate_row', detail: 'same IIN as line 1' },
      ],
    });
    const events = await t.eventCount();
    const again = await t.call('PUT', '/v1/bmg/loads/bmg-2026-03-01/chunks/1', { token, body });
    expect(again.body).toEqual({ ...first.body, repeated: true });
    const changed = await t.call('PUT', '/v1/bmg/loads/bmg-2026-03-01/chunks/1', { token, body: { rows: [{ iin: heads[0], phone: phone(7) }] } });
    expect([changed.status, changed.body.code]).toEqual([409, 'chunk_already_received_with_different_content']);
    expect(await directoryRows()).toBe(1);
    expect(await t.eventCount()).toBe(events);
  });

  it('reads a CSV chunk (any column order, a BOM, Cyrillic header aside), naming broken lines and applying the rest', async () => {
    const csv = `\ufeffphone,iin,comment\r\n${phone(1)},${heads[1]},ok\r\n${phone(2)},${heads[2]}\r\n${phone(3)},${heads[3]},"запятая, внутри"\r\n`;
    const answer = await t.call('PUT', '/v1/bmg/loads/bmg-2026-03-01/chunks/2', { token: await t.token(bmg), raw: csv, contentType: 'text/csv' });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ rows: 3, applied: 2, rejected: [{ line: 3, code: 'malformed_row' }] });
    expect(answer.text).not.toContain(heads[2]!);
  });

  it('answers a bad-input table with clear errors and applies nothing from a refused chunk', async () => {
    const token = await t.token(bmg);
    const before = await directoryRows();
    const win1251 = Buffer.concat([Buffer.from(`iin,phone,имя\n${heads[4]},${phone(4)},`), Buffer.from([0xc0, 0xe9, 0xe3, 0xe5, 0xf0, 0xe8, 0xec, 0x0a])]);
    const cases: [string, string, Parameters<TestSystem['call']>[2], number, string][] = [
      [
        'unclosed quote',
        '/v1/bmg/loads/bmg-2026-03-01/chunks/3',
        { raw: `iin,phone\n"${heads[4]},${phone(4)}\n`, contentType: 'text/csv' },
        400,
        'validation_failed',
      ],
      ['no header', '/v1/bmg/loads/bmg-2026-03-01/chunks/3', { raw: `${heads[4]},${phone(4)}\n`, contentType: 'text/csv' }, 400, 'validation_failed'],
      ['windows-1251 sent as UTF-8', '/v1/bmg/loads/bmg-2026-03-01/chunks/3', { raw: win1251, contentType: 'text/csv' }, 415, 'unsupported_media_type'],
      ['an XML body', '/v1/bmg/loads/bmg-2026-03-01/chunks/3', { raw: '<rows/>', contentType: 'application/xml' }, 415, 'unsupported_media_type'],
      [
        'a row with an extra field',
        '/v1/bmg/loads/bmg-2026-03-01/chunks/3',
        { body: { rows: [{ iin: heads[4], phone: phone(4), name: 'x' }] } },
        400,
        'validation_failed',
      ],
      ['chunk 0', '/v1/bmg/loads/bmg-2026-03-01/chunks/0', { body: { rows: [] } }, 400, 'validation_failed'],
      ['an unknown load', '/v1/bmg/loads/never-opened/chunks/1', { body: { rows: [{ iin: heads[4], phone: phone(4) }] } }, 404, 'load_not_found'],
    ];
    for (const [name, path, options, status, code] of cases) {
      const answer = await t.call('PUT', path, { token, ...options });
      expect([name, answer.status, answer.body.code]).toEqual([name, status, code]);
    }
    const wrongRole = await t.call('PUT', '/v1/bmg/loads/bmg-2026-03-01/chunks/3', { token: await t.token(sdu), body: { rows: [] } });
    expect(wrongRole.status).toBe(403);
    expect(await directoryRows()).toBe(before);
  });

  it('takes the same bytes in windows-1251 when the charset says so', async () => {
    const win1251 = Buffer.concat([Buffer.from(`iin,phone,имя\n${heads[4]},${phone(4)},`), Buffer.from([0xc0, 0xe9, 0xe3, 0xe5, 0xf0, 0xe8, 0xec, 0x0a])]);
    const answer = await t.call('PUT', '/v1/bmg/loads/bmg-2026-03-01/chunks/3', {
      token: await t.token(bmg),
      raw: win1251,
      contentType: 'text/csv; charset=windows-1251',
    });
    expect(answer.body).toMatchObject({ applied: 1, rejected: [] });
  });

  it('refuses to complete with a chunk missing, naming it; completes once every chunk is in', async () => {
    const token = await t.token(bmg);
    const early = await t.call('POST', '/v1/bmg/loads/bmg-2026-03-01/complete', { token, body: { chunks: 4 } });
    expect([early.status, early.body.code]).toEqual([409, 'load_incomplete']);
    expect(early.body.detail).toContain('4');
    const status = await t.call('GET', '/v1/bmg/loads/bmg-2026-03-01', { token });
    expect(status.body).toMatchObject({ status: 'receiving', chunks: [1, 2, 3], rowsApplied: 4, rowsRejected: 4 });
    const done = await t.call('POST', '/v1/bmg/loads/bmg-2026-03-01/complete', { token, body: { chunks: 3 } });
    expect(done.body).toMatchObject({ status: 'completed', chunkCount: 3, removed: 0 });
    const again = await t.call('POST', '/v1/bmg/loads/bmg-2026-03-01/complete', { token, body: { chunks: 3 } });
    expect(again.body).toEqual(done.body);
    const late = await t.call('PUT', '/v1/bmg/loads/bmg-2026-03-01/chunks/4', { token, body: { rows: [{ iin: heads[5], phone: phone(5) }] } });
    expect([late.status, late.body.code]).toEqual([409, 'load_already_completed']);
  });
});

describe('the phone check at list time', () => {
  const listRow = (i: number) => ({
    familyId: `fam-bmg-${i}`,
    city: 'Kokshetau',
    aspOnDate: '2026-02-28',
    head: { iin: heads[i] },
    members: [{ iin: heads[i] }],
  });

  it('uses the completed load and records which one in the case and the receipt; numbers stay out of events', async () => {
    const answer = await t.call('POST', '/v1/lists/food-vouchers', {
      token: await t.token(sdu),
      body: { listId: 'sdu-bmg-1', month: '2026-03', rows: [listRow(0), listRow(5)] },
    });
    expect(answer.status).toBe(201);
    expect(answer.body.phoneDirectory).toEqual({ source: 'bmg-load', loadId: 'bmg-2026-03-01', asOf: '2026-03-01T00:00:00.000Z' });
    const withPhone = await t.system.store.readStream(answer.body.rows[0].caseStream);
    const opened = withPhone.find((e) => e.type === 'ConsentCaseOpened')!.data as {
      phoneCheck: unknown;
      representatives: { hasPhone: boolean; phoneFrom?: string }[];
    };
    expect(opened.phoneCheck).toEqual({
      source: 'bmg-load',
      loadId: 'bmg-2026-03-01',
      asOf: '2026-03-01T00:00:00.000Z',
      checkedAt: '2026-03-02T04:00:00.000Z',
    });
    expect(opened.representatives[0]).toMatchObject({ hasPhone: true, phoneFrom: 'load:bmg-2026-03-01' });
    const noPhone = await t.system.store.readStream(answer.body.rows[1].caseStream);
    expect(noPhone.map((e) => e.type)).toContain('ConsentPhoneNotFound');
    const { rows } = await t.system.pool.query<{ data: string }>('select data::text from events');
    const log = rows.map((r) => r.data).join('\n') + t.logged.join('\n');
    expect(log).not.toMatch(/701555/);
  });

  it('a full load completed later drops the numbers it does not list', async () => {
    const token = await t.token(bmg);
    await t.call('PUT', '/v1/bmg/loads/bmg-2026-03-02', { token, body: { asOf: '2026-03-02T00:00:00Z', mode: 'full' } });
    await t.call('PUT', '/v1/bmg/loads/bmg-2026-03-02/chunks/1', { token, body: { rows: [{ iin: heads[2], phone: phone(2) }] } });
    const done = await t.call('POST', '/v1/bmg/loads/bmg-2026-03-02/complete', { token, body: { chunks: 1 } });
    expect(done.body).toMatchObject({ status: 'completed', removed: 4 });
    const answer = await t.call('POST', '/v1/lists/food-vouchers', {
      token: await t.token(sdu),
      body: { listId: 'sdu-bmg-2', month: '2026-03', rows: [listRow(1), listRow(2)] },
    });
    expect(answer.body.phoneDirectory.loadId).toBe('bmg-2026-03-02');
    const [dropped, kept] = await Promise.all((answer.body.rows as { caseStream: string }[]).map((r) => t.system.store.readStream(r.caseStream)));
    expect(dropped!.map((e) => e.type)).toContain('ConsentPhoneNotFound');
    // Before the 5th the start SMS waits (a deadline): the case is open, not ended for want of a phone.
    expect(kept!.map((e) => e.type)).toEqual(['ConsentCaseOpened', 'DeadlineScheduled']);
  });

  it('imports tens of thousands of rows in chunks', async () => {
    const token = await t.token(bmg);
    const many = Array.from(
      { length: 20_000 },
      (_, i) => [makeIin('1970-01-01', i % 2 ? 'male' : 'female', i % 9_000), `+7702${String(i).padStart(7, '0')}`] as const,
    );
    await t.call('PUT', '/v1/bmg/loads/bmg-bulk', { token, body: { asOf: '2026-03-02T01:00:00Z', mode: 'delta' } });
    for (let k = 0; k < 2; k++) {
      const csv = `iin,phone\n${many
        .slice(k * 10_000, (k + 1) * 10_000)
        .map(([iin, p]) => `${iin},${p}`)
        .join('\n')}\n`;
      const answer = await t.call('PUT', `/v1/bmg/loads/bmg-bulk/chunks/${k + 1}`, { token, raw: csv, contentType: 'text/csv' });
      expect(answer.status).toBe(200);
    }
    const done = await t.call('POST', '/v1/bmg/loads/bmg-bulk/complete', { token, body: { chunks: 2 } });
    // makeIin's serials repeat every 9,000 per sex: the later number of a repeated IIN is a duplicate row.
    expect(done.body.rowsApplied + done.body.rowsRejected).toBe(20_000);
    expect(done.body.rowsApplied).toBe(18_000);
  });
});
