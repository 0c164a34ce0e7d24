import { describe, expect, it } from 'vitest';
import { F } from './index.js';
import { testSession } from './test-session.js';

// Examples ported from PySpark's GroupedData documentation (pyspark.sql.GroupedData).
const ages = () =>
  testSession().createDataFrame(
    [
      [2, 'Alice'],
      [3, 'Alice'],
      [5, 'Bob'],
      [10, 'Bob'],
    ],
    ['age', 'name'],
  );

describe('GroupedData (PySpark documentation examples)', () => {
  it('agg with a record of column → function', async () => {
    expect(await ages().groupBy('name').agg({ age: 'sum' }).sort('name').collect()).toEqual([
      { name: 'Alice', 'sum(age)': 5 },
      { name: 'Bob', 'sum(age)': 15 },
    ]);
  });

  it('agg with columns', async () => {
    const df = ages();
    expect(
      await df
        .groupBy(df.col('name'))
        .agg(F.min(df.col('age')))
        .sort('name')
        .collect(),
    ).toEqual([
      { name: 'Alice', 'min(age)': 2 },
      { name: 'Bob', 'min(age)': 5 },
    ]);
  });

  it('count, sum, avg, mean, min, max shortcuts', async () => {
    const df = ages();
    expect(await df.groupBy('name').count().sort('name').collect()).toEqual([
      { name: 'Alice', count: 2 },
      { name: 'Bob', count: 2 },
    ]);
    expect(await df.groupBy('name').sum('age').sort('name').collect()).toEqual([
      { name: 'Alice', 'sum(age)': 5 },
      { name: 'Bob', 'sum(age)': 15 },
    ]);
    expect(await df.groupBy('name').avg('age').sort('name').collect()).toEqual([
      { name: 'Alice', 'avg(age)': 2.5 },
      { name: 'Bob', 'avg(age)': 7.5 },
    ]);
    expect(await df.groupBy('name').mean().sort('name').collect()).toEqual([
      { name: 'Alice', 'avg(age)': 2.5 },
      { name: 'Bob', 'avg(age)': 7.5 },
    ]);
    expect(await df.groupBy().min('age').collect()).toEqual([{ 'min(age)': 2 }]);
    expect(await df.groupBy().max('age').collect()).toEqual([{ 'max(age)': 10 }]);
  });

  it('groups null keys together', async () => {
    const df = testSession().createDataFrame(
      [
        { k: null, v: 1 },
        { k: 'a', v: 2 },
        { k: null, v: 3 },
      ],
      'k string, v int',
    );
    expect(await df.groupBy('k').sum('v').orderBy('k').collect()).toEqual([
      { k: null, 'sum(v)': 4 },
      { k: 'a', 'sum(v)': 2 },
    ]);
  });

  it('agg of expressions over aggregates', async () => {
    const df = ages();
    expect(
      await df
        .groupBy('name')
        .agg(F.max('age').minus(F.min('age')).alias('spread'))
        .sort('name')
        .collect(),
    ).toEqual([
      { name: 'Alice', spread: 1 },
      { name: 'Bob', spread: 5 },
    ]);
  });

  it('matches a plain loop on many rows over many partitions', async () => {
    const ctx = testSession();
    const rows = Array.from({ length: 5000 }, (_, i) => ({ device: `d${i % 37}`, value: (i * 7919) % 1000 }));
    const expected = new Map<string, number>();
    for (const r of rows) expected.set(r.device, (expected.get(r.device) ?? 0) + r.value);
    const got = await ctx.createDataFrame(rows).groupBy('device').agg(F.sum('value').alias('s')).collect();
    expect(new Map(got.map((r) => [r.device as string, r.s as number]))).toEqual(expected);
  });
});
