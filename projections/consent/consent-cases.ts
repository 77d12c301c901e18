/**
 * `consent_cases`: one row per consent case — program, family, open/closed with the outcome, the
 * representative the SMS went to, school or city. Routes an inbound SMS reply: phone → personIds
 * (vault) → this table → the case stream.
 */
import { type Projection, type Recorded, type Sql } from '../projection';
import { col, Rows } from '../shared/batch-sql';
import { roundsByKey } from '../shared/rounds';
import { CASE_ENDINGS } from './deadlines';
import type { Queryable } from './queries';

const ddl = `
create table consent_cases (
  case_stream         text primary key,
  case_id             text not null,
  program             text not null,
  family_id           text not null,
  status              text not null,
  outcome             text,
  recipient_person_id text,
  school_id           text,
  city                text,
  region              text not null,
  period              text not null,
  opened_at           timestamptz not null,
  closed_at           timestamptz
);
create index consent_cases_recipient on consent_cases (recipient_person_id, opened_at);
create index consent_cases_family on consent_cases (family_id);
`;

const OPENED = [
  col('case_stream', 'text'),
  col('case_id', 'text'),
  col('program', 'text'),
  col('family_id', 'text'),
  col('school_id', 'text'),
  col('city', 'text'),
  col('region', 'text'),
  col('period', 'text'),
  col('opened_at', 'timestamptz'),
];

/** How each closing event ends a case (the outcome, and when). */
const CLOSES: Readonly<Record<string, (e: Recorded) => [outcome: string, at: string]>> = {
  ConsentGiven: (e) => ['given', (e.data as { at: string }).at],
  ConsentRefused: (e) => ['refused', (e.data as { at: string }).at],
  ConsentTimedOut: (e) => ['timed_out', (e.data as { at: string }).at],
  ConsentUndeliverable: (e) => ['undeliverable', (e.data as { at: string }).at],
  ConsentPhoneNotFound: (e) => ['no_phone', e.metadata.recordedAt],
  ConsentNotRequired: (e) => ['not_required', e.metadata.recordedAt],
};

/** One round's statements (no case twice in a round, so their order does not matter). */
function roundSql(round: readonly Recorded[]): Sql[] {
  const opened = new Rows(OPENED);
  const recipients = new Rows([col('case_stream', 'text'), col('recipient_person_id', 'text')]);
  const closed = new Rows([col('case_stream', 'text'), col('outcome', 'text'), col('closed_at', 'timestamptz')]);
  const reopened = new Rows([col('case_stream', 'text'), col('school_id', 'text')]);
  for (const e of round) {
    const close = CLOSES[e.type];
    if (close) {
      closed.add([e.stream, ...close(e)]);
      continue;
    }
    switch (e.type) {
      case 'ConsentCaseOpened': {
        const d = e.data;
        const s = d.subject;
        opened.add([
          e.stream,
          d.caseId,
          d.program,
          d.familyId,
          s.kind === 'pupil' ? s.schoolId : null,
          s.kind === 'family' ? s.city : null,
          s.region,
          s.kind === 'pupil' ? s.schoolYear : s.month,
          d.openedAt,
        ]);
        break;
      }
      case 'SmsRequested':
        if (e.data.kind === 'consent_request') recipients.add([e.stream, e.data.recipientPersonId]);
        break;
      case 'ConsentCaseReopened': {
        const s = e.data.subject;
        reopened.add([e.stream, s.kind === 'pupil' ? s.schoolId : null]);
        break;
      }
      default:
        break;
    }
  }
  return [
    ...opened.toSql(
      (source) => `insert into consent_cases (${opened.names}, status) select *, 'open' from ${source('o')} on conflict (case_stream) do nothing`,
    ),
    ...recipients.toSql(
      (source) => `update consent_cases c set recipient_person_id = u.recipient_person_id from ${source('u')} where c.case_stream = u.case_stream`,
    ),
    ...closed.toSql(
      (source) =>
        `update consent_cases c set status = 'closed', outcome = u.outcome, closed_at = u.closed_at from ${source('u')} where c.case_stream = u.case_stream and c.status = 'open'`,
    ),
    // A later monthly list started the case again: open, for the school (and grade) it names now.
    ...reopened.toSql(
      (source) =>
        `update consent_cases c set status = 'open', outcome = null, closed_at = null, recipient_person_id = null, school_id = u.school_id
         from ${source('u')} where c.case_stream = u.case_stream`,
    ),
  ];
}

/** Every statement names one case's row (its stream): a batch is written in rounds (shared/rounds.ts). */
function apply(events: readonly Recorded[]): Sql[] {
  return roundsByKey(events, (e) => e.stream).flatMap(roundSql);
}

export const consentCasesProjection: Projection = {
  name: 'consent_cases',
  canHandle: ['ConsentCaseOpened', 'ConsentCaseReopened', 'SmsRequested', ...CASE_ENDINGS],
  migrations: [{ id: '0211_consent_cases', sql: ddl }],
  tables: ['consent_cases'],
  apply,
};

export interface CaseRoute {
  readonly caseStream: string;
  readonly program: string;
  readonly recipientPersonId: string;
  readonly open: boolean;
  readonly openedAt: string;
}

/** Cases whose SMS went to one of these people: open ones first, then the newest. */
export async function casesOfRecipients(db: Queryable, personIds: readonly string[]): Promise<CaseRoute[]> {
  if (personIds.length === 0) return [];
  const { rows } = await db.query<{ case_stream: string; program: string; recipient_person_id: string; status: string; opened_at: Date }>(
    `select case_stream, program, recipient_person_id, status, opened_at from consent_cases
     where recipient_person_id = any($1::text[])
     order by (status = 'open') desc, opened_at desc, case_stream`,
    [personIds],
  );
  return rows.map((r) => ({
    caseStream: r.case_stream,
    program: r.program,
    recipientPersonId: r.recipient_person_id,
    open: r.status === 'open',
    openedAt: r.opened_at.toISOString(),
  }));
}
