/**
 * Wakes subscribers after appends. Local subscribers are woken directly. Other processes get a
 * NOTIFY, coalesced to one per interval and sent outside the append's transaction: a NOTIFY inside
 * it would serialise every commit on Postgres' notification queue lock. Refused appends announce
 * too, because the transaction they aborted may have been holding back every reader's horizon.
 */
import type { Pool, PoolClient } from '../../postgres/pool';
import type { Wakeup } from '../memory';

/** NOTIFY channel that wakes subscribers in other processes. */
export const EVENTS_CHANNEL = 'swl_events';

export interface Notifier {
  /** After every append attempt: wakes local subscribers now and other processes soon. */
  announce(): void;
  /** Starts listening for other processes' appends (once). */
  listen(): void;
  close(): Promise<void>;
}

export function createNotifier(pool: Pool, wakeup: Wakeup, intervalMs: number): Notifier {
  let pending: NodeJS.Timeout | undefined;
  let listener: Promise<PoolClient | undefined> | undefined;
  let closed = false;
  const send = () =>
    pool.query('select pg_notify($1, $2)', [EVENTS_CHANNEL, '']).then(
      () => undefined,
      () => undefined,
    );

  const connectListener = async (): Promise<PoolClient | undefined> => {
    try {
      const client = await pool.connect();
      client.on('notification', () => wakeup.notify());
      // A broken connection is dropped; polling covers until the next subscription reconnects.
      client.on('error', () => {
        listener = undefined;
        client.release(true);
      });
      await client.query(`listen ${EVENTS_CHANNEL}`);
      return client;
    } catch {
      listener = undefined;
      return undefined;
    }
  };

  return {
    announce: () => {
      wakeup.notify();
      if (pending || closed) return;
      pending = setTimeout(() => {
        pending = undefined;
        void send();
      }, intervalMs);
      pending.unref();
    },
    listen: () => {
      if (!listener && !closed) listener = connectListener();
    },
    close: async () => {
      closed = true;
      if (pending) {
        clearTimeout(pending);
        pending = undefined;
        await send();
      }
      const client = await listener;
      listener = undefined;
      if (client) {
        await client.query(`unlisten ${EVENTS_CHANNEL}`).catch(() => undefined);
        client.release();
      }
    },
  };
}
