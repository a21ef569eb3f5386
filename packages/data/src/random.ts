/** Largest seed value: seeds are unsigned 32-bit integers. */
export const MAX_SEED = 0xffffffff;

/** Final mixing step of MurmurHash3 (fmix32): spreads every input bit over the 32-bit output. */
function mix32(value: number): number {
  let h = value >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * Returns a mulberry32 generator of floats in [0, 1) whose state starts from `seed`.
 * Equal seeds give equal sequences on every platform.
 */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** Derives the seed of one epoch from the loader's seed, so that epochs differ but repeat across runs. */
export function epochSeed(seed: number, epoch: number): number {
  return mix32(seed ^ mix32(Math.imul(epoch + 1, 0x9e3779b9)));
}

/** Returns a permutation of `0 .. length - 1` drawn with a Fisher-Yates shuffle from `random`. */
export function permutation(length: number, random: () => number): Int32Array {
  const order = Int32Array.from({ length }, (_, i) => i);
  for (let i = length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const swap = order[i] ?? 0;
    order[i] = order[j] ?? 0;
    order[j] = swap;
  }
  return order;
}

/** Draws a seed from `Math.random`, for callers that shuffle without choosing a seed. */
export function randomSeed(): number {
  return Math.floor(Math.random() * (MAX_SEED + 1));
}
