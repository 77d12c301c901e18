import { describe, expect, it } from 'vitest';
import type { FoodConsentEvent } from '../events';
import { streams } from '../events';
import { fold } from '../shared/decider';
import { given, meta } from '../../test/given';
import { foodConsent, standingFor, type RecordStandingConsent } from './standing-consent';

const NOW = '2026-03-06T04:00:00.000Z';
const MARCH = streams.consentFood('fam-1', '2026-03');
const record = (caseId: string, month: string): RecordStandingConsent => ({
  type: 'RecordStandingConsent',
  data: { familyId: 'fam-1', caseId, month, byPersonId: 'p_head' },
  metadata: meta(NOW),
});
const recorded = (caseId: string, month: string): FoodConsentEvent => ({
  type: 'StandingConsentRecorded',
  data: { familyId: 'fam-1', caseId, month, byPersonId: 'p_head', at: NOW },
});

describe('standing food consent (seed 004 annex: «действует в период оказания указанной услуги»)', () => {
  it('records a consent given in a month’s case once', () => {
    given(foodConsent)
      .when(record(MARCH, '2026-03'))
      .then([recorded(MARCH, '2026-03')]);
    given(foodConsent, [recorded(MARCH, '2026-03')])
      .when(record(MARCH, '2026-03'))
      .then([]);
  });
  it('stands for the later months only: not for its own month nor an earlier one', () => {
    const state = fold(foodConsent, [recorded(MARCH, '2026-03')]);
    expect(standingFor(state, '2026-02')).toBeUndefined();
    expect(standingFor(state, '2026-03')).toBeUndefined();
    expect(standingFor(state, '2026-04')).toEqual({ caseId: MARCH, month: '2026-03', byPersonId: 'p_head' });
  });
  it('the latest earlier consent stands, whatever order the months were recorded in', () => {
    const january = streams.consentFood('fam-1', '2026-01');
    const state = fold(foodConsent, [recorded(MARCH, '2026-03'), recorded(january, '2026-01')]);
    expect(standingFor(state, '2026-04')?.caseId).toBe(MARCH);
    expect(standingFor(state, '2026-02')?.caseId).toBe(january);
  });
});
