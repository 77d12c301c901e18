/**
 * A small seeded PRNG (sfc32, seeded through a string hash) — the simulators never call
 * Math.random, so the same seed gives the same population, the same behaviour and the same totals.
 * `fork(label)` derives an independent stream, so adding a draw in one model does not shift
 * every draw after it in another.
 */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Integer in [min, max] inclusive. */
  int(min: number, max: number): number;
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** Picks a key by weight (weights need not sum to 1). */
  weighted<K extends string>(weights: Readonly<Record<K, number>>): K;
  /** Exponential with the given mean (for delays). */
  exponential(mean: number): number;
  fork(label: string): Rng;
}

/** cyrb128-style string hash → four 32-bit words. */
function hash128(text: string): [number, number, number, number] {
  let h1 = 1779033703,
    h2 = 3144134277,
    h3 = 1013904242,
    h4 = 2773480762;
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  // Labels that differ in one character (fam-000001, fam-000002) must give unrelated streams:
  // mix each word once more through splitmix32.
  return [mix32(h1 ^ h2 ^ h3 ^ h4), mix32(h2 ^ h1 ^ 0x9e3779b9), mix32(h3 ^ h1 ^ 0x7f4a7c15), mix32(h4 ^ h1 ^ 0x85ebca6b)];
}

function mix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

const tables = new WeakMap<object, { entries: [string, number][]; total: number }>();
/** Weight tables are usually constants: sum them once. */
function tableOf(weights: object): { entries: [string, number][]; total: number } {
  let table = tables.get(weights);
  if (!table) {
    const entries = Object.entries(weights) as [string, number][];
    table = { entries, total: entries.reduce((s, [, w]) => s + w, 0) };
    tables.set(weights, table);
  }
  return table;
}

/** Warm-up draws: sfc32's first outputs are correlated with the seed words. */
const WARM_UP = 20;

export function createRng(seed: number | string): Rng {
  const label = String(seed);
  let [a, b, c, d] = hash128(label);
  const next = (): number => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < WARM_UP; i++) next();
  const rng: Rng = {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    chance: (p) => next() < p,
    pick: (items) => {
      if (items.length === 0) throw new Error('invariant violated: pick from an empty list');
      return items[Math.floor(next() * items.length)]!;
    },
    weighted: (weights) => {
      const { entries, total } = tableOf(weights);
      let x = next() * total;
      for (const [key, w] of entries) {
        x -= w;
        if (x < 0) return key as never;
      }
      return entries[entries.length - 1]![0] as never;
    },
    exponential: (mean) => -Math.log(1 - next()) * mean,
    fork: (sub) => createRng(`${label}/${sub}`),
  };
  return rng;
}
