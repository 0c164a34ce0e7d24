import { RddContext } from '@fogline/shared';
import { afterAll, describe, expect, it } from 'vitest';
import { fleetSqlContext } from '../analytics/fleet-sql.js';
import { createApi } from '../api/api.js';
import { createCloudMetrics } from '../ops/cloud-metrics.js';
import { envelope } from '../testing/envelope-fixture.js';
import type { CloudStore } from './cloud-store.js';
import { dayMs, hourMs, type StoreHarness, suiteContext, topic } from './store-conformance-context.js';

const day0 = Date.UTC(2026, 10, 2);
/** What the gateways send, [gateway, device, metric, minute of day0, values]: the oracle every answer is checked against. */
const sent: [string, string, string, number, number[]][] = [
  ['gw-a', 'atm-1', 'temp', 0, [20, 21, 22]],
  ['gw-a', 'atm-2', 'temp', 0, [30]],
  ['gw-a', 'atm-1', 'vibration', 1, [0.5, 0.7]],
  ['gw-b', 'atm-3', 'temp', 61, [40, 41]],
  ['gw-b', 'atm-3', 'temp', 24 * 60 + 5, [50]],
];

async function feed(s: CloudStore): Promise<void> {
  await s.registry.putDevices('gw-a', { 'atm-1': { site: 'lisbon' }, 'atm-2': { site: 'porto', count: 'x' } });
  await s.registry.putDevices('gw-b', { 'atm-3': { site: 'porto' } });
  const seqs = new Map<string, number>();
  for (const [gateway, device, metric, minute, values] of sent) {
    const seq = seqs.get(gateway) ?? 0;
    seqs.set(gateway, seq + 1);
    const window = { windowStartMs: day0 + minute * 60_000, windowEndMs: day0 + (minute + 1) * 60_000 };
    await s.partitions.apply(topic(gateway), envelope(gateway, seq, [[device, metric, values]], window), day0 + 2 * dayMs + seq);
  }
  const alert = {
    id: 'a1',
    gatewayId: 'gw-a',
    seq: 0,
    rule: 'hot',
    kind: 'threshold',
    severity: 'critical',
    deviceId: 'atm-2',
    metric: 'temp',
    ts: day0,
    value: 30,
    message: 'hot',
  };
  await s.alerts.apply('gw-a', Buffer.from(JSON.stringify(alert)), day0);
}

const total = (filter: (r: (typeof sent)[number]) => boolean) => sent.filter(filter).reduce((n, r) => n + r[4].length, 0);

