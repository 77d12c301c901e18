/**
 * The deadline worker. Every tick it reads due deadlines (due_at ≤ now, not fired) from the
 * `deadlines` read model in keyset pages and fires each through the services with a
 * deterministic command id, so a deadline fired twice (two ticks racing, a projection that has
 * not yet applied the DeadlineFired) records nothing new. Deadlines are events in their streams;
 * nothing here keeps a timer per deadline.
 */
import type { Clock } from '../adapters/clock/clock';
import type { ConsentReads } from '../projections/consent/reads';
import type { CommandMetadata } from '../domain/shared/decider';
import type { LedgerServices } from './services/contract';

export const SCHEDULER_TICK_MS = 1_000;
/** Deadlines read per page. */
export const SCHEDULER_BATCH = 200;
/**
 * Deadlines fired at once. Streams are independent, so deadlines of different streams fire side by
 * side; those of one stream fire one after another in due order (as before), so no two compete.
 * 64 in flight let their stream reads and appends share statements (reads coalesce per event-loop
 * turn, appends group-commit) — bench:e2e food_month_wall_s, the month's 5th (docs/SIMULATION.md).
 */
export const SCHEDULER_FIRE_CONCURRENCY = 64;
/** Pages per tick at most, so a huge backlog cannot starve the process (the next tick goes on). */
export const SCHEDULER_MAX_PAGES_PER_TICK = 50;

export interface SchedulerDeps {
  readonly reads: Pick<ConsentReads, 'dueDeadlines'>;
  readonly fire: LedgerServices['fireDeadline'];
  readonly clock: Clock;
  /** A deadline that fails is reported and skipped; the others still fire. */
  readonly onError?: (error: unknown, deadline: { stream: string; deadlineId: string }) => void;
  readonly tickMs?: number;
  /** Deadlines fired at once (default SCHEDULER_FIRE_CONCURRENCY; 1 = one at a time). */
  readonly concurrency?: number;
  /**
   * Called before the first page of a pass is read: the composition root lets the `deadlines` read
   * model catch up here, so a deadline fired by an earlier pass is not offered again. Later pages
   * need no wait: the keyset cursor is past every deadline this pass has fired (waiting for the
   * model between pages made a 20,000-deadline morning fire in lock-step with the projections).
   * When it fails (the model is halted or slow) the pass raises an alarm and fires what the model
   * shows: a deadline offered again records nothing new (see above), a deadline never fired would.
   */
  readonly beforeRead?: () => Promise<void>;
  /** A pass could not do its work as it should (beforeRead failed, a page could not be read): never swallowed. */
  readonly onAlarm?: (error: unknown) => void;
  /**
   * Work that runs after each pass at the same instant (the e-Otinish outbox, the daily reports):
   * it rides the scheduler's timer and the simulators' hand ticks alike. A failure is reported
   * through onJobError and never stops the deadlines.
   */
  readonly afterPass?: (now: string) => Promise<void>;
  readonly onJobError?: (error: unknown) => void;
}

export interface DeadlineScheduler {
  /** Fires everything due at `now` (default: the clock); returns how many were fired. */
  runOnce(now?: Date | string): Promise<number>;
  /** One tick at the clock's now; concurrent calls share the tick in flight. */
  tick(): Promise<number>;
  start(): void;
  stop(): Promise<void>;
  running(): boolean;
  /** Milliseconds since a pass last completed (undefined before the first): readiness calls a long silence a stall. */
  sinceLastPass(): number | undefined;
}

/** Unique per deadline: the stream is part of it because deadline ids are only unique per stream. */
export const deadlineCommandId = (stream: string, deadlineId: string) => `deadline:${stream}/${deadlineId}`;

export function createDeadlineScheduler(deps: SchedulerDeps): DeadlineScheduler {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;
  // Wall time of the process (not the clock, which a simulation moves): how long since the scheduler last got through.
  let lastPassAt: number | undefined;

  async function runOnce(at?: Date | string): Promise<number> {
    const fired = await firePass(at);
    lastPassAt = performance.now();
    return fired;
  }

  async function firePass(at?: Date | string): Promise<number> {
    const now = new Date(at ?? deps.clock.now()).toISOString();
    let fired = 0;
    let after: Awaited<ReturnType<SchedulerDeps['reads']['dueDeadlines']>>[number] | undefined;
    for (let page = 0; page < SCHEDULER_MAX_PAGES_PER_TICK; page++) {
      if (page === 0) await deps.beforeRead?.().catch((error: unknown) => deps.onAlarm?.(error));
      const due = await deps.reads.dueDeadlines(now, SCHEDULER_BATCH, after);
      if (due.length === 0) break;
      const fireOne = async (deadline: (typeof due)[number]) => {
        const meta: CommandMetadata = {
          commandId: deadlineCommandId(deadline.stream, deadline.deadlineId),
          now,
          actor: { role: 'scheduler', id: 'scheduler' },
        };
        try {
          await deps.fire({ stream: deadline.stream, deadlineId: deadline.deadlineId, kind: deadline.kind }, meta);
          fired += 1;
        } catch (error) {
          deps.onError?.(error, deadline);
        }
      };
      await forEachLimited(byStream(due), deps.concurrency ?? SCHEDULER_FIRE_CONCURRENCY, async (ofStream) => {
        for (const deadline of ofStream) await fireOne(deadline);
      });
      after = due.at(-1);
      if (due.length < SCHEDULER_BATCH) break;
    }
    await deps.afterPass?.(now).catch((error: unknown) => deps.onJobError?.(error));
    return fired;
  }

  function tick(): Promise<number> {
    running ??= runOnce().finally(() => (running = undefined));
    return running;
  }

  return {
    runOnce,
    tick,
    start() {
      if (timer) return;
      timer = setInterval(() => void tick().catch((error: unknown) => deps.onAlarm?.(error)), deps.tickMs ?? SCHEDULER_TICK_MS);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await running?.catch(() => undefined);
    },
    running: () => timer !== undefined,
    sinceLastPass: () => (lastPassAt === undefined ? undefined : performance.now() - lastPassAt),
  };
}

/** Deadlines grouped by stream, groups in order of their first deadline, each group in due order. */
export function byStream<D extends { stream: string }>(due: readonly D[]): D[][] {
  const groups = new Map<string, D[]>();
  for (const d of due) {
    const group = groups.get(d.stream);
    if (group) group.push(d);
    else groups.set(d.stream, [d]);
  }
  return [...groups.values()];
}

/** Runs `work` over the items with at most `limit` in flight; resolves when all are done. */
export async function forEachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}
