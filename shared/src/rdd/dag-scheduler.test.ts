import { describe, expect, it } from 'vitest';
import { appendAll, appendValue, testContext } from './test-context.js';

describe('DagScheduler', () => {
  it('cuts one stage at each shuffle and pipelines the narrow steps', async () => {
    const ctx = testContext();
    const rdd = ctx
      .range(100, undefined, 1, 4)
      .map((x): [number, number] => [x % 3, x])
      .filter(([, v]) => v > 0)
      .reduceByKey((a, b) => a + b, 2)
      .mapValues((v) => v * 2)
      .sortByKey();
    await rdd.collect();
    const stages = ctx.jobs().at(-1)?.stages ?? [];
    expect(stages.map((s) => s.kind).sort()).toEqual(['result', 'shuffle-map', 'shuffle-map']);
    expect(stages.find((s) => s.kind === 'result')?.numTasks).toBe(2);
  });

  it('combines map-side before the shuffle: one record per key per map partition', async () => {
    const ctx = testContext();
    const before = ctx.metrics.shuffleRecordsWritten;
    const rdd = ctx.range(10_000, undefined, 1, 4).map((x): [number, number] => [x % 10, 1]);
    expect(await rdd.reduceByKey((a, b) => a + b).collectAsMap()).toEqual(new Map(Array.from({ length: 10 }, (_, k) => [k, 1000])));
    expect(ctx.metrics.shuffleRecordsWritten - before).toBe(40);
  });

  it('gives the same answer to a second action on a shuffled RDD whose combiners are mutated', async () => {
    // Regression: reducers merge into the combiners they receive; a shuffle output read twice
    // would count the first map partition's values twice.
    const ctx = testContext();
    const lists = ctx
      .parallelize<[string, number]>(
        [
          ['a', 1],
          ['a', 2],
          ['a', 3],
          ['b', 4],
        ],
        3,
      )
      .aggregateByKey([] as number[], appendValue, appendAll);
    const first = await lists.collectAsMap();
    expect(await lists.collectAsMap()).toEqual(first);
    expect(first.get('a')?.slice().sort()).toEqual([1, 2, 3]);
    const [both] = await Promise.all([lists.collectAsMap(), lists.count()]);
    expect(both).toEqual(first);
  });

  it('self-joins a shuffled RDD correctly', async () => {
    const ctx = testContext();
    const sums = ctx
      .parallelize<[string, number]>([
        ['a', 1],
        ['a', 2],
        ['b', 3],
      ])
      .reduceByKey((x, y) => x + y);
    expect((await sums.join(sums).collect()).sort()).toEqual([
      ['a', [3, 3]],
      ['b', [3, 3]],
    ]);
  });

  it('fails a job whose shuffle would exceed shuffleRecordsMax, and keeps working for smaller ones', async () => {
    const ctx = testContext({ shuffleRecordsMax: 50 });
    const big = ctx
      .range(100, undefined, 1, 2)
      .map((x): [number, number] => [x, x])
      .groupByKey();
    await expect(big.count()).rejects.toMatchObject({ code: 'RDD_SHUFFLE_FULL', message: expect.stringContaining('shuffleRecordsMax 50') });
    expect(ctx.metrics.shufflesRefused).toBe(1);
    expect(
      await ctx
        .range(20)
        .map((x): [number, number] => [x % 2, x])
        .reduceByKey((a, b) => a + b)
        .count(),
    ).toBe(2);
  });

  it('releases shuffle outputs when the job ends', async () => {
    const ctx = testContext();
    const rdd = ctx
      .range(100)
      .map((x): [number, number] => [x % 7, x])
      .partitionBy(3);
    await rdd.take(1); // reads one of three reduce partitions
    expect((ctx as unknown as { scheduler: { shuffles: { shuffleRecordsHeld: number } } }).scheduler.shuffles.shuffleRecordsHeld).toBe(0);
  });

  it('runs concurrent actions on one context', async () => {
    const ctx = testContext();
    const base = ctx.range(1000).map((x): [number, number] => [x % 5, x]);
    const [a, b, c] = await Promise.all([base.reduceByKey((x, y) => x + y).collectAsMap(), base.groupByKey().count(), base.values().sum()]);
    expect([...a.values()].reduce((x, y) => x + y)).toBe(499500);
    expect(b).toBe(5);
    expect(c).toBe(499500);
  });

  it('yields to the event loop between tasks', async () => {
    const ctx = testContext();
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    await ctx
      .range(0, 200, 1, 200)
      .map((x) => {
        const end = Date.now() + 1;
        while (Date.now() < end) {}
        return x;
      })
      .count();
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(10);
  });
});
