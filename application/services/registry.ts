/**
 * Registry services: the operator registers, updates, activates, suspends and closes shops,
 * schools and canteen devices, one at a time or by bulk import; auditors read an entry's history.
 * Each entry is its own stream (domain/registry/events.ts); every change goes through the command
 * path and is then taught to this process's registry view (write-through, application/registry/view.ts).
 *
 * A bulk import is all or nothing: every row is decided first; any refused row refuses the file
 * (each refused row named with its field and code) and nothing is appended; otherwise every
 * entry's events go in one atomic append. A row equal to what the registry holds changes nothing,
 * so importing the same file again appends nothing.
 */
import type { LedgerRecorded } from '../../adapters/eventstore/ledger-events';
import type { StreamStates } from '../stream-states';
import type { DeviceEntry, SchoolEntry, ShopEntry } from '../../domain/registry/admission';
import type { DeviceDetails, RegistryEvent, RegistryKind, RegistryStatus, SchoolDetails, ShopDetails } from '../../domain/registry/events';
import { registryStreams } from '../../domain/registry/events';
import { deviceRegistry } from '../../domain/registry/device';
import type { PutContext, RegistryAction, RegistryCommand, RegistryEntryState } from '../../domain/registry/lifecycle';
import { schoolRegistry } from '../../domain/registry/school';
import { shopRegistry } from '../../domain/registry/shop';
import type { Code } from '../../domain/shared/codes';
import type { CommandMetadata, Decider } from '../../domain/shared/decider';
import { invariant } from '../../domain/shared/decider';
import { DomainError, refuse } from '../../domain/shared/errors';
import { decideAcross, handle, type Decision } from '../command-path';
import type { RegistryChangeSet } from '../registry/view';

/** Rows one import may hold: its events go in one atomic append. */
export const MAX_REGISTRY_IMPORT_ROWS = 10_000;

export type PutOutcome = 'registered' | 'updated' | 'unchanged';

export interface PutResult {
  readonly id: string;
  readonly outcome: PutOutcome;
  readonly status: RegistryStatus;
  readonly version: number;
}

export interface StatusResult {
  readonly id: string;
  readonly status: RegistryStatus;
  readonly version: number;
}

export interface ImportRow<Details> {
  readonly id: string;
  readonly details: Details;
}

export interface ImportResult {
  readonly rows: number;
  readonly registered: number;
  readonly updated: number;
  readonly unchanged: number;
  readonly results: readonly { readonly row: number; readonly id: string; readonly outcome: PutOutcome }[];
}

/** One refused row of an import: its number (1-based, as in the file), the field and the code. */
export interface RowRefusal {
  readonly row: number;
  readonly id: string;
  readonly code: Code;
  readonly field?: string;
  readonly detail?: string;
}

/** The whole import is refused; nothing was appended. */
export class ImportRefused extends Error {
  override readonly name = 'ImportRefused';
  constructor(readonly refusals: readonly RowRefusal[]) {
    super(`${refusals.length} row(s) refused`);
  }
}

export type DetailsOf<K extends RegistryKind> = K extends 'shop' ? ShopDetails : K extends 'school' ? SchoolDetails : DeviceDetails;

export interface RegistryServices {
  put<K extends RegistryKind>(
    kind: K,
    input: { id: string; details: DetailsOf<K>; reason: string; activate?: boolean },
    meta: CommandMetadata,
  ): Promise<PutResult>;
  changeStatus(kind: RegistryKind, input: { id: string; action: RegistryAction; reason: string }, meta: CommandMetadata): Promise<StatusResult>;
  import<K extends RegistryKind>(
    kind: K,
    rows: readonly ImportRow<DetailsOf<K>>[],
    options: { reason: string; activate?: boolean },
    meta: CommandMetadata,
  ): Promise<ImportResult>;
  /** An entry's events in order (who, when, why): the auditor's view. Empty when unknown. */
  history(kind: RegistryKind, id: string): Promise<readonly LedgerRecorded[]>;
  /** An entry as its stream holds it now (not the read model: no lag after a change); registry_entry_not_found. */
  entry<K extends RegistryKind>(kind: K, id: string): Promise<RegistryEntry<DetailsOf<K>>>;
}

export interface RegistryEntry<Details> {
  readonly id: string;
  readonly status: RegistryStatus;
  readonly details: Details;
  readonly registeredAt: string;
  readonly statusSince: string;
  readonly version: number;
}

