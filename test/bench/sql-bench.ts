import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { F, ParquetSource, RddContext, SqlContext } from '@fogline/shared';
import { type BenchRow, medianMs } from './bench-table.js';

const rowsCount = 2_000_000;
const keysCount = 10_000;
const runs = 5;

interface Reading {
  device_id: string;
  value: number;
}

function makeRows(): Reading[] {
  const ids = Array.from({ length: keysCount }, (_, i) => `atm-${String(i).padStart(5, '0')}`);
  return Array.from({ length: rowsCount }, (_, i) => ({ device_id: ids[(i * 7919) % keysCount]!, value: 20 + ((i * 31) % 100) / 10 }));
}

type Agg = { n: number; sum: number; min: number; max: number };

/**
 * The DataFrame's groupBy().agg() against the same reduction written as an RDD
 * aggregateByKey and as a hand-written Map loop, over the same 2,000,000 rows of 10,000
 * devices (count, sum, min and max per device); and a Parquet scan with a pushed-down filter
 * (row groups skipped by their statistics) against a full scan of the same file.
 */
export async function runSqlBench(): Promise<BenchRow[]> {
  const rows = makeRows();
  const rdd = new RddContext();
  const ctx = new SqlContext(rdd);
  const df = ctx.createDataFrame(rows, 'device_id string, value double');

  const hand = () => {
    const groups = new Map<string, Agg>();
    for (const r of rows) {
      const g = groups.get(r.device_id);
      if (g === undefined) groups.set(r.device_id, { n: 1, sum: r.value, min: r.value, max: r.value });
      else {
        g.n++;
        g.sum += r.value;
        if (r.value < g.min) g.min = r.value;
        if (r.value > g.max) g.max = r.value;
      }
    }
    return [...groups];
  };
  const engine = () =>
    rdd
      .parallelize(rows)
      .map((r) => [r.device_id, r.value] as [string, number])
      .aggregateByKey(
        { n: 0, sum: 0, min: Number.POSITIVE_INFINITY, max: Number.NEGATIVE_INFINITY },
        (a: Agg, v: number) => {
          a.n++;
          a.sum += v;
          if (v < a.min) a.min = v;
          if (v > a.max) a.max = v;
          return a;
        },
        (a: Agg, b: Agg) => ({ n: a.n + b.n, sum: a.sum + b.sum, min: Math.min(a.min, b.min), max: Math.max(a.max, b.max) }),
      )
      .collect();
  const dataframe = () =>
    df
      .groupBy('device_id')
      .agg(F.count('*').alias('n'), F.sum('value').alias('sum'), F.min('value').alias('min'), F.max('value').alias('max'))
      .collect();

  // Same answers first: a benchmark of a wrong result measures nothing.
  const expected = new Map(hand());
  const got = await dataframe();
  if (
    got.length !== keysCount ||
    got.some(
      (r) =>
        expected.get(r.device_id as string)?.n !== r.n || Math.abs(expected.get(r.device_id as string)!.sum - (r.sum as number)) > 1e-6,
    )
  ) {
    throw new Error('sql bench: the DataFrame and the hand loop disagree');
  }
  const [handMs, engineMs, dataframeMs] = await medianMs(runs, [hand, engine, dataframe]);

  const dir = await mkdtemp(join(tmpdir(), 'fogline-sql-bench-'));
  const ids = ctx.range(0, rowsCount).withColumn('value', F.col('id').mod(97).cast('double'));
  await ids.write.parquet(join(dir, 'scan'));
  const source = await ParquetSource.open(join(dir, 'scan'));
  const table = ctx.registerTable(source, 'scan');
  const selective = rowsCount - rowsCount / 100;
  const full = () => table.agg(F.count('*'), F.sum('value')).collect();
  const pushed = () => table.filter(F.col('id').geq(selective)).agg(F.count('*'), F.sum('value')).collect();
  const [check] = await pushed();
  if (check!['count(1)'] !== rowsCount / 100)
    throw new Error(`sql bench: the filtered scan counted ${check!['count(1)']}, expected ${rowsCount / 100}`);
  const [fullMs, pushedMs] = await medianMs(3, [full, pushed]);
  await rm(dir, { recursive: true, force: true });
  await ctx.stop();
  await rdd.stop();

  const perSecond = (ms: number) => (rowsCount / ms) * 1000;
  return [
    {
      benchmark: `DataFrame groupBy().agg(count, sum, min, max) (${rowsCount.toLocaleString('en-US')} rows, ${keysCount.toLocaleString('en-US')} groups, ${rdd.defaultParallelism} partitions)`,
      unit: 'rows/s',
      figure: perSecond(dataframeMs),
      baseline: perSecond(handMs),
      baselineName: 'hand-written Map loop',
      targetRatioMin: 0.3,
    },
    {
      benchmark: 'RDD aggregateByKey, the same reduction',
      unit: 'rows/s',
      figure: perSecond(engineMs),
      baseline: perSecond(handMs),
      baselineName: 'hand-written Map loop',
    },
    {
      benchmark: `Parquet scan, filter keeping 1% pushed down (${rowsCount.toLocaleString('en-US')} rows, ${source.schema.fields.length} columns)`,
      unit: 'table rows/s',
      figure: perSecond(pushedMs),
      baseline: perSecond(fullMs),
      baselineName: 'full scan of the same file',
      targetRatioMin: 5,
    },
  ];
}
