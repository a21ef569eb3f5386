/** A generator of uniform floats in [0, 1) with 32 bits of resolution. */
export type RandomSource = () => number;

const UINT32_RANGE = 2 ** 32;

/**
 * Creates a deterministic generator: the same seed always gives the same sequence.
 * The generator is sfc32 (Chris Doty-Humphrey's Small Fast Counting generator),
 * seeded by splitmix32 from both 32-bit halves of `seed`.
 *
 * @param seed a non-negative safe integer.
 * @throws RangeError when `seed` is negative, fractional or above `Number.MAX_SAFE_INTEGER`.
 */
export function createSeededRandom(seed: number): RandomSource {
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new RangeError(`Invalid seed ${seed}: expected a non-negative integer up to ${Number.MAX_SAFE_INTEGER}.`);
  }

  const low = seed >>> 0;
  const high = Math.floor(seed / UINT32_RANGE) >>> 0;
  const nextSeedWord = splitmix32(low ^ Math.imul(high, 0x9e3779b9));
  let a = nextSeedWord();
  let b = nextSeedWord();
  let c = nextSeedWord();
  let counter = 1;

  const next = (): number => {
    const t = (((a + b) | 0) + counter) | 0;
    counter = (counter + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / UINT32_RANGE;
  };

  // Discarding the first 12 outputs mixes the state away from the seed words, as sfc32's reference seeding does.
  for (let i = 0; i < 12; i++) {
    next();
  }
  return next;
}

/** Draws a seed for {@link createSeededRandom} from `Math.random`, for runs without a given seed. */
export function drawRandomSeed(): number {
  return Math.floor(Math.random() * UINT32_RANGE);
}

function splitmix32(start: number): () => number {
  let state = start | 0;
  return () => {
    state = (state + 0x9e3779b9) | 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}
