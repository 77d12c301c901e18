/**
 * Simulations side by side on one virtual clock (the demo plays food-voucher months and school
 * meals at once, as the pilot would see them). Each simulation runs in a lane: its own view of the
 * service handle, whose `advanceTo(t)` waits until every running lane wants to be at `t` or later;
 * then the clock moves to the earliest instant asked for, the deadlines due fire once, and the
 * lanes that asked for it go on. A lane that finishes leaves the others to the clock.
 *
 * The SMS gateway of each simulation pulls the one outbox and answers what it pulled: a lane sees
 * only its own program's messages (by consent case), so neither delivers the other's. A pulled
 * page holds at most 500 messages, so each lane's share must stay under it: the demo's populations
 * are small (hundreds), a month of the pilot is not.
 */
import type { Http } from '../http';
import type { Driver } from '../driver';

export interface Lanes {
  /** A view of the driver for one simulation; `program` filters the SMS outbox it pulls. */
  lane(program: 'food-vouchers' | 'school-meals', intercept?: Intercept): Lane;
}
export interface Lane extends Driver {
  /** The simulation is over: the clock no longer waits for this lane. */
  done(): void;
}
/** What a call of the typed client (`http.api.GET/POST`) is given and answers, seen without its types. */
export interface CallInit {
  readonly headers?: Record<string, string>;
  readonly params?: object;
  readonly body?: unknown;
}
export interface ClientAnswer {
  readonly data?: unknown;
  readonly error?: unknown;
  readonly response: Pick<Response, 'status'>;
}
/** Answers a call instead of the service (a fault the demo plants), or undefined to let it through. */
export type Intercept = (method: 'GET' | 'POST', path: string, init: CallInit) => ClientAnswer | undefined;

interface Waiter {
  readonly instantMs: number;
  resolve(fired: number): void;
  reject(error: unknown): void;
}

export function createLanes(driver: Driver, onMove?: (instant: string) => void): Lanes {
  const running = new Set<number>();
  const waiting = new Map<number, Waiter>();
  let nextLane = 0;
  let moving = false;

  /** Moves the clock once every running lane waits, to the earliest instant any of them asked for. */
  const maybeMove = async (): Promise<void> => {
    if (moving || waiting.size === 0 || waiting.size < running.size) return;
    moving = true;
    const earliest = Math.min(...[...waiting.values()].map((w) => w.instantMs));
    const released = [...waiting].filter(([, w]) => w.instantMs <= earliest);
    for (const [lane] of released) waiting.delete(lane);
    try {
      const fired = await driver.advanceTo(new Date(earliest).toISOString());
      onMove?.(driver.clock.now().toISOString());
      for (const [, w] of released) w.resolve(fired);
    } catch (error) {
      for (const [, w] of released) w.reject(error);
    } finally {
      moving = false;
    }
  };

  return {
    lane(program, intercept) {
      const id = nextLane++;
      running.add(id);
      const http = programHttp(driver.http, program, intercept);
      return {
        http,
        clock: driver.clock,
        token: (principal) => driver.token(principal),
        personId: (iin) => driver.personId(iin),
        loadPhones: (entries) => driver.loadPhones(entries),
        settle: () => driver.settle(),
        stop: async () => undefined,
        advanceTo(instant) {
          const instantMs = Date.parse(instant);
          return new Promise<number>((resolve, reject) => {
            waiting.set(id, { instantMs, resolve, reject });
            void maybeMove();
          });
        },
        done() {
          running.delete(id);
          waiting.delete(id);
          void maybeMove();
        },
      };
    },
  };
}

/** The driver's HTTP client, with the SMS outbox narrowed to one program's consent cases (and the lane's planted faults). */
function programHttp(http: Http, program: string, intercept: Intercept | undefined): Http {
  const ownCase = `consent-${program}-`;
  const call = async (method: 'GET' | 'POST', path: string, init: CallInit = {}): Promise<ClientAnswer> => {
    const planted = intercept?.(method, path, init);
    if (planted) return planted;
    const answer = (await Reflect.apply(http.api[method] as unknown as (path: string, init: CallInit) => Promise<ClientAnswer>, http.api, [
      path,
      init,
    ])) as ClientAnswer;
    if (method !== 'GET' || path !== '/v1/sms/outbound' || answer.response.status !== 200) return answer;
    const data = answer.data as { messages: { caseId: string }[] };
    return { ...answer, data: { ...data, messages: data.messages.filter((m) => m.caseId.startsWith(ownCase)) } };
  };
  // The simulators call api.GET and api.POST by path; everything else of the client is the driver's.
  const api = new Proxy(http.api, {
    get: (target, key, receiver) =>
      key === 'GET' || key === 'POST' ? (path: string, init?: CallInit) => call(key, path, init) : Reflect.get(target, key, receiver),
  });
  return { ...http, api, close: () => undefined };
}