const DECIDERS: { readonly [K in RegistryKind]: Decider<RegistryEntryState<DetailsOf<K>>, RegistryCommand<DetailsOf<K>>, RegistryEvent> } = {
  shop: shopRegistry,
  school: schoolRegistry,
  device: deviceRegistry,
};

export function createRegistryServices(deps: { states: StreamStates; view: { learn(changes: RegistryChangeSet): void } }): RegistryServices {
  const { states } = deps;
  const foldRecorded = <S, E>(decider: Decider<S, never, E>, events: readonly LedgerRecorded[]) => states.fold(decider, events);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const deciderOf = (kind: RegistryKind) => DECIDERS[kind] as Decider<RegistryEntryState<any>, RegistryCommand<any>, RegistryEvent>;

  const teach = (kind: RegistryKind, id: string, state: RegistryEntryState<unknown>, version: number) => {
    if (state.status === 'none') return;
    deps.view.learn(changeSetOf(kind, id, state, version));
  };

  async function put<K extends RegistryKind>(
    kind: K,
    input: { id: string; details: DetailsOf<K>; reason: string; activate?: boolean },
    meta: CommandMetadata,
  ): Promise<PutResult> {
    const stream = registryStreams[kind](input.id);
    const schoolStream = kind === 'device' ? registryStreams.school((input.details as DeviceDetails).schoolId) : undefined;
    const decider = deciderOf(kind);
    let decided: { result: PutResult; after: RegistryEntryState<unknown> } | undefined;
    const outcome = await decideAcross(states, schoolStream ? [stream, schoolStream] : [stream], meta, (loaded) => {
      const history = loaded.get(stream)!.events;
      const before = foldRecorded(decider, history);
      const context: PutContext = schoolStream ? { schoolStatus: foldRecorded(schoolRegistry, loaded.get(schoolStream)!.events).status } : {};
      const events = decider.decide({ type: 'PutRegistryEntry', data: { ...input, context }, metadata: meta }, before);
      const after = events.reduce(decider.evolve, before);
      invariant(after.status !== 'none', 'a put leaves an entry');
      decided = { result: { id: input.id, outcome: outcomeOf(before, events), status: after.status, version: history.length + events.length - 1 }, after };
      return [{ stream, events }];
    });
    if (outcome.repeated || !decided) return answerFromStream(kind, input.id, 'unchanged');
    // Taught only once appended: a refused or conflicting attempt never reaches the view.
    teach(kind, input.id, decided.after, decided.result.version);
    return decided.result;
  }

  async function changeStatus(kind: RegistryKind, input: { id: string; action: RegistryAction; reason: string }, meta: CommandMetadata): Promise<StatusResult> {
    await handle(states, registryStreams[kind](input.id), deciderOf(kind), { type: 'ChangeRegistryStatus', data: input, metadata: meta });
    const { id, status, version } = await answerFromStream(kind, input.id, 'unchanged');
    return { id, status, version };
  }

  /** The entry as its stream holds it now (after a repeated command, the first answer's state). */
  async function answerFromStream(kind: RegistryKind, id: string, outcome: PutOutcome): Promise<PutResult> {
    const events = await states.history(registryStreams[kind](id));
    const state = foldRecorded(deciderOf(kind), events);
    invariant(state.status !== 'none', `a decided ${kind} command leaves ${id} in the registry`);
    teach(kind, id, state, events.length - 1);
    return { id, outcome, status: state.status, version: events.length - 1 };
  }

  async function importRows<K extends RegistryKind>(
    kind: K,
    rows: readonly ImportRow<DetailsOf<K>>[],
    options: { reason: string; activate?: boolean },
    meta: CommandMetadata,
  ): Promise<ImportResult> {
    if (rows.length > MAX_REGISTRY_IMPORT_ROWS) refuse('payload_too_large', `at most ${MAX_REGISTRY_IMPORT_ROWS} rows per import`, 'rows');
    const seen = new Map<string, number>();
    const duplicates: RowRefusal[] = [];
    rows.forEach((row, i) => {
      const first = seen.get(row.id);
      if (first !== undefined) duplicates.push({ row: i + 1, id: row.id, code: 'validation_failed', field: 'id', detail: `the same id as row ${first}` });
      else seen.set(row.id, i + 1);
    });
    if (duplicates.length > 0) throw new ImportRefused(duplicates);
    const streamsOf = rows.map((row) => registryStreams[kind](row.id));
    const schoolStreams = kind === 'device' ? [...new Set(rows.map((row) => registryStreams.school((row.details as DeviceDetails).schoolId)))] : [];
    let decided: ReturnType<typeof decideRows> | undefined;
    const outcome = await decideAcross(states, [...streamsOf, ...schoolStreams], meta, (loaded) => {
      decided = decideRows(
        deciderOf(kind),
        kind,
        rows,
        options,
        meta,
        (stream) => loaded.get(stream)!.events,
        (d, events) => states.fold(d, events),
      );
      if (decided.refusals.length > 0) throw new ImportRefused(decided.refusals);
      return decided.decisions;
    });
    if (outcome.repeated || !decided) {
      // The same import again (same Idempotency-Key): its rows now equal the registry.
      return summarise(rows.map((row, i) => ({ row: i + 1, id: row.id, outcome: 'unchanged' as const })));
    }
    for (const taught of decided.taught) deps.view.learn(taught);
    return summarise(decided.results);
  }

  return {
    put,
    changeStatus,
    import: importRows,
    history: (kind, id) => states.history(registryStreams[kind](id)),
    async entry(kind, id) {
      const events = await states.history(registryStreams[kind](id));
      const state = foldRecorded(deciderOf(kind), events);
      if (state.status === 'none') return refuse('registry_entry_not_found', `${kind} ${id}`);
      return { id, status: state.status, details: state.details, registeredAt: state.registeredAt, statusSince: state.statusSince, version: events.length - 1 };
    },
  };
}

