import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RddContext } from '@fogline/shared';
import { afterAll, describe, expect, it } from 'vitest';
import { createCloudMetrics } from '../ops/cloud-metrics.js';
import { openLevelCloudStore } from '../store/level/level-cloud-store.js';
import { envelope, partitionTopic } from '../testing/envelope-fixture.js';
import { createApi } from './api.js';

const rdd = new RddContext({ defaultParallelism: 2 });
const store = await openLevelCloudStore(mkdtempSync(join(tmpdir(), 'fogline-sql-limits-')), 'process', 'test');
afterAll(async () => {
  await store.close();
  await rdd.stop();
});
// 1,500 windows of one metric: a self-join on the metric makes 2,250,000 pairs, seconds of work.
const day0 = Date.UTC(2026, 10, 1);
for (let seq = 0; seq < 1500; seq++) {
  const window = { windowStartMs: day0 + seq * 60_000, windowEndMs: day0 + (seq + 1) * 60_000 };
  await store.partitions.apply(partitionTopic('gw'), envelope('gw', seq, [[`atm-${seq % 10}`, 't', [seq]]], window));
}
const slow = 'SELECT count(*) FROM windows a JOIN windows b ON a.metric = b.metric';
const post = (app: ReturnType<typeof createApi>, query: string) =>
  app.request('/api/v1/sql', { method: 'POST', body: JSON.stringify({ query }), headers: { 'content-type': 'application/json' } });

describe('the limits of /api/v1/sql', () => {
  it('a query past timeoutMs answers 504, and keeps its place (503 for the next) until it really ends', async () => {
    const app = createApi({
      store,
      rdd,
      metrics: createCloudMetrics(),
      broker: () => ({}),
      sql: { rowsMax: 10, timeoutMs: 150, queriesAtOnceMax: 1 },
    });
    const started = Date.now();
    const first = await post(app, slow);
    expect(first.status).toBe(504);
    expect(((await first.json()) as { error: string }).error).toBe('the query ran longer than 150 ms (sql.timeoutMs); narrow it');
    expect(Date.now() - started).toBeLessThan(2000);
    const second = await post(app, 'SELECT count(*) AS n FROM devices');
    expect(second.status).toBe(503);
    // Once the slow job ends its place is free again.
    await expect
      .poll(async () => (await post(app, 'SELECT count(*) AS n FROM devices')).status, { timeout: 60_000, interval: 250 })
      .toBe(200);
  });

  it('a query that fails while it runs answers 400 with its reason, and gives its place back', async () => {
    const app = createApi({
      store,
      rdd,
      metrics: createCloudMetrics(),
      broker: () => ({}),
      sql: { rowsMax: 10, timeoutMs: 10_000, queriesAtOnceMax: 1 },
    });
    const failing = await post(app, 'SELECT sequence(0, 9000000000) AS s FROM windows');
    expect(failing.status).toBe(400);
    expect(((await failing.json()) as { error: string }).error).toMatch(
      /sequence\(0, 9000000000, 1\): expected a non-zero step and at most 1000000 elements/,
    );
    expect((await post(app, 'SELECT count(*) AS n FROM devices')).status).toBe(200);
  });

  it('a body that is not a query is named', async () => {
    const app = createApi({ store, rdd, metrics: createCloudMetrics(), broker: () => ({}) });
    const bad = await app.request('/api/v1/sql', {
      method: 'POST',
      body: '{"sql": "SELECT 1"}',
      headers: { 'content-type': 'application/json' },
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({
      errors: ['query: Invalid input: expected string, received undefined', 'body: Unrecognized key: "sql"'],
    });
    const notJson = await app.request('/api/v1/sql', { method: 'POST', body: 'SELECT 1' });
    expect(await notJson.json()).toEqual({ error: 'the body was not JSON, expected {"query": "SELECT ..."}' });
  });
});
