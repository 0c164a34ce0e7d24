import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MetricState, RddContext } from '@fogline/shared';
import { afterAll, describe, expect, it } from 'vitest';
import { createCloudMetrics } from '../ops/cloud-metrics.js';
import { openLevelCloudStore } from '../store/level/level-cloud-store.js';
import { envelope, partitionTopic } from '../testing/envelope-fixture.js';
import { createApi } from './api.js';
import { exportsAtOnceMax } from './export-routes.js';

const rdd = new RddContext({ defaultParallelism: 1 });
const store = await openLevelCloudStore(mkdtempSync(join(tmpdir(), 'fogline-export-')), 'process', 'test');
afterAll(async () => {
  await store.close();
  await rdd.stop();
});
const app = createApi({ store, rdd, metrics: createCloudMetrics(), broker: () => ({}) });
const day0 = Date.UTC(2026, 10, 1);
const window = (i: number) => ({ windowStartMs: day0 + i * 60_000, windowEndMs: day0 + (i + 1) * 60_000 });
const odd = 'atm,"7"\nnorth';
const sent: [string, number, number[]][] = [
  ['atm-1', 0, [1, 2, 3]],
  [odd, 0, [10]],
  ['atm-1', 1, [4]],
  ['atm-1', 2, [5, 6]],
];
for (const [seq, [device, i, values]] of sent.entries())
  await store.partitions.apply(partitionTopic('gw'), envelope('gw', seq, [[device, 't', values]], window(i)));

/** An RFC 4180 reader, written here from the RFC so that the export is not read by its own code. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  const endField = () => {
    row.push(field);
    field = '';
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted && ch === '"' && text[i + 1] === '"') {
      field += '"';
      i++;
    } else if (quoted && ch === '"') quoted = false;
    else if (quoted) field += ch;
    else if (ch === '"') quoted = true;
    else if (ch === ',') endField();
    else if (ch === '\r' && text[i + 1] === '\n') {
      endField();
      rows.push(row);
      row = [];
      i++;
    } else field += ch;
  }
  return rows;
}

describe('GET /api/v1/export', () => {
  it('streams the windows of a time range as CSV, every field quoted where it must be', async () => {
    const response = await app.request(`/api/v1/export?table=windows&from=${day0}&to=${new Date(day0 + 2 * 60_000).toISOString()}`);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const [header, ...rows] = parseCsv(await response.text());
    expect(header.slice(0, 7)).toEqual(['deviceId', 'metric', 'windowStart', 'windowStartMs', 'windowEndMs', 'count', 'sum']);
    const got = rows
      .map((r) => [r[0], Number(r[3]) - day0, Number(r[5]), Number(r[6])])
      .sort((a, b) => Number(a[1]) - Number(b[1]) || String(a[0]).localeCompare(String(b[0])));
    const expected = sent
      .filter(([, i]) => i < 2)
      .map(([device, i, values]) => [device, i * 60_000, values.length, values.reduce((a, b) => a + b, 0)])
      .sort((a, b) => Number(a[1]) - Number(b[1]) || String(a[0]).localeCompare(String(b[0])));
    expect(got).toEqual(expected);
    expect(rows.find((r) => r[0] === odd)?.[2]).toBe(new Date(day0).toISOString());
  });

  it('streams hours as NDJSON, one object a line, with the figures a merge gives', async () => {
    const response = await app.request('/api/v1/export?table=hours&format=ndjson');
    const records = (await response.text())
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    const atm = records.find((r) => r.deviceId === 'atm-1');
    const merged = MetricState.of([1, 2, 3, 4, 5, 6].map((v, i): [number, number] => [v, day0 + i])).summary();
    expect(atm).toMatchObject({ count: 6, sum: 21, min: 1, max: 6, windowStartMs: day0, windowEndMs: day0 + 3_600_000 });
    expect(atm.variance).toBeCloseTo(merged.variance, 12);
    expect(records).toHaveLength(2);
  });

  it('runs at most exportsAtOnceMax exports at once, and takes another once one has ended', async () => {
    const first = await app.request('/api/v1/export?table=windows');
    const second = await app.request('/api/v1/export?table=windows');
    const refused = await app.request('/api/v1/export?table=windows');
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as { error: string }).error).toContain(`${exportsAtOnceMax} exports are running`);
    // One read to its end and one cancelled: both places free, so two more are taken.
    await first.text();
    await second.body?.cancel();
    const again = [await app.request('/api/v1/export?table=windows&format=ndjson'), await app.request('/api/v1/export?table=days')];
    expect(again.map((r) => r.status)).toEqual([200, 200]);
    expect((await again[0].text()).trim().split('\n')).toHaveLength(4);
    await again[1].text();
  });

  it('names a bad table or format', async () => {
    const response = await app.request('/api/v1/export?table=secrets&format=xml');
    expect(response.status).toBe(400);
    expect(((await response.json()) as { errors: string[] }).errors).toEqual([
      expect.stringMatching(/^table was "secrets", expected one of .*windows/),
      expect.stringMatching(/^format was "xml", expected one of .*csv/),
    ]);
  });
});
