// The example `npm start` runs until the gateway and cloud exist: the RDD engine over a
// sample of sensor readings shipped in the repo (shared/data/sample-readings.csv), printing
// a summary per device and metric, then per site from merged states.
//
//   node shared/dist/examples/device-summary.js [path/to/readings.csv]
import { fileURLToPath } from 'node:url';
import { MetricState, RddContext } from '../index.js';

interface Reading {
  deviceId: string;
  site: string;
  metric: string;
  ts: number;
  value: number;
}

type Parsed = { ok: true; reading: Reading } | { ok: false; line: string; reason: string };

function parseLine(line: string): Parsed {
  const fields = line.split(',');
  if (fields.length !== 6) return { ok: false, line, reason: `expected 6 fields, got ${fields.length}` };
  const [ts, deviceId, site, , metric, value] = fields;
  const reading = { deviceId, site, metric, ts: Number(ts), value: Number.parseFloat(value) };
  if (!Number.isFinite(reading.ts)) return { ok: false, line, reason: `ts was ${JSON.stringify(ts)}, expected epoch ms` };
  if (!Number.isFinite(reading.value)) return { ok: false, line, reason: `value was ${JSON.stringify(value)}, expected a finite number` };
  return { ok: true, reading };
}

function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((row) => row.map((c) => (typeof c === 'number' ? formatNumber(c) : c)))];
  const widths = header.map((_, i) => Math.max(...cells.map((row) => row[i].length)));
  const line = (row: string[]) => row.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

function formatNumber(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(Math.abs(n) < 1 ? 4 : 2);
}

const statsHeader = ['count', 'mean', 'stddev', 'min', 'p50', 'p95', 'max'];
const statsRow = (s: MetricState) => [s.count, s.mean, s.stddev, s.min, s.quantile(0.5), s.quantile(0.95), s.max];

async function main(): Promise<void> {
  const path = process.argv[2] ?? fileURLToPath(new URL('../../data/sample-readings.csv', import.meta.url));
  const ctx = new RddContext();
  const started = performance.now();

  const parsed = ctx
    .textFile(path, 4)
    .filter((line) => line.length > 0 && !line.startsWith('ts,'))
    .map(parseLine)
    .cache();
  const readings = parsed.flatMap((p) => (p.ok ? [p.reading] : []));
  const rejected = await parsed.flatMap((p) => (p.ok ? [] : [p])).collect();

  const addReading = (state: MetricState, r: Reading) => state.add(r.value, r.ts);
  const merge = (a: MetricState, b: MetricState) => a.merge(b);
  const perDevice = readings
    .map((r) => [[r.deviceId, r.metric], r])
    .aggregateByKey(MetricState.empty(), addReading, merge)
    .cache();
  const deviceRows = await perDevice.sortByKey().collect();

  // Fleet figures per site come from merging the device states: exact counts and means,
  // quantiles from merged sketches, never averages of averages.
  const sites = readings.map((r) => [r.deviceId, r.site]).distinct();
  const perSite = perDevice
    .map(([[deviceId, metric], state]) => [deviceId, [metric, state] as const])
    .join(sites)
    .map(([, [[metric, state], site]]) => [[site, metric], state])
    .reduceByKey(merge)
    .sortByKey();
  const siteRows = await perSite.collect();
  const elapsedMs = performance.now() - started;

  console.log(`fogline example: ${await readings.count()} readings from ${path}\n`);
  console.log('Per device and metric');
  console.log(
    table(
      ['device', 'metric', ...statsHeader],
      deviceRows.map(([[d, m], s]) => [d, m, ...statsRow(s)]),
    ),
  );
  console.log('\nPer site, merged from the device states');
  console.log(
    table(
      ['site', 'metric', ...statsHeader],
      siteRows.map(([[site, m], s]) => [site, m, ...statsRow(s)]),
    ),
  );
  console.log(`\nRejected ${rejected.length} malformed lines:`);
  for (const r of rejected) console.log(`  ${r.reason}: ${JSON.stringify(r.line.slice(0, 60))}`);
  console.log(`\nLineage of the per-site job (${ctx.defaultParallelism} cores, ${elapsedMs.toFixed(0)} ms):`);
  console.log(perSite.toDebugString());
  await ctx.stop();
}

await main();
