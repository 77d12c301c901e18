/**
 * Rounds of a batch for a model whose every statement touches only the rows of one key (a voucher,
 * a registry entry): round k holds each key's k-th event of the batch, keys in order of first
 * appearance. Events of different keys commute, so writing round after round — each round's events
 * together, set-based, since no two of them share a key — leaves the rows that writing the events
 * one at a time in log order leaves. A batch of 10,000 events is as many rounds as the most events
 * one key has in it, usually a handful.
 */
export function roundsByKey<T>(events: readonly T[], keyOf: (event: T) => string): T[][] {
  const rounds: T[][] = [];
  const seen = new Map<string, number>();
  for (const event of events) {
    const key = keyOf(event);
    const round = seen.get(key) ?? 0;
    seen.set(key, round + 1);
    (rounds[round] ??= []).push(event);
  }
  return rounds;
}