/** SQL over the fleet's tables, through ctx.sql and POST /api/v1/sql, on every backend. */
export function describeSqlConformance(backend: string, harness: StoreHarness): void {
  const { fresh } = suiteContext(harness);
  const rdd = new RddContext({ defaultParallelism: 2 });
  afterAll(() => rdd.stop());
  describe(`cloud store conformance, SQL: ${backend}`, () => {
    it('windows, hours and days hold what was sent, per metric, with the devices labels as columns', async () => {
      const { store: s } = await fresh();
      await feed(s);
      const ctx = await fleetSqlContext(s, rdd);
      for (const table of ['windows', 'hours', 'days']) {
        const rows = await ctx.sql(`SELECT metric, sum(count) AS readings FROM ${table} GROUP BY metric ORDER BY metric`).collect();
        expect(rows).toEqual([
          { metric: 'temp', readings: total((r) => r[2] === 'temp') },
          { metric: 'vibration', readings: total((r) => r[2] === 'vibration') },
        ]);
      }
      const bySite = await ctx
        .sql("SELECT site, sum(count) AS n, max(max) AS hottest FROM hours WHERE metric = 'temp' GROUP BY site ORDER BY site")
        .collect();
      expect(bySite).toEqual([
        { site: 'lisbon', n: 3, hottest: 22 },
        { site: 'porto', n: 4, hottest: 50 },
      ]);
      // A label named like a figure keeps the figure's name for the figure.
      expect(ctx.table('hours').columns).toContain('label_count');
      const hours = await ctx.sql("SELECT window_start, count FROM hours WHERE device_id = 'atm-3' ORDER BY window_start").collect();
      expect(hours).toEqual([
        { window_start: new Date(day0 + hourMs), count: 2 },
        { window_start: new Date(day0 + dayMs), count: 1 },
      ]);
    });

    it('a WHERE on window_start, metric and device_id reaches the store and gives the same answer as filtering everything', async () => {
      const { store: s } = await fresh();
      await feed(s);
      const ctx = await fleetSqlContext(s, rdd);
      const query = `SELECT device_id, count, mean FROM windows WHERE window_start >= '2026-11-02 00:30:00' AND window_start < '2026-11-03 00:00:00' AND metric IN ('temp') ORDER BY device_id`;
      expect(await ctx.sql(query).collect()).toEqual([{ device_id: 'atm-3', count: 2, mean: 40.5 }]);
      expect(ctx.sql(query).explainString()).toMatch(
        /PushedFilters: \[>=\(window_start, "2026-11-02 00:30:00"\), <\(window_start, "2026-11-03 00:00:00"\), in\(metric, \["temp"\]\)\]/,
      );
      const all = await ctx.sql('SELECT device_id, count FROM windows').collect();
      expect(all.reduce((n, r) => n + (r.count as number), 0)).toBe(total(() => true));
    });

    it('devices, alerts and the archive are tables too', async () => {
      const { store: s } = await fresh();
      await feed(s);
      const ctx = await fleetSqlContext(s, rdd);
      expect(await ctx.sql('SELECT device_id, gateway_id, site FROM devices ORDER BY device_id').collect()).toEqual([
        { device_id: 'atm-1', gateway_id: 'gw-a', site: 'lisbon' },
        { device_id: 'atm-2', gateway_id: 'gw-a', site: 'porto' },
        { device_id: 'atm-3', gateway_id: 'gw-b', site: 'porto' },
      ]);
      expect(await ctx.sql('SELECT device_id, severity, value FROM alerts').collect()).toEqual([
        { device_id: 'atm-2', severity: 'critical', value: 30 },
      ]);
      expect(
        await ctx
          .sql('SELECT gateway_id, count(*) AS envelopes, sum(count) AS readings FROM archive GROUP BY gateway_id ORDER BY gateway_id')
          .collect(),
      ).toEqual([
        { gateway_id: 'gw-a', envelopes: 3, readings: total((r) => r[0] === 'gw-a') },
        { gateway_id: 'gw-b', envelopes: 2, readings: total((r) => r[0] === 'gw-b') },
      ]);
      expect(await ctx.sql('SELECT count(*) AS n FROM risk').collect()).toEqual([{ n: 0 }]);
    });

    it('POST /api/v1/sql: JSON and CSV results, a row limit that says it cut, SELECT only, the token required', async () => {
      const { store: s } = await fresh();
      await feed(s);
      const token = 'a-token-of-sixteen-chars';
      const app = createApi({
        store: s,
        rdd,
        metrics: createCloudMetrics(),
        broker: () => ({}),
        tokens: { admin: token },
        sql: { rowsMax: 2, timeoutMs: 10_000, queriesAtOnceMax: 2 },
      });
      const post = (body: unknown, auth = `Bearer ${token}`) =>
        app.request('/api/v1/sql', {
          method: 'POST',
          body: JSON.stringify(body),
          headers: { 'content-type': 'application/json', authorization: auth },
        });
      const json = await post({ query: "SELECT device_id, window_start, count FROM windows WHERE metric = 'vibration'" });
      expect(json.status).toBe(200);
      expect(await json.json()).toMatchObject({
        columns: [
          { name: 'device_id', type: 'string' },
          { name: 'window_start', type: 'timestamp' },
          { name: 'count', type: 'bigint' },
        ],
        rows: [['atm-1', new Date(day0 + 60_000).toISOString(), 2]],
        truncated: false,
      });
      const csv = await post({
        query: 'SELECT device_id, sum(count) AS n FROM windows GROUP BY device_id ORDER BY device_id',
        format: 'csv',
      });
      expect(csv.headers.get('x-fogline-truncated')).toBe('true');
      expect(await csv.text()).toBe('device_id,n\r\natm-1,5\r\natm-2,1\r\n');
      const refused = await post({ query: "DELETE FROM windows WHERE metric = 'temp'" });
      expect(refused.status).toBe(400);
      expect(((await refused.json()) as { error: string }).error).toBe('only SELECT queries are allowed, got DELETE');
      const bad = await post({ query: 'SELECT FROM WHERE' });
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { error: string }).error).toMatch(/syntax error at position \d+: unexpected/);
      expect((await post({ query: 'SELECT 1 AS x' }, 'Bearer wrong-token-of-sixteen')).status).toBe(401);
      const tables = (await (await app.request('/api/v1/sql/tables', { headers: { authorization: `Bearer ${token}` } })).json()) as {
        tables: { name: string }[];
      };
      expect(tables.tables.map((t) => t.name)).toEqual(['windows', 'hours', 'days', 'devices', 'alerts', 'risk', 'archive']);
      expect(await s.series.metricNames()).toMatchObject({ names: ['temp', 'vibration'] });
    });
  });
}
