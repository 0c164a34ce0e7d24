import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { cloudAndGatewayConfig, gatewayCli, killedAfterEachTest, simCli, stopProcess } from './processes.js';

const { start } = killedAfterEachTest();

interface Totals {
  count: number;
  sum: number;
}

describe('fogline-sim against the real gateway and cloud', () => {
  it('provisions its devices through the gateway CLI, and every reading it reports delivered is in the cloud, exactly', async () => {
    const {
      cloud,
      gatewayDir: dir,
      gatewayConfig,
    } = await cloudAndGatewayConfig(start, 'gw-sim', {
      gateway: () => ({
        // Simulated time runs ahead of the wall clock: the skew check would refuse it.
        limits: { futureSkewMsMax: 0 },
        // Late readings come a simulated minute late, out-of-order ones 90 s: both inside the lateness.
        windows: { sizeMs: 60_000, allowedLatenessMs: 120_000 },
      }),
    });
    const credentials = join(dir, 'sim-devices.jsonl');
    const fleet = ['--fleet', 'atm=20,motor=5,env=5', '--site', 'lisbon'];
    await promisify(execFile)(process.execPath, [simCli, 'provision', ...fleet, '--gateway-config', gatewayConfig, '--out', credentials]);
    expect(readFileSync(credentials, 'utf8').trim().split('\n')).toHaveLength(30);
    const gateway = await start(gatewayCli, ['-c', gatewayConfig], 'gateway ready');

    const startMs = Math.floor((Date.now() - 4 * 3_600_000) / 60_000) * 60_000;
    const summaryPath = join(dir, 'summary.json');
    await promisify(execFile)(process.execPath, [
      simCli,
      ...fleet,
      '--gateway',
      `mqtt://127.0.0.1:${gateway.ports.mqtt}`,
      '--credentials',
      credentials,
      '--seed',
      '5',
      '--start',
      String(startMs),
      '--duration',
      '3h',
      '--speed',
      '1200',
      '--interval',
      '1m',
      '--malformed',
      '0.03',
      '--late',
      '0.02',
      '--late-by',
      '1m',
      '--out-of-order',
      '0.02',
      '--quiet',
      '--summary',
      summaryPath,
    ]);
    const summary = JSON.parse(readFileSync(summaryPath, 'utf8')) as {
      devices: { connected: number };
      publishes: { generated: number; delivered: number; malformed: number; malformedByKind: Record<string, number> };
      readings: { delivered: number; perMetric: Record<string, Totals> };
      perDevice: Record<string, Record<string, Totals>>;
    };
    expect(summary.devices.connected).toBe(30);
    expect(summary.publishes.delivered).toBe(summary.publishes.generated);
    expect(summary.publishes.malformed).toBeGreaterThan(50);

    const metrics = await (await fetch(`http://127.0.0.1:${gateway.ports.ops}/metrics`)).text();
    const counter = (name: string) =>
      metrics
        .split('\n')
        .filter((line) => line.startsWith(`fogline_gateway_${name}`) && !line.startsWith('#'))
        .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
    expect(counter('readings_total')).toBe(summary.readings.delivered);
    // A payload that is not JSON is one dead letter; a JSON one has one per bad value.
    const { truncated = 0, 'not-json': notJson = 0 } = summary.publishes.malformedByKind;
    expect(counter('dead_letters_total{reason="invalid-json"}')).toBe(truncated + notJson);
    expect(counter('dead_letters_total')).toBeGreaterThanOrEqual(summary.publishes.malformed);
    expect(counter('late_readings_total')).toBe(0);
    expect(await stopProcess(gateway)).toBe(0); // closes every window and forwards the outbox

    const api = async (path: string) => (await fetch(`http://127.0.0.1:${cloud.ports.http}/api/v1/${path}`)).json();
    for (const [metric, totals] of Object.entries(summary.readings.perMetric)) {
      const { groups } = (await api(`fleet?metric=${metric}&groupBy=site`)) as { groups: Record<string, Totals> };
      expect({ metric, count: groups.lisbon?.count, sum: groups.lisbon?.sum }).toEqual({ metric, count: totals.count, sum: totals.sum });
    }
    // Three simulated hours hold no failure: predictive maintenance says why it cannot train yet.
    const trained = (await (await fetch(`http://127.0.0.1:${cloud.ports.http}/api/v1/maintenance/train`, { method: 'POST' })).json()) as {
      trained: unknown[];
      skipped: { kind: string; reason: string }[];
    };
    expect(trained.trained).toEqual([]);
    expect(trained.skipped.map((s) => s.kind).sort()).toEqual(['ATM-9000', 'ENV-TH1', 'IM-55kW']);
    expect(trained.skipped[0].reason).toMatch(/hours before a failure in the training data; at least 5 are needed to train/);
    expect(await api('maintenance/risk')).toMatchObject({ devices: [] });
    const { groups: devices } = (await api('fleet?metric=dispenserVibration&groupBy=device')) as { groups: Record<string, Totals> };
    for (const [deviceId, perMetric] of Object.entries(summary.perDevice)) {
      if (!perMetric.dispenserVibration) continue;
      expect({ deviceId, count: devices[deviceId]?.count, sum: devices[deviceId]?.sum }).toEqual({
        deviceId,
        ...perMetric.dispenserVibration,
      });
    }
  });
});
