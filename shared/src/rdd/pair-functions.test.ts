import { describe, expect, it } from 'vitest';
import { HashPartitioner, hashKey } from './internal.js';
import { appendAll, appendValue, testContext } from './test-context.js';

const byKey = <T extends readonly unknown[]>(items: T[]) => items.slice().sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));

describe('key-value operations', () => {
  it('mapValues, flatMapValues, keys and values', async () => {
    const ctx = testContext();
    const pairs = ctx.parallelize<[string, number]>([
      ['a', 1],
      ['b', 2],
    ]);
    expect(await pairs.mapValues((v) => v * 10).collect()).toEqual([
      ['a', 10],
      ['b', 20],
    ]);
    expect(await pairs.flatMapValues((v) => Array(v).fill(v)).collect()).toEqual([
      ['a', 1],
      ['b', 2],
      ['b', 2],
    ]);
    expect(await pairs.keys().collect()).toEqual(['a', 'b']);
    expect(await pairs.values().collect()).toEqual([1, 2]);
  });

  it('reduceByKey merges by key value: tuple keys, null values, numbers vs strings', async () => {
    const ctx = testContext();
    const pairs = ctx.parallelize<[unknown, number]>(
      [
        [[1, 'a'], 1],
        [[1, 'a'], 2],
        [[1, 'b'], 3],
        [1, 4],
        ['1', 5],
        [1, 6],
        [null, 7],
        [null, 8],
      ],
      3,
    );
    expect(byKey(await pairs.reduceByKey((a, b) => a + b).collect())).toEqual(
      byKey([
        [[1, 'a'], 3],
        [[1, 'b'], 3],
        [1, 10],
        ['1', 5],
        [null, 15],
      ]),
    );
    const nullValues = ctx.parallelize<[string, null]>([
      ['a', null],
      ['a', null],
    ]);
    expect(await nullValues.reduceByKey((a) => a).collect()).toEqual([['a', null]]);
  });

  it('reduceByKey on an empty RDD and into more partitions than keys', async () => {
    const ctx = testContext();
    expect(
      await ctx
        .emptyRDD<[string, number]>()
        .reduceByKey((a, b) => a + b)
        .collect(),
    ).toEqual([]);
    const reduced = ctx.parallelize<[string, number]>([['a', 1]]).reduceByKey((a, b) => a + b, 8);
    expect(reduced.getNumPartitions()).toBe(8);
    expect(await reduced.collect()).toEqual([['a', 1]]);
  });

  it('foldByKey and aggregateByKey start every key from its own copy of zero', async () => {
    const ctx = testContext();
    const pairs = ctx.parallelize<[string, number]>(
      [
        ['a', 1],
        ['b', 2],
        ['a', 3],
        ['a', 4],
      ],
      3,
    );
    expect(byKey(await pairs.foldByKey(0, (a, b) => a + b).collect())).toEqual([
      ['a', 8],
      ['b', 2],
    ]);
    const lists = await pairs.aggregateByKey([] as number[], appendValue, appendAll).collect();
    expect(byKey(lists.map(([k, vs]) => [k, vs.sort()] as const))).toEqual([
      ['a', [1, 3, 4]],
      ['b', [2]],
    ]);
  });

  it('combineByKey builds combiners per key', async () => {
    const ctx = testContext();
    const sumCount = await ctx
      .parallelize<[string, number]>(
        [
          ['a', 1],
          ['a', 2],
          ['b', 5],
        ],
        2,
      )
      .combineByKey(
        (v): [number, number] => [v, 1],
        ([s, n], v): [number, number] => [s + v, n + 1],
        ([s1, n1], [s2, n2]): [number, number] => [s1 + s2, n1 + n2],
      )
      .collectAsMap();
    expect(sumCount).toEqual(
      new Map([
        ['a', [3, 2]],
        ['b', [5, 1]],
      ]),
    );
  });

  it('groupByKey collects values into arrays', async () => {
    const ctx = testContext();
    const grouped = await ctx
      .parallelize<[string, number | null]>(
        [
          ['a', 1],
          ['b', null],
          ['a', 2],
        ],
        2,
      )
      .groupByKey()
      .mapValues((vs) => vs.slice().sort())
      .collect();
    expect(byKey(grouped)).toEqual([
      ['a', [1, 2]],
      ['b', [null]],
    ]);
  });

  it('cogroup and groupWith gather every side per key', async () => {
    const ctx = testContext();
    const a = ctx.parallelize<[string, number]>([
      ['x', 1],
      ['y', 2],
    ]);
    const b = ctx.parallelize<[string, string]>([
      ['x', 'p'],
      ['x', 'q'],
      ['z', 'r'],
    ]);
    const c = ctx.parallelize<[string, boolean]>([['z', true]]);
    expect(byKey(await a.cogroup(b).collect())).toEqual([
      ['x', [[1], ['p', 'q']]],
      ['y', [[2], []]],
      ['z', [[], ['r']]],
    ]);
    expect(byKey(await a.groupWith(b, c).collect())).toEqual([
      ['x', [[1], ['p', 'q'], []]],
      ['y', [[2], [], []]],
      ['z', [[], ['r'], [true]]],
    ]);
  });

  it('join gives the cross product of duplicate keys; outer joins fill null', async () => {
    const ctx = testContext();
    const a = ctx.parallelize<[string, number]>(
      [
        ['k', 1],
        ['k', 2],
        ['only-a', 3],
      ],
      2,
    );
    const b = ctx.parallelize<[string, string]>(
      [
        ['k', 'x'],
        ['k', 'y'],
        ['only-b', 'z'],
      ],
      3,
    );
    expect(byKey(await a.join(b).collect())).toEqual(
      byKey([
        ['k', [1, 'x']],
        ['k', [1, 'y']],
        ['k', [2, 'x']],
        ['k', [2, 'y']],
      ]),
    );
    expect(byKey(await a.leftOuterJoin(b).collect())).toEqual(
      byKey([
        ['k', [1, 'x']],
        ['k', [1, 'y']],
        ['k', [2, 'x']],
        ['k', [2, 'y']],
        ['only-a', [3, null]],
      ]),
    );
    expect(byKey(await a.rightOuterJoin(b).collect())).toEqual(
      byKey([
        ['k', [1, 'x']],
        ['k', [1, 'y']],
        ['k', [2, 'x']],
        ['k', [2, 'y']],
        ['only-b', [null, 'z']],
      ]),
    );
    expect(byKey(await a.fullOuterJoin(b).collect())).toEqual(
      byKey([
        ['k', [1, 'x']],
        ['k', [1, 'y']],
        ['k', [2, 'x']],
        ['k', [2, 'y']],
        ['only-a', [3, null]],
        ['only-b', [null, 'z']],
      ]),
    );
    expect(await a.join(ctx.emptyRDD<[string, number]>()).collect()).toEqual([]);
  });

  it('joins on tuple keys by value', async () => {
    const ctx = testContext();
    const a = ctx.parallelize<[[string, number], number]>([[['m1', 60], 21.5]]);
    const b = ctx.parallelize<[[string, number], string]>([[['m1', 60], 'site-a']]);
    expect(await a.join(b).collect()).toEqual([
      [
        ['m1', 60],
        [21.5, 'site-a'],
      ],
    ]);
  });

  it('subtractByKey keeps the pairs whose key the other lacks', async () => {
    const ctx = testContext();
    const a = ctx.parallelize<[string, number]>([
      ['a', 1],
      ['b', 2],
      ['b', 3],
      ['c', 4],
    ]);
    const b = ctx.parallelize<[string, null]>([['b', null]]);
    expect(byKey(await a.subtractByKey(b).collect())).toEqual([
      ['a', 1],
      ['c', 4],
    ]);
  });

  it('sortByKey sorts ascending, descending, with a key function, and across mixed key types', async () => {
    const ctx = testContext();
    const data: [number, string][] = Array.from({ length: 50 }, (_, i) => [(i * 7) % 50, `v${i}`]);
    const pairs = ctx.parallelize(data, 4);
    const keys = (rows: [number, string][]) => rows.map(([k]) => k);
    const ascending = Array.from({ length: 50 }, (_, i) => i);
    expect(keys(await pairs.sortByKey().collect())).toEqual(ascending);
    expect(keys(await pairs.sortByKey(false, 3).collect())).toEqual(ascending.slice().reverse());
    expect(keys(await pairs.sortByKey(true, 2, (k) => -k).collect())).toEqual(ascending.slice().reverse());
    const mixed = ctx.parallelize<[unknown, number]>(
      [
        ['b', 1],
        [2, 2],
        [null, 3],
        [[1, 2], 4],
        [1, 5],
        [true, 6],
      ],
      2,
    );
    expect((await mixed.sortByKey().collect()).map(([k]) => k)).toEqual([null, true, 1, 2, 'b', [1, 2]]);
    expect(await ctx.emptyRDD<[number, number]>().sortByKey().collect()).toEqual([]);
  });

  it('partitionBy places integer keys as PySpark does (key mod n) and accepts a partition function', async () => {
    const ctx = testContext();
    const pairs = ctx.parallelize<[number, string]>(
      [
        [0, 'a'],
        [1, 'b'],
        [2, 'c'],
        [5, 'd'],
      ],
      1,
    );
    expect(await pairs.partitionBy(2).glom().collect()).toEqual([
      [
        [0, 'a'],
        [2, 'c'],
      ],
      [
        [1, 'b'],
        [5, 'd'],
      ],
    ]);
    expect(
      await pairs
        .partitionBy(2, () => 1)
        .glom()
        .collect(),
    ).toEqual([
      [],
      [
        [0, 'a'],
        [1, 'b'],
        [2, 'c'],
        [5, 'd'],
      ],
    ]);
    const partitioned = pairs.partitionBy(2);
    expect(partitioned.partitionBy(2)).toBe(partitioned);
    expect(hashKey('device-1')).toBe(hashKey('device-1'));
    expect(new HashPartitioner(4).getPartition(-3)).toBe(1);
    await expect(pairs.partitionBy(2, () => 0.5).count()).rejects.toThrow('partitionFunc returned 0.5 for key 0, expected an integer');
  });

  it('joins co-partitioned RDDs without a shuffle', async () => {
    const ctx = testContext();
    const a = ctx
      .parallelize<[number, string]>([
        [1, 'a'],
        [2, 'b'],
        [3, 'c'],
      ])
      .partitionBy(4)
      .cache();
    const b = ctx
      .parallelize<[number, number]>([
        [1, 10],
        [3, 30],
      ])
      .partitionBy(4)
      .cache();
    await a.count();
    await b.count();
    const joined = a.join(b);
    expect(joined.toDebugString()).not.toContain('+-(4) MapPartitionsRDD'); // no shuffle between the cached inputs and the join
    expect(byKey(await joined.collect())).toEqual([
      [1, ['a', 10]],
      [3, ['c', 30]],
    ]);
    const job = ctx.jobs().at(-1);
    expect(job?.stages.filter((s) => s.kind === 'shuffle-map')).toEqual([]);
  });

  it('reduceByKey on an RDD already partitioned that way combines in place, with no shuffle', async () => {
    const ctx = testContext();
    const partitioned = ctx
      .parallelize<[string, number]>([
        ['a', 1],
        ['b', 2],
        ['a', 3],
      ])
      .partitionBy(3)
      .cache();
    await partitioned.count();
    const before = ctx.metrics.shuffleMapStagesRun;
    expect(byKey(await partitioned.reduceByKey((x, y) => x + y).collect())).toEqual([
      ['a', 4],
      ['b', 2],
    ]);
    expect(ctx.metrics.shuffleMapStagesRun).toBe(before);
  });
});
