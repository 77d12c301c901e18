/** Fixed subjects and commands for consent tests (and the property tests). */
import type { ConsentEvent, FamilySubject, PupilSubject, Representative } from '../domain/events';
import { streams } from '../domain/events';
import type { CommandMetadata } from '../domain/shared/decider';
import type { ConsentCommand, OpenCase } from '../domain/consent/consent-case';

export const testMeta = (now: string, commandId = `cmd-${now}`): CommandMetadata => ({ commandId, now, actor: { role: 'test', id: 'test' } });

export const mother: Representative = { personId: 'p_mother', role: 'mother', hasPhone: true };
export const father: Representative = { personId: 'p_father', role: 'father', hasPhone: true };
export const guardian: Representative = { personId: 'p_guardian', role: 'guardian', hasPhone: true };
export const noPhone = (r: Representative): Representative => ({ ...r, hasPhone: false });

export const pupil = (grade = 7): PupilSubject => ({
  kind: 'pupil',
  pupilId: 'p_pupil',
  schoolId: 'school-1',
  grade,
  category: 'asp_family',
  schoolYear: '2025-2026',
  region: 'akmola',
});
export const family = (month = '2026-03'): FamilySubject => ({ kind: 'family', month, city: 'kokshetau', region: 'akmola', members: ['p_head', 'p_child'] });

export const MEALS_CASE = streams.consentMeals('p_pupil', '2025-2026');
export const FOOD_CASE = streams.consentFood('fam-1', '2026-03');

export function openMeals(now: string, opts: { grade?: number; representatives?: Representative[]; language?: 'ru' | 'kk' } = {}): OpenCase {
  return {
    type: 'OpenCase',
    data: {
      caseId: MEALS_CASE,
      program: 'school-meals',
      familyId: 'fam-1',
      subject: pupil(opts.grade),
      representatives: opts.representatives ?? [father, mother],
      listId: 'list-1',
      rowNo: 1,
      ...(opts.language ? { language: opts.language } : {}),
    },
    metadata: testMeta(now),
  };
}
export function openFood(now: string, opts: { representatives?: Representative[]; month?: string; language?: 'ru' | 'kk' } = {}): OpenCase {
  const month = opts.month ?? '2026-03';
  return {
    type: 'OpenCase',
    data: {
      caseId: streams.consentFood('fam-1', month),
      program: 'food-vouchers',
      familyId: 'fam-1',
      subject: family(month),
      representatives: opts.representatives ?? [{ personId: 'p_head', role: 'guardian', hasPhone: true }],
      listId: 'sdu-1',
      rowNo: 1,
      ...(opts.language ? { language: opts.language } : {}),
    },
    metadata: testMeta(now),
  };
}
export const reply = (text: string, receivedAt: string, fromPersonId = 'p_mother'): ConsentCommand => ({
  type: 'ReceiveReply',
  data: { text, receivedAt, fromPersonId },
  metadata: testMeta(receivedAt, `reply-${receivedAt}-${text}`),
});
export const fire = (caseId: string, which: 'request' | 'reminder' | 'timeout', now: string): ConsentCommand => ({
  type: 'FireDeadline',
  data: { deadlineId: `${caseId}:${which}`, kind: `consent_${which}` as const },
  metadata: testMeta(now, `deadline:${caseId}:${which}`),
});
export const delivery = (messageId: string, status: 'sent' | 'failed', at: string, reason?: string): ConsentCommand => ({
  type: 'RecordDelivery',
  data: { messageId, status, at, ...(reason ? { reason } : {}) },
  metadata: testMeta(at, `dlr-${messageId}-${at}`),
});
export type { ConsentEvent };
