/** Latency recording and percentiles; error tallies by code. */
export class Latencies {
  private samples: number[] = [];
  private sorted = true;
  add(ms: number): void {
    this.samples.push(ms);
    this.sorted = false;
  }
  get count(): number {
    return this.samples.length;
  }
  /** Nearest-rank percentile (p in 0–100), ms. */
  percentile(p: number): number {
    if (this.samples.length === 0) return 0;
    if (!this.sorted) {
      this.samples.sort((a, b) => a - b);
      this.sorted = true;
    }
    const rank = Math.min(this.samples.length, Math.max(1, Math.ceil((p / 100) * this.samples.length)));
    return this.samples[rank - 1]!;
  }
  summary(): { count: number; p50: number; p95: number; p99: number; max: number } {
    const round = (x: number) => Math.round(x * 100) / 100;
    return {
      count: this.count,
      p50: round(this.percentile(50)),
      p95: round(this.percentile(95)),
      p99: round(this.percentile(99)),
      max: round(this.percentile(100)),
    };
  }
}

export class Tally {
  readonly counts: Record<string, number> = {};
  add(key: string, n = 1): void {
    this.counts[key] = (this.counts[key] ?? 0) + n;
  }
  get(key: string): number {
    return this.counts[key] ?? 0;
  }
  sorted(): Record<string, number> {
    return Object.fromEntries(Object.entries(this.counts).sort(([a], [b]) => a.localeCompare(b)));
  }
}

/**
 * Times every API call of a simulation: latency per operation, refusals by `op:code`, a request
 * count; a 5xx is a bug in the service and stops the run.
 */
export class RequestLog {
  readonly latencies = new Map<string, Latencies>();
  readonly refusals = new Tally();
  requests = 0;

  async timed<T>(op: string, call: () => Promise<{ status: number; body: T; code?: string; ms: number }>) {
    const reply = await call();
    this.requests++;
    let l = this.latencies.get(op);
    if (!l) this.latencies.set(op, (l = new Latencies()));
    l.add(reply.ms);
    if (reply.status >= 500) throw new Error(`${op}: HTTP ${reply.status} ${JSON.stringify(reply.body).slice(0, 300)}`);
    if (reply.code) this.refusals.add(`${op}:${reply.code}`);
    return reply;
  }

  /** Percentiles per operation, in name order. */
  summaries(): Record<string, ReturnType<Latencies['summary']>> {
    return Object.fromEntries([...this.latencies.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, l]) => [k, l.summary()]));
  }
}

/** The consent funnel both programs count, in the order the outcomes read model reports it. */
export interface FunnelTruth {
  eligible: number;
  noPhone: number;
  smsSent: number;
  reminded: number;
  consented: number;
  refused: number;
  timedOut: number;
  issued: number;
  activated: number;
}

export function newFunnel(): FunnelTruth {
  return { eligible: 0, noPhone: 0, smsSent: 0, reminded: 0, consented: 0, refused: 0, timedOut: 0, issued: 0, activated: 0 };
}

/** Wall time per phase of a run (ms, summed over every entry into the phase): where a month's minutes go. */
export class PhaseTimes {
  readonly ms: Record<string, number> = {};
  async time<T>(phase: string, work: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await work();
    } finally {
      this.ms[phase] = (this.ms[phase] ?? 0) + (performance.now() - started);
    }
  }
  rounded(): Record<string, number> {
    return Object.fromEntries(Object.entries(this.ms).map(([k, v]) => [k, Math.round(v)]));
  }
}
