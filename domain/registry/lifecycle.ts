/**
 * One lifecycle for every registry entry (shop, school, canteen device), and a decider factory
 * that the three kinds share; each kind brings its details' checks (domain/registry/shop.ts,
 * school.ts, device.ts).
 *
 *   put (none)        → Registered (+ Activated when asked)      register
 *   put (existing)    → DetailsChanged with the changed fields, or nothing when the same
 *   activate          registered | suspended → active
 *   suspend           active → suspended
 *   close             registered | active | suspended → closed   (final: nothing changes it)
 *
 * Refusal precedence: validation_failed (reason) → the kind's details checks →
 * registry_entry_not_found → registry_entry_closed → registry_transition_not_allowed.
 */
import type { Instant } from '../shared/calendar';
import type { Code } from '../shared/codes';
import type { CommandMetadata, Decider } from '../shared/decider';
import { evolveEach, invariant, unreachable } from '../shared/decider';
import { refuse } from '../shared/errors';
import { REGISTRY_EVENT_TYPES, REGISTRY_ID_FIELD, type RegistryEvent, type RegistryKind, type RegistryStatus } from './events';

/** Longest reason kept in an event (a contract number, a complaint reference, a sentence). */
export const MAX_REASON_LENGTH = 500;

export type RegistryAction = 'activate' | 'suspend' | 'close';

/** What a kind's details check may need besides the details (a device: its school's status). */
export interface PutContext {
  readonly schoolStatus?: RegistryStatus | 'none';
}

export interface PutRegistryEntry<Details> {
  readonly type: 'PutRegistryEntry';
  readonly data: {
    readonly id: string;
    readonly details: Details;
    readonly reason: string;
    /** Activate at once when this command registers the entry (ignored for an existing one). */
    readonly activate?: boolean;
    readonly context?: PutContext;
  };
  readonly metadata: CommandMetadata;
}

export interface ChangeRegistryStatus {
  readonly type: 'ChangeRegistryStatus';
  readonly data: { readonly id: string; readonly action: RegistryAction; readonly reason: string };
  readonly metadata: CommandMetadata;
}

export type RegistryCommand<Details> = PutRegistryEntry<Details> | ChangeRegistryStatus;

export type RegistryEntryState<Details> =
  | { readonly status: 'none' }
  | { readonly status: RegistryStatus; readonly id: string; readonly details: Details; readonly registeredAt: Instant; readonly statusSince: Instant };

/** A refusal of a details check: its code and the field it is about (CSV imports name the column). */
export interface DetailsRefusal {
  readonly code: Code;
  readonly field: string;
  readonly detail?: string;
}

export interface RegistryKindSpec<Details> {
  readonly kind: RegistryKind;
  /** The first failing check of the details, or undefined when they are fine. */
  check(details: Details, context: PutContext): DetailsRefusal | undefined;
}

const TARGET: Readonly<Record<RegistryAction, RegistryStatus>> = { activate: 'active', suspend: 'suspended', close: 'closed' };
const ALLOWED_FROM: Readonly<Record<RegistryAction, readonly RegistryStatus[]>> = {
  activate: ['registered', 'suspended'],
  suspend: ['active'],
  close: ['registered', 'active', 'suspended'],
};

/** Whether `action` may be taken from `status` (the operator's UI and the decider agree on it). */
export function canTake(action: RegistryAction, status: RegistryStatus): boolean {
  return ALLOWED_FROM[action].includes(status);
}

