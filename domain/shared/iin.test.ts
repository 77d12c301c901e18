import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { iinCheckDigit, makeIin, parseIin } from './iin';

describe('parseIin', () => {
  it('accepts a valid IIN and reads birth date and sex (century digit 3 → 1900s, odd → male)', () => {
    // 8·7+7·2+0+4·4+1·5+2·6+3·7+0+0+4·10+1·11 = 176+… → 6 (mod 11)
    expect(parseIin('870412300416')).toEqual({ ok: true, iin: '870412300416', birthDate: '1987-04-12', sex: 'male' });
  });
  it('tolerates surrounding spaces', () => {
    expect(parseIin(' 870412300416 ').ok).toBe(true);
  });
  it('uses the second weights (3..11,1,2) when the first sum gives 10', () => {
    expect(iinCheckDigit('15050660000')).toBe(1);
    expect(parseIin('150506600001')).toEqual({ ok: true, iin: '150506600001', birthDate: '2015-05-06', sex: 'female' });
  });
  it('refuses a number whose both weightings give 10', () => {
    expect(iinCheckDigit('15050660190')).toBeUndefined();
    for (let d = 0; d <= 9; d++) expect(parseIin(`15050660190${d}`)).toEqual({ ok: false, reason: 'check_digit' });
  });
  it('refuses a wrong check digit', () => {
    expect(parseIin('870412300417')).toEqual({ ok: false, reason: 'check_digit' });
  });
  it('refuses a malformed number', () => {
    for (const bad of ['', '87041230041', '8704123004166', '87041230041a', '8704-12300416']) expect(parseIin(bad)).toEqual({ ok: false, reason: 'format' });
  });
  it('refuses century digits 0, 7, 8, 9', () => {
    for (const c of ['0', '7', '8', '9']) expect(parseIin(`870412${c}00416`)).toEqual({ ok: false, reason: 'century' });
  });
  it('refuses an impossible birth date (30 February, month 13)', () => {
    expect(parseIin('150230600001')).toEqual({ ok: false, reason: 'birth_date' });
    expect(parseIin('151301600001')).toEqual({ ok: false, reason: 'birth_date' });
  });
  it('reads the 1800s (digits 1/2) and 2000s (5/6)', () => {
    expect(parseIin(makeIin('1899-12-31', 'female', 7))).toMatchObject({ ok: true, birthDate: '1899-12-31', sex: 'female' });
    expect(parseIin(makeIin('2024-02-29', 'male', 7))).toMatchObject({ ok: true, birthDate: '2024-02-29', sex: 'male' });
  });
});

describe('makeIin', () => {
  it('skips a serial with no valid check digit', () => {
    expect(makeIin('2015-05-06', 'female', 190)).toBe('150506601911');
  });
  it('always makes a valid IIN with the asked birth date and sex (property)', () => {
    const date = fc.date({ min: new Date('1800-01-01T00:00:00Z'), max: new Date('2099-12-31T00:00:00Z'), noInvalidDate: true });
    fc.assert(
      fc.property(date, fc.constantFrom('male' as const, 'female' as const), fc.integer({ min: 0, max: 9999 }), (d, sex, serial) => {
        const birthDate = d.toISOString().slice(0, 10);
        const parsed = parseIin(makeIin(birthDate, sex, serial));
        expect(parsed).toEqual({ ok: true, iin: expect.any(String), birthDate, sex });
      }),
      { seed: 4, numRuns: 1000 },
    );
  });
  it('a changed check digit never passes (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 1, max: 9 }), (serial, delta) => {
        const iin = makeIin('2010-09-01', 'male', serial);
        expect(parseIin(iin.slice(0, 11) + String((Number(iin[11]) + delta) % 10))).toEqual({ ok: false, reason: 'check_digit' });
      }),
      { seed: 5, numRuns: 1000 },
    );
  });
});
