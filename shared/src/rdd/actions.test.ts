import { describe, expect, it } from 'vitest';
import { RddError, StatCounter } from './internal.js';
import { testContext } from './test-context.js';

describe('actions', () => {
  it('collect and count cover every partition', async () => {
    const ctx = testContext();
    const rdd = ctx.parallelize([3, 1, 2], 7);
    expect(await rdd.collect()).toEqual([3, 1, 2]);
    expect(await rdd.count()).toBe(3);
  });

  it('first takes the first element and rejects on an empty RDD', async () => {
    const ctx = testContext();
    expect(await ctx.parallelize([null, 1], 2).first()).toBe(null);
    await expect(ctx.emptyRDD().first()).rejects.toMatchObject({ code: 'RDD_EMPTY' });
    await expect(ctx.parallelize([], 3).first()).rejects.toThrow(RddError);
  });

  it('take scans only as many partitions as it needs', async () => {
    const ctx = testContext();
    const rdd = ctx.range(100, undefined, 1, 10);
    expect(await rdd.take(3)).toEqual([0, 1, 2]);
    expect(ctx.jobs().at(-1)?.stages[0].numTasks).toBe(1);
    expect(await rdd.take(0)).toEqual([]);
    expect(await rdd.take(1000)).toHaveLength(100);
    expect(await ctx.parallelize([1, 2], 8).take(2)).toEqual([1, 2]);
    await expect(rdd.take(-1)).rejects.toThrow('take: num was -1, expected an integer >= 0');
  });

  it('takeOrdered and top order by value or by a key function', async () => {
    const ctx = testContext();
    const rdd = ctx.parallelize([10, 4, 2, 12, 3], 3);
    expect(await rdd.takeOrdered(3)).toEqual([2, 3, 4]);
    expect(await rdd.takeOrdered(2, (x) => -x)).toEqual([12, 10]);
    expect(await rdd.top(2)).toEqual([12, 10]);
    expect(await ctx.parallelize(['a', 'ccc', 'bb']).top(1, (s) => s.length)).toEqual(['ccc']);
    expect(await ctx.emptyRDD<number>().top(3)).toEqual([]);
  });

  it('takeSample returns exactly num elements, reproducibly from a seed', async () => {
    const ctx = testContext();
    const rdd = ctx.range(1000, undefined, 1, 4);
    const sample = await rdd.takeSample(false, 20, 3);
    expect(sample).toHaveLength(20);
    expect(new Set(sample).size).toBe(20);
    expect(await rdd.takeSample(false, 20, 3)).toEqual(sample);
    expect(await rdd.takeSample(true, 50, 5)).toHaveLength(50);
    expect((await ctx.parallelize([1, 2, 3]).takeSample(false, 10, 1)).sort()).toEqual([1, 2, 3]);
    expect(await ctx.emptyRDD().takeSample(false, 5)).toEqual([]);
  });

  it('isEmpty is true only without elements', async () => {
    const ctx = testContext();
    expect(await ctx.parallelize([], 4).isEmpty()).toBe(true);
    expect(await ctx.parallelize([0], 4).isEmpty()).toBe(false);
  });

  it('reduce skips empty partitions and rejects on an empty RDD', async () => {
    const ctx = testContext();
    expect(await ctx.parallelize([1, 2, 3, 4], 8).reduce((a, b) => a + b)).toBe(10);
    await expect(ctx.parallelize<number>([], 2).reduce((a, b) => a + b)).rejects.toMatchObject({ code: 'RDD_EMPTY' });
  });

  it('fold applies zero once per partition and once more when merging, as PySpark', async () => {
    const ctx = testContext();
    expect(await ctx.parallelize([1, 2, 3], 3).fold(1, (a, b) => a + b)).toBe(10);
    expect(await ctx.emptyRDD<number>().fold(0, (a, b) => a + b)).toBe(0);
  });

  it('aggregate folds into another type, with a fresh zero per partition', async () => {
    const ctx = testContext();
    const [sum, count] = await ctx.parallelize([1, 2, 3, 4], 2).aggregate(
      [0, 0] as [number, number],
      (acc, x) => {
        acc[0] += x;
        acc[1] += 1;
        return acc;
      },
      (a, b) => [a[0] + b[0], a[1] + b[1]],
    );
    expect([sum, count]).toEqual([10, 4]);
  });

  it('treeAggregate and treeReduce equal aggregate and reduce at every depth', async () => {
    const ctx = testContext();
    const rdd = ctx.range(1, 1001, 1, 37);
    for (const depth of [1, 2, 3, 5]) {
      expect(
        await rdd.treeAggregate(
          0,
          (a, b) => a + b,
          (a, b) => a + b,
          depth,
        ),
      ).toBe(500500);
      expect(await rdd.treeReduce((a, b) => a + b, depth)).toBe(500500);
    }
    expect(
      await ctx.emptyRDD<number>().treeAggregate(
        0,
        (a, b) => a + b,
        (a, b) => a + b,
      ),
    ).toBe(0);
    await expect(ctx.parallelize<number>([], 3).treeReduce((a, b) => a + b)).rejects.toMatchObject({ code: 'RDD_EMPTY' });
    await expect(
      rdd.treeAggregate(
        0,
        (a) => a,
        (a) => a,
        0,
      ),
    ).rejects.toThrow('treeAggregate: depth was 0');
  });

  it('foreach and foreachPartition visit everything', async () => {
    const ctx = testContext();
    const seen: number[] = [];
    await ctx.parallelize([1, 2, 3], 2).foreach((x) => seen.push(x));
    const sizes: number[] = [];
    await ctx.parallelize([1, 2, 3], 2).foreachPartition(async (items) => {
      await new Promise((r) => setTimeout(r, 1));
      sizes.push(items.length);
    });
    expect(seen.sort()).toEqual([1, 2, 3]);
    expect(sizes.sort()).toEqual([1, 2]);
  });

  it('countByValue and countByKey return Maps counted by value', async () => {
    const ctx = testContext();
    expect(await ctx.parallelize(['a', 'b', 'a', null, null, null], 3).countByValue()).toEqual(
      new Map<string | null, number>([
        ['a', 2],
        ['b', 1],
        [null, 3],
      ]),
    );
    const byTuple = await ctx
      .parallelize<[[number, number], string]>(
        [
          [[1, 2], 'x'],
          [[1, 2], 'y'],
        ],
        2,
      )
      .countByKey();
    expect([...byTuple.values()]).toEqual([2]);
    expect([...byTuple.keys()]).toEqual([[1, 2]]);
  });

  it('collectAsMap keeps the last value of a key', async () => {
    const ctx = testContext();
    expect(
      await ctx
        .parallelize<[string, number]>([
          ['a', 1],
          ['a', 2],
          ['b', 3],
        ])
        .collectAsMap(),
    ).toEqual(
      new Map([
        ['a', 2],
        ['b', 3],
      ]),
    );
  });

  it('lookup reads one partition when the partitioner is known', async () => {
    const ctx = testContext();
    const pairs = ctx.parallelize<[string, number]>([
      ['a', 1],
      ['b', 2],
      ['a', 3],
    ]);
    expect((await pairs.lookup('a')).sort()).toEqual([1, 3]);
    const partitioned = pairs.partitionBy(5).cache();
    await partitioned.count();
    expect((await partitioned.lookup('a')).sort()).toEqual([1, 3]);
    expect(
      ctx
        .jobs()
        .at(-1)
        ?.stages.find((s) => s.kind === 'result')?.numTasks,
    ).toBe(1);
    expect(await partitioned.lookup('zzz')).toEqual([]);
  });

  it('max and min order by value or key, and reject when empty', async () => {
    const ctx = testContext();
    const rdd = ctx.parallelize([5, 12, -3, 7], 3);
    expect(await rdd.max()).toBe(12);
    expect(await rdd.min()).toBe(-3);
    expect(await rdd.max((x) => -x)).toBe(-3);
    expect(await ctx.parallelize(['pear', 'fig']).min()).toBe('fig');
    await expect(ctx.emptyRDD<number>().max()).rejects.toMatchObject({ code: 'RDD_EMPTY' });
  });

  it('computes sum, mean, variance, stdev and their sample forms', async () => {
    const ctx = testContext();
    const rdd = ctx.parallelize([2, 4, 4, 4, 5, 5, 7, 9], 3);
    expect(await rdd.sum()).toBe(40);
    expect(await rdd.mean()).toBe(5);
    expect(await rdd.variance()).toBeCloseTo(4, 12);
    expect(await rdd.stdev()).toBeCloseTo(2, 12);
    expect(await rdd.sampleVariance()).toBeCloseTo(32 / 7, 12);
    expect(await rdd.sampleStdev()).toBeCloseTo(Math.sqrt(32 / 7), 12);
    const stats = await rdd.stats();
    expect(stats).toBeInstanceOf(StatCounter);
    expect([stats.count, stats.min, stats.max]).toEqual([8, 2, 9]);
    expect(Number.isNaN(await ctx.emptyRDD<number>().mean())).toBe(true);
  });

  it('histogram follows PySpark: even buckets, given bounds, a closed last bucket', async () => {
    const ctx = testContext();
    const rdd = ctx.range(51, undefined, 1, 4);
    expect(await rdd.histogram(2)).toEqual([
      [0, 25, 50],
      [25, 26],
    ]);
    expect(await rdd.histogram([0, 5, 25, 50])).toEqual([
      [0, 5, 25, 50],
      [5, 20, 26],
    ]);
    expect(await rdd.histogram([0, 15, 30, 45, 60])).toEqual([
      [0, 15, 30, 45, 60],
      [15, 15, 15, 6],
    ]);
    expect(await ctx.parallelize([1, 1, 1]).histogram(3)).toEqual([[1, 1], [3]]);
    expect(await ctx.parallelize([1, Number.NaN, 2]).histogram([0, 10])).toEqual([[0, 10], [2]]);
    await expect(rdd.histogram([5, 1])).rejects.toThrow('sorted bounds');
    await expect(ctx.emptyRDD<number>().histogram(2)).rejects.toMatchObject({ code: 'RDD_EMPTY' });
  });

  it('rejects when a user function throws, naming the operation and the RDD, and the context still works', async () => {
    const ctx = testContext();
    const broken = ctx
      .parallelize([1, 2, 3])
      .map((x) => {
        if (x === 2) throw new Error('bad reading');
        return x;
      })
      .setName('readings');
    await expect(broken.collect()).rejects.toThrow(/map failed in readings ElementwiseRDD\[\d+\] at map: bad reading/);
    const pairs = ctx.parallelize<[string, number]>(
      [
        ['a', 1],
        ['a', 2],
      ],
      1,
    );
    await expect(
      pairs
        .reduceByKey(() => {
          throw new Error('boom');
        })
        .collect(),
    ).rejects.toMatchObject({ code: 'RDD_USER_FUNCTION_FAILED', message: expect.stringContaining('reduceByKey failed') });
    const chain = ctx
      .parallelize([1, 2, 3])
      .map((x) => x * 2)
      .filter((x) => {
        if (x === 4) throw new Error('filter broke');
        return true;
      })
      .map((x): [number, number] => [x, x]);
    await expect(chain.reduceByKey((a, b) => a + b).collect()).rejects.toThrow(
      /^filter failed in ElementwiseRDD\[\d+\] at filter: filter broke$/,
    );
    await expect(
      ctx.parallelize([1, 2]).reduce(() => {
        throw new Error('no');
      }),
    ).rejects.toThrow('reduce failed');
    expect(
      await ctx
        .parallelize([1, 2, 3])
        .map((x) => x + 1)
        .collect(),
    ).toEqual([2, 3, 4]);
  });
});