export function createRegistryDecider<Details>(spec: RegistryKindSpec<Details>): Decider<RegistryEntryState<Details>, RegistryCommand<Details>, RegistryEvent> {
  const types = REGISTRY_EVENT_TYPES[spec.kind];
  const idField = REGISTRY_ID_FIELD[spec.kind];
  const event = (type: string, id: string, data: Record<string, unknown>) => ({ type, data: { [idField]: id, ...data } }) as RegistryEvent;

  function put(command: PutRegistryEntry<Details>, state: RegistryEntryState<Details>): RegistryEvent[] {
    const { id, details, reason } = command.data;
    checkReason(reason);
    const refusal = spec.check(details, command.data.context ?? {});
    if (refusal) refuse(refusal.code, refusal.detail ?? refusal.field, `details.${refusal.field}`);
    const at = command.metadata.now;
    if (state.status === 'none') {
      const registered = event(types.registered, id, { details, reason, at });
      return command.data.activate ? [registered, event(types.active, id, { reason, at })] : [registered];
    }
    if (state.status === 'closed') refuse('registry_entry_closed', `${spec.kind} ${id} is closed`);
    const changed = changedFields(state.details, details);
    return changed.length === 0 ? [] : [event(types.changed, id, { details, changed, reason, at })];
  }

  function changeStatus(command: ChangeRegistryStatus, state: RegistryEntryState<Details>): RegistryEvent[] {
    const { id, action, reason } = command.data;
    checkReason(reason);
    if (state.status === 'none') return refuse('registry_entry_not_found', `${spec.kind} ${id}`);
    if (state.status === 'closed') refuse('registry_entry_closed', `${spec.kind} ${id} is closed`);
    if (!canTake(action, state.status)) refuse('registry_transition_not_allowed', `${spec.kind} ${id} is ${state.status}; cannot ${action}`);
    return [event(types[TARGET[action]], id, { reason, at: command.metadata.now })];
  }

  const decider: Decider<RegistryEntryState<Details>, RegistryCommand<Details>, RegistryEvent> = {
    initialState: () => ({ status: 'none' }),
    decide(command, state) {
      switch (command.type) {
        case 'PutRegistryEntry':
          return put(command, state);
        case 'ChangeRegistryStatus':
          return changeStatus(command, state);
        default:
          return unreachable(command, 'registry command');
      }
    },
    evolve(state, event) {
      const data = event.data as { details?: Details; at: Instant };
      switch (event.type) {
        case types.registered:
          invariant(state.status === 'none', `${event.type} on an existing ${spec.kind}`);
          return {
            status: 'registered',
            id: (event.data as unknown as Record<string, string>)[idField]!,
            details: data.details!,
            registeredAt: data.at,
            statusSince: data.at,
          };
        case types.changed:
          invariant(state.status !== 'none' && state.status !== 'closed', `${event.type} on a ${state.status} ${spec.kind}`);
          return { ...state, details: data.details! };
        case types.active:
        case types.suspended:
        case types.closed: {
          invariant(state.status !== 'none' && state.status !== 'closed', `${event.type} on a ${state.status} ${spec.kind}`);
          const status: RegistryStatus = event.type === types.active ? 'active' : event.type === types.suspended ? 'suspended' : 'closed';
          return { ...state, status, statusSince: data.at };
        }
        default:
          throw new Error(`invariant violated: ${event.type} is not a ${spec.kind} registry event`);
      }
    },
    evolveAll: (state, events) => evolveEach(decider.evolve)(state, events),
  };
  return decider;
}

function checkReason(reason: string): void {
  const trimmed = reason.trim();
  if (trimmed.length === 0) refuse('validation_failed', 'every registry change names its reason', 'reason');
  if (reason.length > MAX_REASON_LENGTH) refuse('validation_failed', `a reason is at most ${MAX_REASON_LENGTH} characters`, 'reason');
}

/** Top-level fields whose values differ (compared as canonical JSON: key order does not count). */
export function changedFields<Details>(before: Details, after: Details): string[] {
  const keys = new Set([...Object.keys(before as object), ...Object.keys(after as object)]);
  const value = (details: Details, key: string) => canonical((details as Record<string, unknown>)[key]);
  return [...keys].filter((key) => value(before, key) !== value(after, key)).sort();
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`)
      .join(',')}}`;
  return JSON.stringify(value) ?? 'undefined';
}
