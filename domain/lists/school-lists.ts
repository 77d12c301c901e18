/**
 * A school's monthly meals lists of one school year, in `schoollists-{schoolId}~{schoolYear}`:
 * which pupils each processed list named (seed 002: «на ежемесячной основе в НОБД формирует список
 * обучающихся, которым положена услуга … утверждается решением первого руководителя»). The month's
 * approved list is who is entitled that month, so a pupil an earlier list of the year named and
 * this one does not is absent: the list service suspends their voucher for the month, which keeps
 * them off the табель («оплата … по данным табеля»). A pupil first listed this month and never
 * before is not anyone's absentee. Several lists of one month add up (interpretation: a school
 * may send a supplement); a pupil is absent when an earlier month's list named them and no list of
 * this month does.
 *
 * Recording the same list again changes nothing (a re-sent list, a resumed upload).
 */
import type { SchoolListsEvent } from '../events';
import type { Month, SchoolYear } from '../shared/calendar';
import type { CommandMetadata, Decider } from '../shared/decider';
import { evolveEach, invariant, unreachable } from '../shared/decider';

export interface RecordSchoolList {
  readonly type: 'RecordSchoolList';
  readonly data: {
    readonly schoolId: string;
    readonly schoolYear: SchoolYear;
    readonly month: Month;
    readonly listId: string;
    readonly listed: readonly string[];
  };
  readonly metadata: CommandMetadata;
}
export type SchoolListsCommand = RecordSchoolList;

export interface SchoolListsState {
  /** Lists recorded, by id. */
  readonly lists: ReadonlyMap<string, { readonly month: Month; readonly listed: ReadonlySet<string> }>;
}

/** Everyone a list of an earlier month named whom no list of `month` (this one included) names: the month's absentees. */
export function absentees(state: SchoolListsState, month: Month, listed: Iterable<string>): string[] {
  const now = new Set(listed);
  for (const list of state.lists.values()) if (list.month === month) for (const pupil of list.listed) now.add(pupil);
  const before = new Set<string>();
  for (const list of state.lists.values()) if (list.month < month) for (const pupil of list.listed) if (!now.has(pupil)) before.add(pupil);
  return [...before].sort();
}

function record(command: RecordSchoolList, state: SchoolListsState): SchoolListsEvent[] {
  const d = command.data;
  if (state.lists.has(d.listId)) return [];
  return [{ type: 'SchoolListRecorded', data: { ...d, listed: [...d.listed].sort(), at: command.metadata.now } }];
}

export function evolveSchoolLists(state: SchoolListsState, event: SchoolListsEvent): SchoolListsState {
  switch (event.type) {
    case 'SchoolListRecorded': {
      invariant(!state.lists.has(event.data.listId), `list ${event.data.listId} recorded once`);
      const lists = new Map(state.lists);
      lists.set(event.data.listId, { month: event.data.month, listed: new Set(event.data.listed) });
      return { lists };
    }
    default:
      return unreachable(event.type, 'school lists event');
  }
}

export const schoolLists: Decider<SchoolListsState, SchoolListsCommand, SchoolListsEvent> = {
  initialState: () => ({ lists: new Map() }),
  decide: (command, state) => {
    switch (command.type) {
      case 'RecordSchoolList':
        return record(command, state);
      default:
        return unreachable(command.type, 'school lists command');
    }
  },
  evolve: evolveSchoolLists,
  evolveAll: evolveEach(evolveSchoolLists),
};
