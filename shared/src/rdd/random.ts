/**
 * A seeded generator (mulberry32): six lines, fast, and deterministic across platforms,
 * which is all sample, randomSplit and takeSample need. Not for cryptography.
 */
export type Random = () => number;

export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A fresh seed when the caller gave none, as PySpark draws one from the system. */
export function randomSeed(): number {
  return Math.floor(Math.random() * 0x100000000);
}

/** The seed for partition `index` of a sampled RDD (PySpark xors the seed with the index). */
export function partitionSeed(seed: number, index: number): number {
  return (Math.imul(seed ^ index, 0x9e3779b1) ^ index) >>> 0;
}

/** A Poisson draw by Knuth's method; fine for the small means sampling uses. */
export function poisson(random: Random, mean: number): number {
  const limit = Math.exp(-mean);
  let k = 0;
  let product = random();
  while (product > limit) {
    k++;
    product *= random();
  }
  return k;
}

/** Fisher-Yates, in place. */
export function shuffleInPlace<T>(items: T[], random: Random): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const swap = items[i];
    items[i] = items[j];
    items[j] = swap;
  }
  return items;
}
