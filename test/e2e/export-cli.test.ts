import { encodeEnvelope, MetricState } from '@fogline/shared';
import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { cloudCli, killedAfterEachTest, runCli, tempDir, writeYaml } from './processes.js';

const { start } = killedAfterEachTest();

describe('fogline-cloud export', () => {
  it("streams a running cloud's windows to standard output, and names a bad table", async () => {
    const dir = tempDir('export');
    const config = writeYaml(dir, 'cloud.yaml', { dataDir: dir, broker: { port: 0 }, http: { port: 0 }, log: { level: 'info' } });
    const { secret } = JSON.parse(await runCli(cloudCli, ['gateways', 'add', 'gw-export', '-c', config]));
    const cloud = await start(cloudCli, ['-c', config], 'cloud ready');
    const gateway = await mqtt.connectAsync(`mqtt://127.0.0.1:${cloud.ports.broker}`, {
      clientId: 'gw-export',
      username: 'gw-export',
      password: secret,
    });
    const windowStartMs = Date.UTC(2026, 10, 24, 8, 0);
    for (let seq = 0; seq < 3; seq++) {
      const bytes = encodeEnvelope({
        gatewayId: 'gw-export',
        incarnation: 'e',
        firstSeq: 0,
        seq,
        windowStartMs: windowStartMs + seq * 60_000,
        windowEndMs: windowStartMs + (seq + 1) * 60_000,
        partition: 0,
        partitionCount: 1,
        createdAtMs: windowStartMs + 200_000,
        records: [[['atm-1', 'temp'], MetricState.of([[20 + seq, windowStartMs + seq * 60_000]])]],
      });
      await gateway.publishAsync('fogline/v1/gw-export/partitions/0', bytes, { qos: 1 });
    }
    await gateway.endAsync();
    const url = `http://127.0.0.1:${cloud.ports.http}`;
    const out = await runCli(cloudCli, [
      'export',
      '--table',
      'windows',
      '--format',
      'ndjson',
      '--from',
      '2026-11-24T08:01:00Z',
      '--url',
      url,
    ]);
    const records = out
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { deviceId: string; windowStart: string; sum: number });
    expect(records.map((r) => [r.deviceId, r.windowStart, r.sum])).toEqual([
      ['atm-1', '2026-11-24T08:01:00.000Z', 21],
      ['atm-1', '2026-11-24T08:02:00.000Z', 22],
    ]);
    const bad = await runCli(cloudCli, ['export', '--table', 'nope', '--url', url]).catch((error: { stderr: string }) => error.stderr);
    expect(bad).toContain('table was "nope", expected one of');
  });
});