/** Pure: every row decided against its entry's history; refusals collected, not thrown. */
function decideRows<Details>(
  decider: Decider<RegistryEntryState<Details>, RegistryCommand<Details>, RegistryEvent>,
  kind: RegistryKind,
  rows: readonly ImportRow<Details>[],
  options: { reason: string; activate?: boolean },
  meta: CommandMetadata,
  history: (stream: string) => readonly LedgerRecorded[],
  foldRecorded: <S, E>(decider: Decider<S, never, E>, events: readonly LedgerRecorded[]) => S,
) {
  const decisions: Decision[] = [];
  const refusals: RowRefusal[] = [];
  const results: { row: number; id: string; outcome: PutOutcome }[] = [];
  const taught: RegistryChangeSet[] = [];
  rows.forEach((row, i) => {
    const stream = registryStreams[kind](row.id);
    const events = history(stream);
    const before = foldRecorded(decider, events);
    const context: PutContext =
      kind === 'device' ? { schoolStatus: foldRecorded(schoolRegistry, history(registryStreams.school((row.details as DeviceDetails).schoolId))).status } : {};
    try {
      const decided = decider.decide(
        {
          type: 'PutRegistryEntry',
          data: { id: row.id, details: row.details, reason: options.reason, ...(options.activate ? { activate: true } : {}), context },
          metadata: meta,
        },
        before,
      );
      const after = decided.reduce(decider.evolve, before);
      results.push({ row: i + 1, id: row.id, outcome: outcomeOf(before, decided) });
      if (decided.length > 0) decisions.push({ stream, events: decided });
      if (after.status !== 'none') taught.push(changeSetOf(kind, row.id, after, events.length + decided.length - 1));
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      refusals.push({
        row: i + 1,
        id: row.id,
        code: error.code,
        ...(error.path ? { field: error.path } : {}),
        ...(error.detail ? { detail: error.detail } : {}),
      });
    }
  });
  return { decisions, refusals, results, taught };
}

function outcomeOf(before: RegistryEntryState<unknown>, events: readonly RegistryEvent[]): PutOutcome {
  if (before.status === 'none') return 'registered';
  return events.length === 0 ? 'unchanged' : 'updated';
}

function summarise(results: ImportResult['results']): ImportResult {
  const count = (outcome: PutOutcome) => results.filter((r) => r.outcome === outcome).length;
  return { rows: results.length, registered: count('registered'), updated: count('updated'), unchanged: count('unchanged'), results };
}

/** The view's entry of a registry state. */
function changeSetOf(kind: RegistryKind, id: string, state: Exclude<RegistryEntryState<unknown>, { status: 'none' }>, version: number): RegistryChangeSet {
  switch (kind) {
    case 'shop':
      return { shops: [{ shopId: id, status: state.status, city: (state.details as ShopDetails).city, version } satisfies ShopEntry] };
    case 'school':
      return { schools: [{ schoolId: id, status: state.status, version } satisfies SchoolEntry] };
    case 'device':
      return { devices: [{ deviceId: id, status: state.status, schoolId: (state.details as DeviceDetails).schoolId, version } satisfies DeviceEntry] };
  }
}
