/**
 * `consent_cases`: one row per consent case — program, family, open/closed with the outcome, the
 * representative the SMS went to, school or city. Routes an inbound SMS reply: phone → personIds
 * (vault) → this table → the case stream.
 */
import { type Projection, type Recorded, type Sql, eachEvent } from '../projection';
import { sql } from '../projection';
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

const close = (stream: string, outcome: string, at: string): Sql =>
  sql(`update consent_cases set status = 'closed', outcome = $2, closed_at = $3 where case_stream = $1 and status = 'open'`, stream, outcome, at);

function apply(e: Recorded): Sql[] {
  switch (e.type) {
    case 'ConsentCaseOpened': {
      const d = e.data;
      const s = d.subject;
      return [
        sql(
          `insert into consent_cases (case_stream, case_id, program, family_id, status, school_id, city, region, period, opened_at)
           values ($1, $2, $3, $4, 'open', $5, $6, $7, $8, $9) on conflict (case_stream) do nothing`,
          e.stream,
          d.caseId,
          d.program,
          d.familyId,
          s.kind === 'pupil' ? s.schoolId : null,
          s.kind === 'family' ? s.city : null,
          s.region,
          s.kind === 'pupil' ? s.schoolYear : s.month,
          d.openedAt,
        ),
      ];
    }
    case 'SmsRequested':
      if (e.data.kind !== 'consent_request') return [];
      return [sql(`update consent_cases set recipient_person_id = $2 where case_stream = $1`, e.stream, e.data.recipientPersonId)];
    case 'ConsentGiven':
      return [close(e.stream, 'given', e.data.at)];
    case 'ConsentRefused':
      return [close(e.stream, 'refused', e.data.at)];
    case 'ConsentTimedOut':
      return [close(e.stream, 'timed_out', e.data.at)];
    case 'ConsentUndeliverable':
      return [close(e.stream, 'undeliverable', e.data.at)];
    case 'ConsentCaseReopened': {
      // A later monthly list started the case again: open, for the school (and grade) it names now.
      const s = e.data.subject;
      return [
        sql(
          `update consent_cases set status = 'open', outcome = null, closed_at = null, recipient_person_id = null, school_id = $2 where case_stream = $1`,
          e.stream,
          s.kind === 'pupil' ? s.schoolId : null,
        ),
      ];
    }
    case 'ConsentPhoneNotFound':
      return [close(e.stream, 'no_phone', e.metadata.recordedAt)];
    case 'ConsentNotRequired':
      return [close(e.stream, 'not_required', e.metadata.recordedAt)];
    default:
      return [];
  }
}

export const consentCasesProjection: Projection = {
  name: 'consent_cases',
  canHandle: [
    'ConsentCaseOpened',
    'ConsentCaseReopened',
    'SmsRequested',
    'ConsentGiven',
    'ConsentRefused',
    'ConsentTimedOut',
    'ConsentUndeliverable',
    'ConsentPhoneNotFound',
    'ConsentNotRequired',
  ],
  migrations: [{ id: '0211_consent_cases', sql: ddl }],
  tables: ['consent_cases'],
  apply: eachEvent(apply),
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
