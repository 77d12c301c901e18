/**
 * Prometheus metrics (prom-client), one registry per system so that several systems in one
 * process (tests) do not collide. Route labels are route templates (`/v1/me/vouchers/{voucherId}`),
 * never raw paths, so ids do not explode the label space.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Seconds; from a cached read (~1 ms) to a big list upload. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface ProjectionLag {
  readonly name: string;
  readonly lagEvents: number;
  readonly lagSeconds?: number;
  /** The checkpoint: the last log position applied. */
  readonly position?: bigint;
  /** Set while the read model cannot apply the event after its checkpoint (projections/runner/halt.ts). */
  readonly halt?: ProjectionHaltView;
}

export interface ProjectionHaltView {
  readonly eventId: string;
  readonly eventPosition: bigint;
  readonly eventType: string;
  readonly error: string;
  readonly errorCode?: string;
  readonly since: string;
  readonly failures: number;
}

/** One lag reading serves every gauge of a scrape (each reading scans the log after each checkpoint). */
const LAG_READING_REUSE_MS = 1_000;

/**
 * Problem answers by code, for the operator's page (GET /v1/ops/summary): the last hour of this
 * process, counted per minute of the service's clock so that memory stays bounded.
 */
export interface ProblemTally {
  count(code: string, now: Date): void;
  /** Codes answered within `windowMinutes` (at most PROBLEM_WINDOW_MINUTES) before `now`, most frequent first. */
  recent(now: Date, windowMinutes?: number): { code: string; count: number; lastAt: string }[];
}

/** Minutes of problem counts kept per process. */
export const PROBLEM_WINDOW_MINUTES = 60;

export function createProblemTally(counter?: Counter<'code'>): ProblemTally {
  const minutes = new Map<number, Map<string, number>>();
  const lastAt = new Map<string, number>();
  const minuteOf = (ms: number) => Math.floor(ms / 60_000);
  return {
    count(code, now) {
      counter?.inc({ code });
      const minute = minuteOf(now.getTime());
      let bucket = minutes.get(minute);
      if (!bucket) {
        minutes.set(minute, (bucket = new Map()));
        for (const old of minutes.keys()) if (old <= minute - PROBLEM_WINDOW_MINUTES) minutes.delete(old);
      }
      bucket.set(code, (bucket.get(code) ?? 0) + 1);
      lastAt.set(code, Math.max(lastAt.get(code) ?? 0, now.getTime()));
    },
    recent(now, windowMinutes = PROBLEM_WINDOW_MINUTES) {
      const last = minuteOf(now.getTime());
      const first = last - Math.min(windowMinutes, PROBLEM_WINDOW_MINUTES) + 1;
      const totals = new Map<string, number>();
      for (const [minute, bucket] of minutes)
        if (minute >= first && minute <= last) for (const [code, n] of bucket) totals.set(code, (totals.get(code) ?? 0) + n);
      return [...totals]
        .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
        .map(([code, count]) => ({ code, count, lastAt: new Date(lastAt.get(code)!).toISOString() }));
    },
  };
}

export interface ApiMetrics {
  readonly registry: Registry;
  readonly requests: Counter<'method' | 'route' | 'status'>;
  readonly latency: Histogram<'method' | 'route' | 'status'>;
  readonly appends: Counter<'store'>;
  readonly appendedEvents: Counter<'store'>;
  /** The scheduler could not bring the read models it reads up to date before a pass (it fired from what they showed). */
  readonly schedulerAlarms: Counter;
  /** Problem answers by code (also `api_problems_total{code}`). */
  readonly problems: ProblemTally;
  /** Times one request from now until its response finishes, labelled by its route template. */
  observe(req: IncomingMessage, res: ServerResponse, route: string): void;
}

export function createMetrics(options: { lag?: () => Promise<readonly ProjectionLag[]>; defaultMetrics?: boolean } = {}): ApiMetrics {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests by method, route template and status.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by method, route template and status.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const appends = new Counter({
    name: 'eventstore_appends_total',
    help: 'Append calls that reached the event store (append and appendMany).',
    labelNames: ['store'] as const,
    registers: [registry],
  });
  const appendedEvents = new Counter({
    name: 'eventstore_appended_events_total',
    help: 'Events passed to the event store in append calls.',
    labelNames: ['store'] as const,
    registers: [registry],
  });
  const readLag = options.lag;
  let reading: { at: number; lag: Promise<readonly ProjectionLag[]> } | undefined;
  const lag = async (): Promise<readonly ProjectionLag[]> => {
    if (!readLag) return [];
    if (!reading || performance.now() - reading.at > LAG_READING_REUSE_MS) reading = { at: performance.now(), lag: readLag().catch(() => []) };
    return reading.lag;
  };
  const schedulerAlarms = new Counter({
    name: 'scheduler_alarms_total',
    help: 'Scheduler passes that could not bring the read models they read up to date first (see the log).',
    registers: [registry],
  });
  new Gauge({
    name: 'projection_position',
    help: 'The last log position a projection has applied (its checkpoint).',
    labelNames: ['projection'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const p of await lag()) if (p.position !== undefined) this.set({ projection: p.name }, Number(p.position));
    },
  });
  new Gauge({
    name: 'projection_halted',
    help: '1 while a projection cannot apply the event after its checkpoint (labels name the event and the SQLSTATE), else 0.',
    labelNames: ['projection', 'event_id', 'event_type', 'error_code'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const p of await lag()) {
        if (!p.halt) this.set({ projection: p.name }, 0);
        else this.set({ projection: p.name, event_id: p.halt.eventId, event_type: p.halt.eventType, error_code: p.halt.errorCode ?? 'none' }, 1);
      }
    },
  });
  new Gauge({
    name: 'projection_lag_events',
    help: 'Events in the log that a projection has not applied yet.',
    labelNames: ['projection'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const p of await lag()) this.set({ projection: p.name }, p.lagEvents);
    },
  });
  new Gauge({
    name: 'projection_lag_seconds',
    help: 'Age of the oldest event a projection has not applied yet.',
    labelNames: ['projection'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const p of await lag()) if (p.lagSeconds !== undefined) this.set({ projection: p.name }, p.lagSeconds);
    },
  });

  const problems = createProblemTally(
    new Counter({
      name: 'api_problems_total',
      help: 'Problem answers (application/problem+json) by code.',
      labelNames: ['code'] as const,
      registers: [registry],
    }),
  );
  return {
    registry,
    requests,
    latency,
    appends,
    appendedEvents,
    schedulerAlarms,
    problems,
    observe(req, res, route) {
      const end = latency.startTimer();
      res.once('finish', () => {
        const labels = { method: req.method ?? 'GET', route, status: String(res.statusCode) };
        end(labels);
        requests.inc(labels);
      });
    },
  };
}
