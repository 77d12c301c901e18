import { describe, expect, it } from 'vitest';
import type { PersonMonthEvent } from '../events';
import { streams } from '../events';
import { given, meta } from '../../test/given';
import { personMonth, type ClaimPersonMonth } from './person-month';

const NOW = '2026-03-04T04:00:00.000Z';
const CASE = streams.consentFood('fam-1', '2026-03');
const claim = (caseId: string, familyId = 'fam-1'): ClaimPersonMonth => ({
  type: 'ClaimPersonMonth',
  data: { personId: 'p_kid', month: '2026-03', familyId, caseId, listId: 'sdu-1', rowNo: 3 },
  metadata: meta(NOW),
});
const claimed: PersonMonthEvent = {
  type: 'PersonMonthClaimed',
  data: { personId: 'p_kid', month: '2026-03', familyId: 'fam-1', caseId: CASE, listId: 'sdu-1', rowNo: 3, at: NOW },
};

describe('person-month index (one voucher per person per month across lists; seed 004 p. 4, 2.5)', () => {
  it('claims a person for the family’s case of the month', () => {
    given(personMonth).when(claim(CASE)).then([claimed]);
  });
  it('a re-sent list claiming the same case again records nothing', () => {
    given(personMonth, [claimed]).when(claim(CASE)).then([]);
  });
  it('another case claiming a claimed person is a bug upstream (the list decider refuses it first)', () => {
    expect(() =>
      given(personMonth, [claimed])
        .when(claim(streams.consentFood('fam-9', '2026-03'), 'fam-9'))
        .events(),
    ).toThrow(/fam-1/);
  });
  it('folds to the claiming family and case', () => {
    given(personMonth, [claimed])
      .when(claim(CASE))
      .thenState((state) => expect(state.claim).toEqual({ familyId: 'fam-1', caseId: CASE }));
  });
});
