import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DoubleType, LongType, type Row, StringType, StructField, StructType, TimestampType, writeParquetFile } from '@fogline/shared';
import { archiveRows, archiveSchema } from '../analytics/archive-table.js';
import { finite } from '../analytics/state-table.js';
import type { CloudStore, DeviceEntry, Resolution, StoredState } from '../store/cloud-store.js';
import { DaySpill } from './day-spill.js';

const dayMs = 86_400_000;

export interface LakeOptions {
  /** The lake's folder: one folder per table, Hive partitions `date=YYYY-MM-DD` inside. */
  readonly dir: string;
  /** Days before the last export that are looked at again (late data changes them). */
  readonly lateDays: number;
  /** Date partitions older than this are deleted from the lake. */
  readonly retentionDays: number;
  readonly nowMs?: number;
}

export interface LakeTableReport {
  readonly table: string;
  /** Date partitions written (new, or changed since the last export). */
  readonly daysWritten: number;
  /** Date partitions looked at whose content had not changed: left as they were. */
  readonly daysUnchanged: number;
  readonly rowsWritten: number;
  readonly daysDeleted: number;
}

/** What the lake remembers of a table: the fingerprint of each date partition it holds, and when it last looked. */
interface Manifest {
  exportedAtMs: number;
  days: Record<string, string>;
}

const stateSchema = new StructType([
  new StructField('device_id', StringType),
  new StructField('gateway_id', StringType),
  new StructField('metric', StringType),
  new StructField('window_start', TimestampType),
  new StructField('window_end', TimestampType),
  new StructField('count', LongType),
  ...['sum', 'mean', 'min', 'max', 'stddev', 'p50', 'p95', 'p99'].map((c) => new StructField(c, DoubleType)),
  new StructField('labels', StringType),
]);

const dateOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

function stateRow(s: StoredState, devices: ReadonlyMap<string, DeviceEntry>): Row {
  const f = s.state.summary();
  const device = devices.get(s.deviceId);
  return [
    s.deviceId,
    device?.gatewayId ?? null,
    s.metric,
    s.startMs,
    s.endMs,
    f.count,
    finite(f.sum),
    finite(f.mean),
    finite(f.min),
    finite(f.max),
    finite(f.stddev),
    finite(f.p50),
    finite(f.p95),
    finite(f.p99),
    device ? JSON.stringify(device.labels) : null,
  ];
}

/**
 * Writes the merged tables and the archive to a Parquet lake that Spark, DuckDB or pandas
 * read as it is: `<dir>/<table>/date=YYYY-MM-DD/part-00000.parquet`. Incremental: a run looks
 * at the days since its last run (less lateDays, for late data) and rewrites a day only when
 * its content changed, which a fingerprint of its sorted rows tells. Idempotent: a second run
 * over the same data writes nothing. Each file is replaced whole (written beside, renamed).
 */
export async function exportLake(store: CloudStore, options: LakeOptions): Promise<LakeTableReport[]> {
  const nowMs = options.nowMs ?? Date.now();
  const devices = await store.registry.devices();
  const tables: [string, Resolution][] = [
    ['windows', 'window'],
    ['hours', 'hour'],
    ['days', 'day'],
  ];
  const reports: LakeTableReport[] = [];
  for (const [table, resolution] of tables) {
    reports.push(
      await exportTable(options, table, stateSchema, nowMs, async (fromMs, add) => {
        for await (const s of store.series.scan(resolution, fromMs, Number.MAX_SAFE_INTEGER))
          await add(dateOf(s.startMs), stateRow(s, devices));
      }),
    );
  }
  if (store.archive.enabled) {
    reports.push(
      await exportTable(options, 'archive', archiveSchema, nowMs, async (fromMs, add) => {
        for await (const e of store.archive.scan(fromMs, Number.MAX_SAFE_INTEGER)) {
          for (const row of archiveRows(e.receivedAtMs, e.bytes)) await add(dateOf(e.receivedAtMs), row);
        }
      }),
    );
  }
  return reports;
}

async function exportTable(
  options: LakeOptions,
  table: string,
  schema: StructType,
  nowMs: number,
  scan: (fromMs: number, add: (day: string, row: Row) => Promise<void>) => Promise<void>,
): Promise<LakeTableReport> {
  const tableDir = join(options.dir, table);
  await mkdir(tableDir, { recursive: true });
  const manifest = await readManifest(tableDir);
  const fromMs = manifest.exportedAtMs === 0 ? 0 : Math.floor((manifest.exportedAtMs - options.lateDays * dayMs) / dayMs) * dayMs;
  const spill = await DaySpill.create();
  let daysWritten = 0;
  let daysUnchanged = 0;
  let rowsWritten = 0;
  try {
    await scan(fromMs, (day, row) => spill.add(day, row));
    for (const day of await spill.dayList()) {
      const rows = (await spill.rows(day)).sort(compareRows);
      const fingerprint = createHash('sha256').update(JSON.stringify(rows)).digest('hex');
      if (manifest.days[day] === fingerprint) {
        daysUnchanged++;
        continue;
      }
      const dayDir = join(tableDir, `date=${day}`);
      await mkdir(dayDir, { recursive: true });
      await writeParquetFile(join(dayDir, 'part-00000.parquet'), schema, rows);
      manifest.days[day] = fingerprint;
      daysWritten++;
      rowsWritten += rows.length;
    }
  } finally {
    await spill.remove();
  }
  const daysDeleted = await deleteOldDays(tableDir, manifest, dateOf(nowMs - options.retentionDays * dayMs));
  manifest.exportedAtMs = nowMs;
  await writeManifest(tableDir, manifest);
  return { table, daysWritten, daysUnchanged, rowsWritten, daysDeleted };
}

const compareRows = (a: Row, b: Row) => {
  const x = JSON.stringify(a);
  const y = JSON.stringify(b);
  return x < y ? -1 : x > y ? 1 : 0;
};

async function deleteOldDays(tableDir: string, manifest: Manifest, oldestKept: string): Promise<number> {
  let deleted = 0;
  for (const entry of await readdir(tableDir)) {
    const day = entry.startsWith('date=') ? entry.slice(5) : undefined;
    if (!day || day >= oldestKept) continue;
    await rm(join(tableDir, entry), { recursive: true, force: true });
    delete manifest.days[day];
    deleted++;
  }
  return deleted;
}

// The manifest's name starts with `_`, so Spark, DuckDB and fogline's reader skip it.
const manifestName = '_fogline_manifest.json';

async function readManifest(tableDir: string): Promise<Manifest> {
  try {
    return JSON.parse(await readFile(join(tableDir, manifestName), 'utf8')) as Manifest;
  } catch {
    return { exportedAtMs: 0, days: {} };
  }
}

async function writeManifest(tableDir: string, manifest: Manifest): Promise<void> {
  const path = join(tableDir, manifestName);
  await writeFile(`${path}.tmp`, JSON.stringify(manifest, null, 1));
  await rename(`${path}.tmp`, path);
}
