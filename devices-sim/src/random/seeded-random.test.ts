import { describe, expect, it } from 'vitest';
import { SeededRandom, streamSeed } from './seeded-random.js';

const draw = (random: SeededRandom, n: number) => Array.from({ length: n }, () => random.uniform());

describe('SeededRandom', () => {
  it('gives the same stream for the same seed and keys, and a different one otherwise', () => {
    expect(draw(new SeededRandom(7, 'health', 'atm-0001'), 50)).toEqual(draw(new SeededRandom(7, 'health', 'atm-0001'), 50));
    expect(draw(new SeededRandom(7, 'health', 'atm-0001'), 50)).not.toEqual(draw(new SeededRandom(8, 'health', 'atm-0001'), 50));
    expect(draw(new SeededRandom(7, 'health', 'atm-0001'), 50)).not.toEqual(draw(new SeededRandom(7, 'health', 'atm-0002'), 50));
    expect(streamSeed(7, 'signals', 'a')).not.toBe(streamSeed(7, 'signals', 'b'));
  });

  it('draws from the distributions it names', () => {
    const random = new SeededRandom(1, 'test');
    const n = 40_000;
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    const normals = Array.from({ length: n }, () => random.normal());
    const m = mean(normals);
    expect(Math.abs(m)).toBeLessThan(0.03);
    expect(Math.abs(Math.sqrt(mean(normals.map((x) => (x - m) ** 2))) - 1)).toBeLessThan(0.03);
    expect(Math.abs(mean(Array.from({ length: n }, () => random.exponential(5))) - 5)).toBeLessThan(0.15);
    for (const lambda of [0.05, 3, 80]) {
      expect(Math.abs(mean(Array.from({ length: n }, () => random.poisson(lambda))) - lambda)).toBeLessThan(0.05 * lambda + 0.01);
    }
    const picks = Array.from({ length: n }, () =>
      random.weighted([
        ['a', 3],
        ['b', 1],
      ] as const),
    );
    expect(picks.filter((p) => p === 'a').length / n).toBeCloseTo(0.75, 1);
    expect(random.poisson(0)).toBe(0);
    expect(random.chance(0)).toBe(false);
  });
});
