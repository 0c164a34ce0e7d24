import { describe, expect, it } from 'vitest';
import { testContext } from './test-context.js';

const sorted = <T>(items: T[]) => items.slice().sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));

describe('transformations', () => {
  it('map, flatMap and filter apply the function to every element, empty partitions included', async () => {
    const ctx = testContext();
    const rdd = ctx.parallelize([1, 2, 3], 5);
    expect(await rdd.map((x) => x * 10).collect()).toEqual([10, 20, 30]);
    expect(await rdd.flatMap((x) => Array(x).fill(x)).collect()).toEqual([1, 2, 2, 3, 3, 3]);
    expect(await rdd.filter((x) => x !== 2).collect()).toEqual([1, 3]);
    expect(
      await ctx
        .emptyRDD<number>()
        .map((x) => x + 1)
        .collect(),
    ).toEqual([]);
  });

  it('is lazy: nothing runs until an action', async () => {
    const ctx = testContext();
    let calls = 0;
    const rdd = ctx.parallelize([1, 2, 3]).map((x) => {
      calls++;
      return x;
    });
    expect(calls).toBe(0);
    await rdd.count();
    expect(calls).toBe(3);
  });

  it('mapPartitions and mapPartitionsWithIndex see whole partitions and accept any iterable', async () => {
    const ctx = testContext();
    const rdd = ctx.parallelize([1, 2, 3, 4], 2);
    expect(await rdd.mapPartitions((items) => [items.reduce((a, b) => a + b, 0)]).collect()).toEqual([3, 7]);
    expect(
      await rdd
        .mapPartitionsWithIndex(function* (index, items) {
          for (const item of items) yield [index, item];
        })
        .collect(),
    ).toEqual([
      [0, 1],
      [0, 2],
      [1, 3],
      [1, 4],
    ]);
  });

  it('glom turns partitions into arrays', async () => {
    const ctx = testContext();
    expect(await ctx.parallelize([1, 2, 3], 2).glom().collect()).toEqual([[1], [2, 3]]);
  });

  it('distinct compares by value, tuples and null included', async () => {
    const ctx = testContext();
    const rdd = ctx.parallelize<unknown>([1, 1, '1', null, null, [1, 'a'], [1, 'a'], [1, 'b'], true, 1], 4);
    expect(sorted(await rdd.distinct().collect())).toEqual(sorted([1, '1', null, [1, 'a'], [1, 'b'], true]));
    expect((await rdd.distinct(2).collect()).length).toBe(6);
  });

  it('samples deterministically from a seed, near the requested fraction', async () => {
    const ctx = testContext();
    const rdd = ctx.range(10_000, undefined, 1, 4);
    const a = await rdd.sample(false, 0.1, 42).collect();
    expect(await rdd.sample(false, 0.1, 42).collect()).toEqual(a);
    expect(a.length).toBeGreaterThan(850);
    expect(a.length).toBeLessThan(1150);
    expect(new Set(a).size).toBe(a.length);
    const b = await rdd.sample(true, 2, 7).collect();
    expect(b.length).toBeGreaterThan(19_000);
    expect(b.length).toBeLessThan(21_000);
    expect(() => rdd.sample(false, -1)).toThrow('sample: fraction was -1');
  });

  it('union keeps duplicates; intersection is distinct; subtract keeps duplicates of the left', async () => {
    const ctx = testContext();
    const a = ctx.parallelize([1, 2, 2, 3, 4], 2);
    const b = ctx.parallelize([2, 2, 4, 5], 3);
    expect(sorted(await a.union(b).collect())).toEqual([1, 2, 2, 2, 2, 3, 4, 4, 5]);
    expect(a.union(b).getNumPartitions()).toBe(5);
    expect(sorted(await a.intersection(b).collect())).toEqual([2, 4]);
    expect(sorted(await a.subtract(b).collect())).toEqual([1, 3]);
    expect(
      sorted(
        await ctx
          .parallelize([1, 1, 2])
          .subtract(ctx.parallelize([2]))
          .collect(),
      ),
    ).toEqual([1, 1]);
  });

  it('cartesian pairs every element with every other', async () => {
    const ctx = testContext();
    const product = ctx.parallelize([1, 2], 2).cartesian(ctx.parallelize(['x', 'y', 'z'], 2));
    expect(product.getNumPartitions()).toBe(4);
    expect(sorted(await product.collect())).toEqual(
      sorted([
        [1, 'x'],
        [1, 'y'],
        [1, 'z'],
        [2, 'x'],
        [2, 'y'],
        [2, 'z'],
      ]),
    );
    expect(await ctx.parallelize([1]).cartesian(ctx.emptyRDD()).collect()).toEqual([]);
  });

  it('groupBy and keyBy key elements by a function', async () => {
    const ctx = testContext();
    const rdd = ctx.parallelize([1, 2, 3, 4, 5], 2);
    const groups = new Map((await rdd.groupBy((x) => x % 2).collect()).map(([k, vs]) => [k, vs.sort()]));
    expect(groups).toEqual(
      new Map([
        [0, [2, 4]],
        [1, [1, 3, 5]],
      ]),
    );
    expect(
      await ctx
        .parallelize(['ab', 'c'])
        .keyBy((s) => s.length)
        .collect(),
    ).toEqual([
      [2, 'ab'],
      [1, 'c'],
    ]);
  });

  it('sortBy sorts ascending and descending across partitions', async () => {
    const ctx = testContext();
    const data = Array.from({ length: 100 }, (_, i) => (i * 37) % 101);
    const rdd = ctx.parallelize(data, 4);
    expect(await rdd.sortBy((x) => x).collect()).toEqual(data.slice().sort((a, b) => a - b));
    expect(await rdd.sortBy((x) => x, false, 3).collect()).toEqual(data.slice().sort((a, b) => b - a));
    expect(
      await ctx
        .parallelize(['b', 'a', 'c'])
        .sortBy((s) => s, false)
        .collect(),
    ).toEqual(['c', 'b', 'a']);
  });

  it('zip pairs elements by position and refuses mismatched partitions', async () => {
    const ctx = testContext();
    const a = ctx.parallelize([1, 2, 3], 2);
    expect(await a.zip(a.map((x) => x * 10)).collect()).toEqual([
      [1, 10],
      [2, 20],
      [3, 30],
    ]);
    await expect(a.zip(ctx.parallelize([1, 2, 3], 3)).collect()).rejects.toMatchObject({ code: 'RDD_ZIP_MISMATCH' });
    await expect(a.zip(ctx.parallelize([1, 2, 3, 4], 2)).collect()).rejects.toThrow('same number of elements');
  });

  it('zipWithIndex numbers elements globally, empty partitions included', async () => {
    const ctx = testContext();
    expect(await ctx.parallelize(['a', 'b', 'c'], 5).zipWithIndex().collect()).toEqual([
      ['a', 0],
      ['b', 1],
      ['c', 2],
    ]);
  });

  it('zipWithUniqueId gives partition k the ids k, n+k, 2n+k', async () => {
    const ctx = testContext();
    expect(await ctx.parallelize(['a', 'b', 'c', 'd', 'e'], 3).zipWithUniqueId().collect()).toEqual([
      ['a', 0],
      ['b', 1],
      ['c', 4],
      ['d', 2],
      ['e', 5],
    ]);
  });

  it('coalesce merges partitions without a shuffle and cannot add any', async () => {
    const ctx = testContext();
    const rdd = ctx.parallelize([1, 2, 3, 4, 5, 6], 6);
    expect(await rdd.coalesce(2).glom().collect()).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(rdd.coalesce(10).getNumPartitions()).toBe(6);
    expect(rdd.coalesce(10, true).getNumPartitions()).toBe(10);
    expect(rdd.coalesce(2).toDebugString()).not.toContain('+-');
  });

  it('repartition shuffles into exactly n partitions, losing nothing', async () => {
    const ctx = testContext();
    const rdd = ctx.range(1000, undefined, 1, 2).repartition(7);
    expect(rdd.getNumPartitions()).toBe(7);
    const parts = await rdd.glom().collect();
    expect(parts.every((p) => p.length > 100)).toBe(true);
    expect((await rdd.collect()).sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });

  it('randomSplit gives disjoint splits that hold every element, in about the weights', async () => {
    const ctx = testContext();
    const [a, b] = ctx.range(10_000, undefined, 1, 3).randomSplit([3, 1], 11);
    const [xs, ys] = [await a.collect(), await b.collect()];
    expect(xs.length + ys.length).toBe(10_000);
    expect(new Set([...xs, ...ys]).size).toBe(10_000);
    expect(xs.length / 10_000).toBeCloseTo(0.75, 1);
    expect(() => ctx.range(3).randomSplit([])).toThrow('randomSplit: weights was []');
  });
});
