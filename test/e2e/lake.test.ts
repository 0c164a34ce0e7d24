import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { duckQuery } from './duckdb-query.js';
import { oneRecordEnvelope } from './one-record-envelope.js';
import { cloudCli, killedAfterEachTest, runCli, stopProcess, tempDir, writeYaml } from './processes.js';

const { start } = killedAfterEachTest();
const day0 = Date.UTC(2026, 10, 24);
const metrics = ['cabinet_temp_c', 'vibration_rms_g'];

/** Totals per metric, sorted: how every reader's answer is compared. */
type Totals = Record<string, number>;

async function duckTotals(lake: string, table: string): Promise<Totals> {
  const rows = await duckQuery(
    `SELECT metric, CAST(sum(count) AS DOUBLE) AS n FROM read_parquet('${lake}/${table}/*/*.parquet', hive_partitioning = true) GROUP BY metric ORDER BY metric`,
  );
  return Object.fromEntries(rows.map((r) => [String(r.metric), Number(r.n)]));
}

async function apiTotals(url: string, table: string): Promise<Totals> {
  const text = await (await fetch(`${url}/api/v1/export?table=${table}&format=ndjson`)).text();
  const totals: Totals = {};
  for (const line of text.trim().split('\n')) {
    const record = JSON.parse(line) as { metric: string; count: number };
    totals[record.metric] = (totals[record.metric] ?? 0) + record.count;
  }
  return totals;
}

describe('the data lake, read by a reader fogline did not write', () => {
  it('DuckDB reads the Parquet lake with the API totals; fogline-cloud sql agrees; a rebuild from the archive gives them again', {
    timeout: 120_000,
  }, async () => {
    const dir = tempDir('lake');
    const lake = `${dir}/lake`;
    const config = writeYaml(dir, 'cloud.yaml', { dataDir: dir, broker: { port: 0 }, http: { port: 0 }, lake: { path: lake } });
    const { secret } = JSON.parse(await runCli(cloudCli, ['gateways', 'add', 'gw-lake', '-c', config]));
    let cloud = await start(cloudCli, ['-c', config], 'cloud ready');
    const gateway = await mqtt.connectAsync(`mqtt://127.0.0.1:${cloud.ports.broker}`, {
      clientId: 'gw-lake',
      username: 'gw-lake',
      password: secret,
    });
    // The oracle: readings in envelopes the broker acknowledged (QoS 1), over three days and two metrics.
    const acknowledged: Totals = {};
    for (let seq = 0; seq < 60; seq++) {
      const windowStartMs = day0 + seq * 73 * 60_000;
      const metric = metrics[seq % 2]!;
      const values = Array.from({ length: 1 + (seq % 5) }, (_, i) => (seq * 7 + i) / 3);
      const bytes = oneRecordEnvelope('gw-lake', 'lake', seq, windowStartMs, [`atm-${seq % 4}`, metric, values]);
      await gateway.publishAsync('fogline/v1/gw-lake/partitions/0', bytes, { qos: 1 });
      acknowledged[metric] = (acknowledged[metric] ?? 0) + values.length;
    }
    await gateway.endAsync();
    const url = `http://127.0.0.1:${cloud.ports.http}`;
    const api = await apiTotals(url, 'hours');
    expect(api).toEqual(acknowledged);

    const summary = JSON.parse(await runCli(cloudCli, ['export', '--format', 'parquet', '--url', url])) as {
      tables: { table: string; daysWritten: number }[];
    };
    // Readings span three days of event time; the archive's days are days of arrival (today, or two around midnight).
    expect(summary.tables.map((t) => [t.table, t.table === 'archive' ? Math.min(t.daysWritten, 1) : t.daysWritten])).toEqual([
      ['windows', 3],
      ['hours', 3],
      ['days', 3],
      ['archive', 1],
    ]);
    for (const table of ['windows', 'hours', 'days', 'archive']) expect(await duckTotals(lake, table)).toEqual(api);
    const again = JSON.parse(await runCli(cloudCli, ['export', '--format', 'parquet', '--url', url])) as {
      tables: { daysWritten: number }[];
    };
    expect(again.tables.every((t) => t.daysWritten === 0)).toBe(true);

    const csv = await runCli(cloudCli, [
      'sql',
      '--url',
      url,
      '--format',
      'csv',
      '-e',
      'SELECT metric, sum(count) AS n FROM hours GROUP BY metric ORDER BY metric',
    ]);
    expect(csv).toBe(`metric,n\r\n${metrics.map((m) => `${m},${api[m]}`).join('\r\n')}\r\n`);
    const table = await runCli(cloudCli, [
      'sql',
      '--url',
      url,
      '-e',
      "SELECT device_id, count(*) AS windows FROM windows WHERE device_id = 'atm-1' GROUP BY device_id",
    ]);
    expect(table).toMatch(
      /^\+---------\+-------\+\n\|device_id\|windows\|\n\+---------\+-------\+\n\|atm-1 {4}\|15 {5}\|\n\+---------\+-------\+\n1 row in /,
    );
    // The shell, fed on standard input as a script would: \d, a query over two lines, \q.
    const shell = spawnSync(process.execPath, [cloudCli, 'sql', '--url', url], {
      input: '\\d\nSELECT count(*) AS n\n  FROM devices;\n\\d devices\n\\q\n',
      encoding: 'utf8',
      env: { ...process.env, FOGLINE_SQL_HISTORY: `${dir}/history` },
    });
    expect(shell.status).toBe(0);
    expect(shell.stdout).toContain('windows (');
    expect(shell.stdout).toMatch(/\+---\+\n\|n {2}\|\n\+---\+\n\|0 {2}\|\n\+---\+\n1 row in/);
    expect(shell.stdout).toMatch(/device_id\s+string/);
    expect(readFileSync(`${dir}/history`, 'utf8')).toContain('SELECT count(*) AS n   FROM devices');
    const refused = await runCli(cloudCli, ['sql', '--url', url, '-e', 'DROP TABLE hours']).catch(
      (error: { stderr: string }) => error.stderr,
    );
    expect(refused).toContain('only SELECT queries are allowed, got DROP');

    await stopProcess(cloud);
    const rebuilt = JSON.parse(await runCli(cloudCli, ['rebuild', '-c', config])) as { envelopes: number; merged: number };
    expect(rebuilt).toMatchObject({ envelopes: 60, merged: 60 });
    cloud = await start(cloudCli, ['-c', config], 'cloud ready');
    expect(await apiTotals(`http://127.0.0.1:${cloud.ports.http}`, 'hours')).toEqual(acknowledged);
    expect(await apiTotals(`http://127.0.0.1:${cloud.ports.http}`, 'windows')).toEqual(acknowledged);
  });

  it('rebuild refuses while the cloud runs on the store', { timeout: 60_000 }, async () => {
    const dir = tempDir('lake-locked');
    const config = writeYaml(dir, 'cloud.yaml', { dataDir: dir, broker: { port: 0 }, http: { port: 0 } });
    await start(cloudCli, ['-c', config], 'cloud ready');
    const refused = await runCli(cloudCli, ['rebuild', '-c', config]).catch((error: { stderr: string }) => error.stderr);
    expect(refused).toContain('is open in a running cloud: stop it first');
  });
});
