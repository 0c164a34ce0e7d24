import { describe, expect, it } from 'vitest';
import { BucketStore, DDSketch } from './ddsketch.js';

describe('DDSketch', () => {
  it('answers within the relative accuracy for positive, negative and zero values', () => {
    const sketch = new DDSketch(0.01, 2048);
    const values = [-1000, -5, 0, 0, 0.5, 3, 7, 100, 250, 1e6];
    for (const v of values) sketch.add(v);
    expect(sketch.count).toBe(values.length);
    values.forEach((v, i) => {
      const q = sketch.quantile(i / (values.length - 1));
      expect(Math.abs(q - v)).toBeLessThanOrEqual(Math.abs(v) * 0.01 + 1e-12);
    });
  });

  it('grows its stores with the occupied range only', () => {
    const sketch = new DDSketch(0.01, 2048);
    for (let i = 0; i < 1000; i++) sketch.add(20 + (i % 10) / 100);
    expect(sketch.positive.counts.length).toBeLessThanOrEqual(3);
    expect(sketch.negative.counts.length).toBe(0);
  });

  it('collapses the lowest buckets past bucketsMax and keeps the upper ones exact', () => {
    const store = new BucketStore(4);
    for (const key of [10, 11, 12, 13, 14, 15]) store.add(key, 1);
    expect(store.counts).toEqual([3, 1, 1, 1]);
    expect(store.minKey).toBe(12);
    store.add(1, 5); // below the collapsed range: into the lowest bucket
    expect(store.counts).toEqual([8, 1, 1, 1]);
    expect(store.total).toBe(11);
    expect(store.keyAtRank(10)).toBe(15);
  });
});
