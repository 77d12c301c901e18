import { describe, expect, it } from 'vitest';
import { DomainError } from '../../domain/shared/errors';
import { createLogger, REDACTED, safeError } from './logger';

const captured = () => {
  const lines: string[] = [];
  return { logger: createLogger({ level: 'debug', destination: { write: (line: string) => void lines.push(line) } }), lines };
};

describe('the logger’s own redaction', () => {
  it('censors the keys of personal data and credentials wherever a logged object holds them', () => {
    const { logger, lines } = captured();
    logger.info(
      {
        iin: '900101300123',
        req: { headers: { authorization: 'Bearer abc' } },
        rows: [{ head: { fullName: 'Әсел', phone: '+77010000001' } }],
        complaint: { text: 'plain words' },
        familyId: 'fam-1',
      },
      'x',
    );
    const line = JSON.parse(lines[0]!);
    expect(line).toMatchObject({
      iin: REDACTED,
      req: { headers: { authorization: REDACTED } },
      rows: [{ head: { fullName: REDACTED, phone: REDACTED } }],
      complaint: { text: REDACTED },
      familyId: 'fam-1',
    });
    expect(lines[0]).not.toMatch(/900101300123|Әсел|7010000001|abc|plain words/);
  });
  it('writes level names and ISO times', () => {
    const { logger, lines } = captured();
    logger.warn('w');
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'warn', time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), msg: 'w' });
  });
});

describe('an error in the log', () => {
  it('from the database shows its SQLSTATE and the names of what failed, never its message or detail (they quote values)', () => {
    const error = Object.assign(new Error('duplicate key value violates unique constraint "vault_people_iin_key"'), {
      code: '23505',
      severity: 'ERROR',
      detail: 'Key (iin)=(900101300123) already exists.',
      table: 'vault_people',
      constraint: 'vault_people_iin_key',
    });
    const shown = safeError(error);
    expect(shown).toMatchObject({ type: 'Error', code: '23505', table: 'vault_people', constraint: 'vault_people_iin_key' });
    expect(shown.message).toBeUndefined();
    expect(JSON.stringify(shown)).not.toContain('900101300123');
  });
  it('of our own shows its code and message, digits that look like an IIN or a phone masked', () => {
    expect(safeError(new DomainError('voucher_not_found', 'fv~fam-1~2026-03~1'))).toMatchObject({
      type: 'DomainError',
      code: 'voucher_not_found',
      message: expect.stringContaining('fv~fam-1~2026-03~1'),
    });
    expect(safeError(new Error('invariant violated: row of 900101300123')).message).toBe('invariant violated: row of [redacted]');
  });
  it('from Node shows its code and message (addresses, not people); anything else its type alone', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED', syscall: 'connect' });
    expect(safeError(refused)).toMatchObject({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:5432' });
    expect(safeError(new TypeError('Cannot read x of Айгерим')).message).toBeUndefined();
    expect(safeError('a string')).toEqual({ type: 'string' });
  });
});
