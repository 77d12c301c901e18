/**
 * Forgetting people (docs/EVIDENCE.md "Forgetting a person"): on an operator's or auditor's
 * request, and by the retention job for data past its program's period. The decision is recorded
 * first (PersonForgotten, without the data), then the vault deletes the data — the person's key
 * when every kind goes — and our copy of BMG's directory its row for the person. Events, read
 * models and totals are untouched: they only ever held the pseudonym.
 */
import { streams } from '../../domain/events';
import type { CommandMetadata } from '../../domain/shared/decider';
import { childId } from '../../domain/shared/ids';
import { refuse } from '../../domain/shared/errors';
import { parseIin } from '../../domain/shared/iin';
import { forgetting } from '../../domain/people/forgetting';
import { PERSONAL_DATA_KINDS, type ForgetReason, type PersonalDataKind } from '../../domain/people/personal-data';
import { handle } from '../command-path';
import type { StreamStates } from '../stream-states';

/** The slice of the vault forgetting needs. */
export interface ForgettingVault {
  pseudonymise(iin: string): string;
  get(personId: string): Promise<{ readonly iin?: string } | undefined>;
  forget(personId: string, kinds?: readonly PersonalDataKind[]): Promise<PersonalDataKind[]>;
  expired(at: string, limit: number): Promise<readonly { readonly personId: string; readonly kinds: readonly PersonalDataKind[] }[]>;
}

/** Our copy of a partner's directory keyed by IIN (BMG's phones): the person's rows go too. */
export interface IinKeyedCopy {
  forget(iins: readonly string[]): Promise<void>;
}

export interface ForgetPersonInput {
  /** The pseudonym, or the IIN (pseudonymised here, never stored). */
  readonly personId?: string;
  readonly iin?: string;
  /** Default: every kind (the key goes, and with it every sealed value). */
  readonly kinds?: readonly PersonalDataKind[];
  readonly reason: ForgetReason;
  readonly reference?: string;
}

export interface ForgetPersonResult {
  readonly personId: string;
  readonly kinds: readonly PersonalDataKind[];
  /** The kinds the vault still held and deleted now. */
  readonly deleted: readonly PersonalDataKind[];
  readonly forgottenAt: string;
}

export interface ForgettingServices {
  forgetPerson(input: ForgetPersonInput, meta: CommandMetadata): Promise<ForgetPersonResult>;
  /** Forgets every kind of data past its retention at `meta.now`; returns the people touched. */
  forgetExpired(meta: CommandMetadata, onProgress?: (done: number) => void): Promise<number>;
}

const PERSON_ID = /^p_[0-9a-f]{32}$/;
/** People per look-up of the retention job. */
const EXPIRED_PAGE = 200;

export function createForgettingServices(deps: { states: StreamStates; vault: ForgettingVault; directories?: readonly IinKeyedCopy[] }): ForgettingServices {
  async function forgetPerson(input: ForgetPersonInput, meta: CommandMetadata): Promise<ForgetPersonResult> {
    if ((input.personId === undefined) === (input.iin === undefined))
      refuse('validation_failed', 'name the person by personId or by iin (one of them)', 'personId');
    if (input.iin !== undefined && !parseIin(input.iin).ok) refuse('validation_failed', 'not a valid IIN', 'iin');
    const personId = input.personId ?? deps.vault.pseudonymise(input.iin!);
    if (!PERSON_ID.test(personId)) refuse('validation_failed', 'a personId is p_ and 32 hex digits', 'personId');
    const kinds = PERSONAL_DATA_KINDS.filter((k) => (input.kinds ?? PERSONAL_DATA_KINDS).includes(k));
    await handle(deps.states, streams.person(personId), forgetting, {
      type: 'ForgetPerson',
      data: { personId, kinds, reason: input.reason, ...(input.reference !== undefined ? { reference: input.reference } : {}) },
      metadata: meta,
    });
    if (kinds.includes('iin') || kinds.includes('phone')) {
      const iin = input.iin?.trim() ?? (await deps.vault.get(personId))?.iin;
      if (iin !== undefined) for (const directory of deps.directories ?? []) await directory.forget([iin]);
    }
    const deleted = await deps.vault.forget(personId, kinds);
    return { personId, kinds, deleted, forgottenAt: meta.now };
  }

  return {
    forgetPerson,
    async forgetExpired(meta, onProgress) {
      let done = 0;
      for (;;) {
        const due = await deps.vault.expired(meta.now, EXPIRED_PAGE);
        if (due.length === 0) return done;
        for (const { personId, kinds } of due) {
          await forgetPerson(
            { personId, kinds, reason: 'retention_expired' },
            { ...meta, commandId: childId(meta.commandId, `${personId}:${kinds.join(',')}`), causationId: meta.commandId },
          );
          done += 1;
          onProgress?.(done);
        }
      }
    },
  };
}
