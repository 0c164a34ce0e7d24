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

  it('the generated combine loop agrees with a plain loop: one and two keys, null keys and values, every inlined aggregate', async () => {
    const ctx = testSession();
    let seed = 7;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const rows = Array.from({ length: 3000 }, () => ({
      site: next() < 0.1 ? null : `s${Math.floor(next() * 4)}`,
      kind: next() < 0.5 ? 'a' : 'b',
      v: next() < 0.2 ? null : Math.round((next() - 0.5) * 1e6) / 100,
    }));
    const df = ctx.createDataFrame(rows, 'site string, kind string, v double');
    const aggs = [
      F.count('*').alias('n'),
      F.count('v').alias('nv'),
      F.sum('v').alias('s'),
      F.avg('v').alias('a'),
      F.min('v').alias('lo'),
      F.max('v').alias('hi'),
    ];
    const oracle = (keyOf: (r: (typeof rows)[number]) => string) => {
      const groups = new Map<string, { n: number; nv: number; s: number | null; lo: number | null; hi: number | null }>();
      for (const r of rows) {
        const g = groups.get(keyOf(r)) ?? { n: 0, nv: 0, s: null, lo: null, hi: null };
        g.n++;
        if (r.v !== null) {
          g.nv++;
          g.s = (g.s ?? 0) + r.v;
          g.lo = g.lo === null || r.v < g.lo ? r.v : g.lo;
          g.hi = g.hi === null || r.v > g.hi ? r.v : g.hi;
        }
        groups.set(keyOf(r), g);
      }
      return groups;
    };
    const check = (got: Record<string, unknown>[], expected: ReturnType<typeof oracle>, keyOf: (r: Record<string, unknown>) => string) => {
      expect(got.length).toBe(expected.size);
      for (const row of got) {
        const e = expected.get(keyOf(row))!;
        expect([row.n, row.nv, row.lo, row.hi]).toEqual([e.n, e.nv, e.lo, e.hi]);
        expect(row.s as number).toBeCloseTo(e.s!, 6);
        expect(row.a as number).toBeCloseTo(e.s! / e.nv, 6);
      }
    };
    check(
      await df
        .groupBy('site')
        .agg(...aggs)
        .collect(),
      oracle((r) => String(r.site)),
      (r) => String(r.site),
    );
    check(
      await df
        .groupBy('site', 'kind')
        .agg(...aggs)
        .collect(),
      oracle((r) => `${r.site}/${r.kind}`),
      (r) => `${r.site}/${r.kind}`,
    );
    check(
      await df.agg(...aggs).collect(),
      oracle(() => 'all'),
      () => 'all',
    );
    const none = await df
      .filter('v > 1e12')
      .groupBy('kind')
      .agg(...aggs)
      .collect();
    expect(none).toEqual([]);
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
