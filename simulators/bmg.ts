/**
 * BMG's side of the simulation: the population's phone numbers go in through the import door
 * (PUT /v1/bmg/loads/…, chunk by chunk, then complete), as BMG itself would send them — not through code.
 */
import { bearer, type Http } from './http';

/** Rows per chunk (the API takes at most 10,000). */
const BMG_CHUNK = 5_000;
const BMG_TIMEOUT_MS = 120_000;

export async function loadPhonesThroughApi(
  http: Http,
  token: string,
  entries: readonly (readonly [string, string])[],
  load: { loadId: string; asOf: string },
): Promise<number> {
  const must = <T>(what: string, reply: { status: number; body: T }) => {
    if (reply.status >= 300) throw new Error(`${what}: ${reply.status} ${JSON.stringify(reply.body).slice(0, 300)}`);
    return reply.body;
  };
  const headers = bearer(token);
  const loadPath = { loadId: load.loadId };
  must(
    'open the BMG load',
    await http.send(http.api.PUT('/v1/bmg/loads/{loadId}', { params: { path: loadPath }, headers, body: { asOf: load.asOf, mode: 'full' } })),
  );
  const chunks = Math.max(1, Math.ceil(entries.length / BMG_CHUNK));
  for (let k = 0; k < chunks; k++) {
    const rows = entries.slice(k * BMG_CHUNK, (k + 1) * BMG_CHUNK).map(([iin, phone]) => ({ iin, phone }));
    must(
      `BMG chunk ${k + 1}`,
      await http.send(
        http.api.PUT('/v1/bmg/loads/{loadId}/chunks/{chunkNo}', {
          params: { path: { ...loadPath, chunkNo: k + 1 } },
          headers,
          body: { rows },
          signal: AbortSignal.timeout(BMG_TIMEOUT_MS),
        }),
      ),
    );
  }
  const done = must(
    'complete the BMG load',
    await http.send(http.api.POST('/v1/bmg/loads/{loadId}/complete', { params: { path: loadPath }, headers, body: { chunks } })),
  );
  return done.rowsApplied;
}
