import { describe, expect, it } from 'vitest';
import { F, Window } from './index.js';
import { testSession } from './test-session.js';

// Examples ported from PySpark's functions documentation (pyspark.sql.functions).
describe('functions (PySpark documentation examples)', () => {
  it('lit, col, expr', async () => {
    const ctx = testSession();
    const df = ctx.range(1);
    expect(await df.select(F.lit(5).alias('height'), F.col('id')).collect()).toEqual([{ height: 5, id: 0 }]);
    expect(await df.select(F.expr('id + 1 AS next')).collect()).toEqual([{ next: 1 }]);
  });

  it('coalesce: the first non-null', async () => {
    const ctx = testSession();
    const df = ctx.createDataFrame(
      [
        [null, null],
        [1, null],
        [null, 2],
      ],
      'a int, b int',
    );
    expect(await df.select(F.coalesce(F.col('a'), F.col('b'))).collect()).toEqual([
      { 'coalesce(a, b)': null },
      { 'coalesce(a, b)': 1 },
      { 'coalesce(a, b)': 2 },
    ]);
    expect(await df.select(F.coalesce(F.col('a'), F.lit(0.0)).alias('c')).collect()).toEqual([{ c: 0 }, { c: 1 }, { c: 0 }]);
  });

  it('count, countDistinct, sum, avg, mean, min, max', async () => {
    const ctx = testSession();
    const df = ctx.createDataFrame(
      [
        [1, 'Alice'],
        [1, 'Alice'],
        [2, 'Bob'],
        [null, 'Tom'],
      ],
      'age int, name string',
    );
    const [row] = await df
      .agg(F.count('age'), F.count('*'), F.countDistinct('age'), F.sum('age'), F.avg('age'), F.mean('age'), F.min('name'), F.max('age'))
      .collect();
    expect(row).toEqual({
      'count(age)': 3,
      'count(1)': 4,
      'count(DISTINCT age)': 2,
      'sum(age)': 4,
      'avg(age)': 4 / 3,
      'min(name)': 'Alice',
      'max(age)': 2,
    });
    expect(await df.agg(F.countDistinct(F.col('age'), F.col('name')).alias('c')).collect()).toEqual([{ c: 2 }]);
  });

  it('aggregates over no rows: count 0, the others null', async () => {
    const ctx = testSession();
    const df = ctx.createDataFrame([{ v: 1.5 }]).filter('v > 10');
    expect(await df.agg(F.count('*'), F.sum('v'), F.avg('v'), F.max('v'), F.stddev('v')).collect()).toEqual([
      { 'count(1)': 0, 'sum(v)': null, 'avg(v)': null, 'max(v)': null, 'stddev(v)': null },
    ]);
  });

  it('stddev and variance: sample statistics, as the range(6) example', async () => {
    const ctx = testSession();
    const [row] = await ctx.range(6).select(F.stddev('id'), F.variance('id')).collect();
    expect(row!['stddev(id)']).toBeCloseTo(1.8708286933869707, 14);
    expect(row!['variance(id)']).toBeCloseTo(3.5, 14);
  });

  it('first and last', async () => {
    const ctx = testSession();
    const df = ctx.createDataFrame(
      [
        ['Alice', 2],
        ['Bob', 5],
        ['Alice', null],
      ],
      ['name', 'age'],
    );
    expect(await df.groupBy('name').agg(F.first('age')).orderBy('name').collect()).toEqual([
      { name: 'Alice', 'first(age)': 2 },
      { name: 'Bob', 'first(age)': 5 },
    ]);
    expect(await df.groupBy('name').agg(F.last('age')).orderBy('name').collect()).toEqual([
      { name: 'Alice', 'last(age)': null },
      { name: 'Bob', 'last(age)': 5 },
    ]);
  });

  it('collectList keeps duplicates; the result is an array<...> column', async () => {
    const ctx = testSession();
    const df = ctx.createDataFrame([[2], [5], [5]], ['age']);
    const agg = df.agg(F.collectList('age'));
    expect(agg.dtypes).toEqual([['collect_list(age)', 'array<bigint>']]);
    const [row] = await agg.collect();
    expect((row!['collect_list(age)'] as number[]).slice().sort()).toEqual([2, 5, 5]);
  });

  it('percentileApprox: one percentage or several, per group', async () => {
    const ctx = testSession();
    const rows = Array.from({ length: 100 }, (_, i) => ({ key: i % 2, value: i }));
    const df = ctx.createDataFrame(rows);
    const result = await df
      .groupBy('key')
      .agg(F.percentileApprox('value', 0.5).alias('median'), F.percentileApprox('value', [0.25, 0.75]).alias('q'))
      .orderBy('key')
      .collect();
    expect(result).toEqual([
      { key: 0, median: 48, q: [24, 74] },
      { key: 1, median: 49, q: [25, 75] },
    ]);
  });

  it('abs, round (half up), sqrt', async () => {
    const ctx = testSession();
    const df = ctx.createDataFrame([{ v: -2.5 }, { v: 2.5 }, { v: 4.0 }]);
    expect(
      await df
        .select(F.abs('v').alias('a'), F.round('v').alias('r'), F.round(F.col('v').divide(3), 2).alias('r2'), F.sqrt(F.abs('v')).alias('s'))
        .collect(),
    ).toEqual([
      { a: 2.5, r: -3, r2: -0.83, s: Math.sqrt(2.5) },
      { a: 2.5, r: 3, r2: 0.83, s: Math.sqrt(2.5) },
      { a: 4, r: 4, r2: 1.33, s: 2 },
    ]);
  });

  it('upper, lower, length, concat (null if any input is null)', async () => {
    const ctx = testSession();
    const df = ctx.createDataFrame(
      [
        ['abcd', '123'],
        ['ABC ', null],
      ],
      ['s', 'd'],
    );
    expect(
      await df
        .select(F.upper('s').alias('u'), F.lower('s').alias('l'), F.length('s').alias('n'), F.concat(F.col('s'), F.col('d')).alias('c'))
        .collect(),
    ).toEqual([
      { u: 'ABCD', l: 'abcd', n: 4, c: 'abcd123' },
      { u: 'ABC ', l: 'abc ', n: 4, c: null },
    ]);
  });

  it('window: the documentation example, grouping by 5-second windows', async () => {
    const ctx = testSession();
    const df = ctx.createDataFrame([[new Date('2016-03-11T09:00:07Z'), 1]]).toDF('date', 'val');
    const w = df.groupBy(F.window('date', '5 seconds')).agg(F.sum('val').alias('sum'));
    expect(
      await w.select(F.col('window.start').cast('string').alias('start'), F.col('window.end').cast('string').alias('end'), 'sum').collect(),
    ).toEqual([{ start: '2016-03-11 09:00:05', end: '2016-03-11 09:00:10', sum: 1 }]);
    expect(() => F.window('date', '5 lightyears')).toThrow(/windowDuration was "5 lightyears"/);
  });

  it('explode and sequence: one row per element; a null or empty array gives none', async () => {
    const ctx = testSession();
    const df = ctx.createDataFrame(
      [
        { id: 1, tags: ['a', 'b'] },
        { id: 2, tags: [] },
        { id: 3, tags: null },
      ],
      'id int, tags array<string>',
    );
    expect(await df.select('id', F.explode('tags').alias('tag')).collect()).toEqual([
      { id: 1, tag: 'a' },
      { id: 1, tag: 'b' },
    ]);
    expect(
      await ctx
        .range(1)
        .select(F.explode(F.sequence(F.lit(0), F.lit(3))).alias('k'))
        .collect(),
    ).toEqual([{ k: 0 }, { k: 1 }, { k: 2 }, { k: 3 }]);
    expect(
      await ctx
        .range(2)
        .withColumn('k', F.explode(F.sequence(F.lit(1), F.lit(2))))
        .count(),
    ).toBe(4);
    expect(() => ctx.range(1).select(F.explode('id'))).toThrow(/expected an array/);
  });

  it('window functions: a running total, a rows frame and a range frame per partition (PySpark Window examples)', async () => {
    const ctx = testSession();
    const df = ctx.createDataFrame(
      [
        [1, 'a'],
        [1, 'a'],
        [2, 'a'],
        [1, 'b'],
        [2, 'b'],
        [3, 'b'],
      ],
      ['id', 'category'],
    );
    const byCategory = Window.partitionBy('category').orderBy('id');
    // PySpark's rowsBetween(Window.unboundedPreceding, Window.currentRow) example.
    const running = await df
      .withColumn('sum', F.sum('id').over(byCategory.rowsBetween(Window.unboundedPreceding, Window.currentRow)))
      .orderBy('category', 'sum')
      .collect();
    expect(running.map((r) => [r.category, r.id, r.sum])).toEqual([
      ['a', 1, 1],
      ['a', 1, 2],
      ['a', 2, 4],
      ['b', 1, 1],
      ['b', 2, 3],
      ['b', 3, 6],
    ]);
    // PySpark's rangeBetween(Window.currentRow, 1) example: rows whose id is within [id, id + 1].
    const ranged = await df
      .withColumn('sum', F.sum('id').over(byCategory.rangeBetween(Window.currentRow, 1)))
      .orderBy('category', 'id')
      .collect();
    expect(ranged.map((r) => [r.category, r.id, r.sum])).toEqual([
      ['a', 1, 4],
      ['a', 1, 4],
      ['a', 2, 2],
      ['b', 1, 3],
      ['b', 2, 5],
      ['b', 3, 3],
    ]);
    const trailing = await df
      .select('category', 'id', F.avg('id').over(byCategory.rowsBetween(-1, 0)).alias('avg2'))
      .orderBy('category', 'id', 'avg2')
      .collect();
    expect(trailing.map((r) => r.avg2)).toEqual([1, 1, 1.5, 1, 1.5, 2.5]);
    const frames = await df
      .select(
        'category',
        'id',
        F.sum('id').over(byCategory.rowsBetween(-1, 0)).alias('last2'),
        F.max('id').over(byCategory.rowsBetween(Window.unboundedPreceding, Window.unboundedFollowing)).alias('top'),
      )
      .orderBy('category', 'id', 'last2')
      .collect();
    expect(frames.map((r) => [r.last2, r.top])).toEqual([
      [1, 2],
      [2, 2],
      [3, 2],
      [1, 3],
      [3, 3],
      [5, 3],
    ]);
    const whole = await df
      .withColumn('n', F.count('*').over(Window.partitionBy('category')))
      .select('category', 'n')
      .distinct()
      .orderBy('category')
      .collect();
    expect(whole).toEqual([
      { category: 'a', n: 3 },
      { category: 'b', n: 3 },
    ]);
  });

  it('desc and asc', async () => {
    const ctx = testSession();
    const df = ctx.createDataFrame([{ n: 1 }, { n: 3 }, { n: 2 }]);
    expect((await df.orderBy(F.desc('n')).collect()).map((r) => r.n)).toEqual([3, 2, 1]);
    expect((await df.orderBy(F.asc('n')).collect()).map((r) => r.n)).toEqual([1, 2, 3]);
  });
});
