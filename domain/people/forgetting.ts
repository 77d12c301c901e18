/**
 * Forgetting a person, in the stream `person-{personId}`: every forgetting is recorded (who — the
 * pseudonym, and the actor in metadata —, why, which kinds), never the data. The vault deletes the
 * data after the decision is recorded, so a forgetting is never done without its record; a retry
 * of the same command deletes again and records nothing new.
 */
import type { PersonEvent } from '../events';
import { evolveEach, unreachable, type CommandMetadata, type Decider } from '../shared/decider';
import { refuse } from '../shared/errors';
import { PERSONAL_DATA_KINDS, type ForgetReason, type PersonalDataKind } from './personal-data';

export interface ForgetPerson {
  readonly type: 'ForgetPerson';
  readonly data: { readonly personId: string; readonly kinds: readonly PersonalDataKind[]; readonly reason: ForgetReason; readonly reference?: string };
  readonly metadata: CommandMetadata;
}

export interface PersonState {
  /** Every kind forgotten so far (a later list may bring data again; the record stays). */
  readonly forgotten: readonly PersonalDataKind[];
}

function evolvePerson(state: PersonState, event: PersonEvent): PersonState {
  switch (event.type) {
    case 'PersonForgotten':
      return { forgotten: PERSONAL_DATA_KINDS.filter((k) => state.forgotten.includes(k) || event.data.kinds.includes(k)) };
    default:
      return unreachable(event.type as never, 'person event');
  }
}

export const forgetting: Decider<PersonState, ForgetPerson, PersonEvent> = {
  initialState: () => ({ forgotten: [] }),
  decide(command) {
    const { personId, kinds, reason, reference } = command.data;
    if (kinds.length === 0) refuse('validation_failed', 'name at least one kind of data to forget', 'kinds');
    return [
      {
        type: 'PersonForgotten',
        data: {
          personId,
          kinds: PERSONAL_DATA_KINDS.filter((k) => kinds.includes(k)),
          reason,
          ...(reference !== undefined ? { reference } : {}),
          forgottenAt: command.metadata.now,
        },
      },
    ];
  },
  evolve: evolvePerson,
  evolveAll: evolveEach(evolvePerson),
};
