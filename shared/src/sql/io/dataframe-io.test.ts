import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { F } from '../index.js';
import { testSession } from '../test-session.js';
import { ParquetSource } from './parquet-source.js';

const folders: string[] = [];
afterEach(async () => {
  await Promise.all(folders.splice(0).map((f) => rm(f, { recursive: true, force: true })));
});
async function folder(): Promise<string> {
  const f = await mkdtemp(join(tmpdir(), 'fogline-sql-io-'));
  folders.push(f);
  return f;
}

const readings = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    device: `atm-${i % 10}`,
    day: `2026-12-0${1 + (i % 3)}`,
    at: new Date(Date.UTC(2026, 11, 1) + i * 1000),
    value: i / 4,
    count: i,
    ok: i % 2 === 0,
  }));

describe('reading and writing files', () => {
  it('parquet round trip keeps every type and value, nulls included', async () => {
    const ctx = testSession();
    const dir = join(await folder(), 'out');
    const df = ctx.createDataFrame(
      [...readings(50), { device: null, day: null, at: null, value: null, count: null, ok: null }],
      'device string, day string, at timestamp, value double, count bigint, ok boolean',
    );
    await df.write.parquet(dir);
    const back = await ctx.read.parquet(dir);
    expect(back.dtypes).toEqual(df.dtypes);
    expect(await back.orderBy('count').collect()).toEqual(await df.orderBy('count').collect());
    expect(await readdir(dir)).toContain('_SUCCESS');
  });

  it('partitionBy writes Hive folders whose values come back as a column, and a filter on it skips the other folders', async () => {
    const ctx = testSession();
    const dir = join(await folder(), 'lake');
    await ctx.createDataFrame(readings(90)).write.partitionBy('day').parquet(dir);
    expect((await readdir(dir)).sort()).toEqual(['_SUCCESS', 'day=2026-12-01', 'day=2026-12-02', 'day=2026-12-03']);
    const source = await ParquetSource.open(dir);
    ctx.registerTable(source, 'lake');
    const rows = await ctx.sql("SELECT count(*) AS n, sum(count) AS s FROM lake WHERE day = '2026-12-02'").collect();
    const expected = readings(90).filter((r) => r.day === '2026-12-02');
    expect(rows).toEqual([{ n: expected.length, s: expected.reduce((a, r) => a + r.count, 0) }]);
    // Three partitions each wrote one file per day: the two other days' six files are never opened.
    expect(source.metrics).toEqual({ rowGroupsRead: 3, rowGroupsSkipped: 6 });
  });

  it('a filtered parquet scan skips row groups by their min/max statistics, with the same answer as a full scan', async () => {
    const ctx = testSession();
    const dir = join(await folder(), 'big');
    const rows = Array.from({ length: 50_000 }, (_, i) => ({ id: i, value: i % 97 }));
    await ctx.createDataFrame(rows).write.parquet(dir);
    const source = await ParquetSource.open(dir);
    const df = ctx.registerTable(source, 'big');
    const filtered = await df.filter(F.col('id').geq(45_000)).agg(F.count('*'), F.sum('value')).collect();
    const skipped = source.metrics.rowGroupsSkipped;
    const read = source.metrics.rowGroupsRead;
    expect(skipped).toBeGreaterThan(0);
    const expected = rows.filter((r) => r.id >= 45_000);
    expect(filtered).toEqual([{ 'count(1)': expected.length, 'sum(value)': expected.reduce((a, r) => a + r.value, 0) }]);
    expect(read).toBeLessThan(skipped);
    expect(df.filter(F.col('id').geq(45_000)).select('value').explainString()).toMatch(
      /Relation parquet .*\[id#\d+, value#\d+\] PushedFilters: \[>=\(id, 45000\)\]/,
    );
  });

  it('a projection reads only the columns it needs', async () => {
    const ctx = testSession();
    const dir = join(await folder(), 'cols');
    await ctx.createDataFrame(readings(20)).write.parquet(dir);
    const df = await ctx.read.parquet(dir);
    expect(df.select('device').explainString()).toMatch(/Relation parquet \S+ \[device#\d+\] PushedFilters/);
    expect((await df.select('device').collect()).length).toBe(20);
  });

  it('modes: error refuses an existing path, append adds, overwrite replaces, ignore does nothing', async () => {
    const ctx = testSession();
    const dir = join(await folder(), 'modes');
    const df = ctx.createDataFrame(readings(5));
    await df.write.parquet(dir);
    await expect(df.write.parquet(dir)).rejects.toThrow(/already exists/);
    await df.write.mode('append').parquet(dir);
    expect(await (await ctx.read.parquet(dir)).count()).toBe(10);
    await df.limit(2).write.mode('overwrite').parquet(dir);
    expect(await (await ctx.read.parquet(dir)).count()).toBe(2);
    await df.write.mode('ignore').parquet(dir);
    expect(await (await ctx.read.parquet(dir)).count()).toBe(2);
  });

  it('CSV: header and inferSchema on read, quoted fields, and a write that reads back', async () => {
    const ctx = testSession();
    const dir = await folder();
    await writeFile(join(dir, 'people.csv'), 'name,age,score,joined\n"Smith, Jo",30,1.5,2026-01-02 03:04:05\nBob,,2,2026-01-03 00:00:00\n');
    const df = await ctx.read.csv(join(dir, 'people.csv'), { header: true, inferSchema: true });
    expect(df.dtypes).toEqual([
      ['name', 'string'],
      ['age', 'bigint'],
      ['score', 'double'],
      ['joined', 'timestamp'],
    ]);
    expect(await df.collect()).toEqual([
      { name: 'Smith, Jo', age: 30, score: 1.5, joined: new Date('2026-01-02T03:04:05Z') },
      { name: 'Bob', age: null, score: 2, joined: new Date('2026-01-03T00:00:00Z') },
    ]);
    const plain = await ctx.read.csv(join(dir, 'people.csv'));
    expect(plain.columns).toEqual(['_c0', '_c1', '_c2', '_c3']);
    await df.write.csv(join(dir, 'out'));
    const back = await ctx.read.csv(join(dir, 'out'), { header: true, inferSchema: true });
    expect(await back.orderBy('name').collect()).toEqual(await df.orderBy('name').collect());
  });

  it('JSON lines: schema inferred over every line (columns by name), nulls left out on write', async () => {
    const ctx = testSession();
    const dir = await folder();
    await writeFile(join(dir, 'a.json'), '{"name":"Alice","age":2}\n{"name":"Bob","score":1.5}\n');
    const df = await ctx.read.json(join(dir, 'a.json'));
    expect(df.dtypes).toEqual([
      ['age', 'bigint'],
      ['name', 'string'],
      ['score', 'double'],
    ]);
    await df.write.json(join(dir, 'out'));
    const files = (await readdir(join(dir, 'out'))).filter((f) => f.endsWith('.json'));
    const text = (await Promise.all(files.map((f) => readFile(join(dir, 'out', f), 'utf8')))).join('');
    expect(text).toContain('{"age":2,"name":"Alice"}');
    expect(text).toContain('{"name":"Bob","score":1.5}');
    await writeFile(join(dir, 'bad.json'), '{"name":"Alice"}\n{oops\n');
    await expect(ctx.read.json(join(dir, 'bad.json'))).rejects.toThrow(/bad.json, line 2/);
  });

  it('a missing path is named', async () => {
    const ctx = testSession();
    await expect(ctx.read.parquet('/nonexistent/lake')).rejects.toThrow('path /nonexistent/lake does not exist');
  });
});
