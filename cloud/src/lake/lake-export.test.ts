import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { F, SqlContext } from '@fogline/shared';
import { afterEach, describe, expect, it } from 'vitest';
import type { CloudStore } from '../store/cloud-store.js';
import { openLevelCloudStore } from '../store/level/level-cloud-store.js';
import { envelope, partitionTopic } from '../testing/envelope-fixture.js';
import { exportLake } from './lake-export.js';

const dayMs = 86_400_000;
const day0 = Date.UTC(2026, 10, 20);
const stores: CloudStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});

async function storeWith(sent: [number, string, number[]][]): Promise<CloudStore> {
  const s = await openLevelCloudStore(mkdtempSync(join(tmpdir(), 'fogline-lake-store-')), 'process', 'test');
  stores.push(s);
  await s.registry.putDevices('gw', { 'atm-1': { site: 'lisbon' } });
  for (const [seq, [startMs, device, values]] of sent.entries()) await add(s, seq, startMs, device, values);
  return s;
}

const add = (s: CloudStore, seq: number, startMs: number, device: string, values: number[]) =>
  s.partitions.apply(
    partitionTopic('gw'),
    envelope('gw', seq, [[device, 'temp', values]], { windowStartMs: startMs, windowEndMs: startMs + 60_000 }),
    startMs + 90_000,
  );

/** Every file under the lake with its content hash: what "adds nothing" is judged by. */
function lakeFiles(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const full = join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (name.endsWith('.parquet')) out[full.slice(dir.length)] = createHash('sha256').update(readFileSync(full)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

describe('the Parquet lake', () => {
  it('writes each table in Hive date partitions, with totals equal to what was sent', async () => {
    const s = await storeWith([
      [day0 + 60_000, 'atm-1', [1, 2, 3]],
      [day0 + dayMs + 120_000, 'atm-1', [4]],
      [day0 + dayMs + 180_000, 'atm-2', [5, 6]],
    ]);
    const dir = mkdtempSync(join(tmpdir(), 'fogline-lake-'));
    const reports = await exportLake(s, { dir, lateDays: 2, retentionDays: 3650, nowMs: day0 + 2 * dayMs });
    expect(reports.map((r) => [r.table, r.daysWritten])).toEqual([
      ['windows', 2],
      ['hours', 2],
      ['days', 2],
      ['archive', 2],
    ]);
    expect(Object.keys(lakeFiles(dir)).sort()).toContain('/hours/date=2026-11-21/part-00000.parquet');
    const ctx = new SqlContext({ defaultParallelism: 2 });
    try {
      for (const table of ['windows', 'hours', 'days', 'archive']) {
        const df = await ctx.read.parquet(join(dir, table));
        const [row] = await df.agg(F.sum('count').alias('n')).collect();
        expect(row!.n).toBe(6);
      }
      const hours = await ctx.read.parquet(join(dir, 'hours'));
      expect(await hours.filter("date = '2026-11-21'").select('device_id', 'count', 'labels').orderBy('device_id').collect()).toEqual([
        { device_id: 'atm-1', count: 1, labels: '{"site":"lisbon"}' },
        { device_id: 'atm-2', count: 2, labels: null },
      ]);
    } finally {
      await ctx.stop();
    }
  });

  it('is idempotent (a second run writes nothing) and incremental (late data rewrites only its day)', async () => {
    const s = await storeWith([
      [day0 + 60_000, 'atm-1', [1]],
      [day0 + dayMs + 60_000, 'atm-1', [2]],
    ]);
    const dir = mkdtempSync(join(tmpdir(), 'fogline-lake-'));
    const options = { dir, lateDays: 2, retentionDays: 3650 };
    await exportLake(s, { ...options, nowMs: day0 + 2 * dayMs });
    const first = lakeFiles(dir);
    const again = await exportLake(s, { ...options, nowMs: day0 + 2 * dayMs + 1000 });
    expect(again.every((r) => r.daysWritten === 0 && r.rowsWritten === 0)).toBe(true);
    expect(lakeFiles(dir)).toEqual(first);
    await add(s, 2, day0 + dayMs + 120_000, 'atm-1', [7]);
    const late = await exportLake(s, { ...options, nowMs: day0 + 2 * dayMs + 2000 });
    expect(late.find((r) => r.table === 'windows')).toMatchObject({ daysWritten: 1, daysUnchanged: 1 });
    const after = lakeFiles(dir);
    expect(after['/windows/date=2026-11-20/part-00000.parquet']).toBe(first['/windows/date=2026-11-20/part-00000.parquet']);
    expect(after['/windows/date=2026-11-21/part-00000.parquet']).not.toBe(first['/windows/date=2026-11-21/part-00000.parquet']);
  });

  it('deletes date partitions past lake retention', async () => {
    const s = await storeWith([
      [day0, 'atm-1', [1]],
      [day0 + 5 * dayMs, 'atm-1', [2]],
    ]);
    const dir = mkdtempSync(join(tmpdir(), 'fogline-lake-'));
    const [windows] = await exportLake(s, { dir, lateDays: 0, retentionDays: 3, nowMs: day0 + 6 * dayMs });
    expect(windows).toMatchObject({ table: 'windows', daysWritten: 2, daysDeleted: 1 });
    expect(
      readdirSync(join(dir, 'windows'))
        .filter((n) => n.startsWith('date='))
        .sort(),
    ).toEqual(['date=2026-11-25']);
  });
});
