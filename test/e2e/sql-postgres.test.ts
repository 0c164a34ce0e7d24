import { randomBytes } from 'node:crypto';
import { openPostgresCloudStore } from '@fogline/cloud';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { freshDatabase, serverPostgresAnswers, serverPostgresUrl } from '../../cloud/src/testing/postgres.js';
import { duckQuery } from './duckdb-query.js';
import { oneRecordEnvelope } from './one-record-envelope.js';
import { cloudCli, killedAfterEachTest, runCli, tempDir, writeYaml } from './processes.js';

const brokerUrl = process.env.FOGLINE_TEST_MQTT_URL ?? 'mqtt://127.0.0.1:1883';
async function brokerAnswers(): Promise<boolean> {
  try {
    await (await mqtt.connectAsync(brokerUrl, { connectTimeout: 2000, reconnectPeriod: 0 })).endAsync();
    return true;
  } catch {
    return false;
  }
}

const { start } = killedAfterEachTest();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});
const [pgServer, broker] = await Promise.all([serverPostgresAnswers(), brokerAnswers()]);

describe.runIf(pgServer && broker)('SQL and the lake on the PostgreSQL store', () => {
  it('fogline-cloud sql and a DuckDB read of the lake give what was merged', { timeout: 120_000 }, async () => {
    const database = await freshDatabase('fogline_sql');
    cleanups.push(() => database.drop());
    const dir = tempDir('sql-postgres');
    // A topic of the broker's own per run: other tests share this Mosquitto.
    const gatewayId = `gw-sqlpg-${randomBytes(4).toString('hex')}`;
    const config = writeYaml(dir, 'cloud.yaml', {
      dataDir: dir,
      store: { kind: 'postgres', url: database.url },
      broker: { mode: 'external', url: brokerUrl, sessionExpiryS: 0 },
      node: { id: `sqlpg-${randomBytes(4).toString('hex')}` },
      http: { port: 0 },
    });
    // The envelopes are merged into the database before the cloud starts, through the store
    // itself: the broker is shared with other tests (a busy cluster drill may run beside this
    // one), and this test is about what SQL and the lake read back, not about delivery.
    const filler = await openPostgresCloudStore({ url: database.url, poolSize: 2, nodeId: 'filler' });
    const day0 = Date.UTC(2026, 10, 24);
    let merged = 0;
    for (let seq = 0; seq < 30; seq++) {
      const windowStartMs = day0 + seq * 97 * 60_000;
      const values = Array.from({ length: 1 + (seq % 4) }, (_, i) => seq + i / 10);
      const bytes = oneRecordEnvelope(gatewayId, 'sqlpg', seq, windowStartMs, [`${gatewayId}-atm-${seq % 3}`, 'temp', values]);
      expect(await filler.partitions.apply(`fogline/v1/${gatewayId}/partitions/0`, bytes)).toBe('merged');
      merged += values.length;
    }
    await filler.close();
    const cloud = await start(cloudCli, ['-c', config], 'cloud ready');
    const url = `http://127.0.0.1:${cloud.ports.http}`;
    const query = `SELECT sum(count) AS n FROM windows WHERE device_id LIKE '${gatewayId}-%'`;
    await expect
      .poll(async () => (await runCli(cloudCli, ['sql', '--url', url, '--format', 'csv', '-e', query])).trim(), {
        timeout: 30_000,
        interval: 500,
      })
      .toBe(`n\r\n${merged}`);
    const perDevice = await runCli(cloudCli, [
      'sql',
      '--url',
      url,
      '--format',
      'csv',
      '-e',
      `SELECT device_id, sum(count) AS n FROM hours WHERE device_id LIKE '${gatewayId}-%' GROUP BY device_id ORDER BY device_id`,
    ]);
    const lines = perDevice.trim().split('\r\n').slice(1);
    expect(lines.map((l) => l.split(',')[0])).toEqual([0, 1, 2].map((i) => `${gatewayId}-atm-${i}`));
    expect(lines.reduce((n, l) => n + Number(l.split(',')[1]), 0)).toBe(merged);

    await runCli(cloudCli, ['export', '--format', 'parquet', '--url', url]);
    const [lakeRow] = await duckQuery(
      `SELECT CAST(sum(count) AS DOUBLE) AS n FROM read_parquet('${dir}/lake/days/*/*.parquet', hive_partitioning = true) WHERE device_id LIKE '${gatewayId}-%'`,
    );
    expect(Number(lakeRow!.n)).toBe(merged);
  });
});

describe.skipIf(pgServer && broker)('SQL and the lake on the PostgreSQL store', () => {
  it.skip(`needs PostgreSQL at ${serverPostgresUrl} and Mosquitto at ${brokerUrl}`, () => {});
});
