import { MetricState, quantileRelativeAccuracy, type Reading } from '@fogline/shared';
import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { cloudCli, gatewayCli, killedAfterEachTest, type Running, runCli, stopProcess, tempDir, writeYaml } from './processes.js';

const { start } = killedAfterEachTest();

interface Figures {
  count: number;
  sum: number;
  mean: number;
  min: number;
  max: number;
  variance: number;
  p50: number;
  p95: number;
  p99: number;
}

/** The figures computed independently from the sent values, checked against the API's. */
function expectFigures(actual: Figures, values: readonly number[]): void {
  const exact = MetricState.of(values.map((v, i): [number, number] => [v, i])).summary();
  expect({ count: actual.count, sum: actual.sum, mean: actual.mean, min: actual.min, max: actual.max }).toEqual({
    count: exact.count,
    sum: exact.sum,
    mean: exact.mean,
    min: exact.min,
    max: exact.max,
  });
  expect(Math.abs(actual.variance - exact.variance)).toBeLessThanOrEqual(1e-9 * exact.variance);
  const sorted = values.slice().sort((a, b) => a - b);
  for (const [q, got] of [
    [0.5, actual.p50],
    [0.95, actual.p95],
    [0.99, actual.p99],
  ] as const) {
    const rank = q * (sorted.length - 1);
    expect(got).toBeGreaterThanOrEqual(sorted[Math.floor(rank)] * (1 - quantileRelativeAccuracy));
    expect(got).toBeLessThanOrEqual(sorted[Math.ceil(rank)] * (1 + quantileRelativeAccuracy));
  }
}

/** The external broker this machine runs (Mosquitto); the external-mode test needs it. */
const externalBrokerUrl = process.env.FOGLINE_TEST_MQTT_URL ?? 'mqtt://127.0.0.1:1883';

describe('cloud with two gateways, as processes', () => {
  it('merges what both gateways forwarded into series and fleet figures that match the sent readings', () => wholePath('embedded'));

  // Needs the Mosquitto running on 127.0.0.1:1883 (FOGLINE_TEST_MQTT_URL to point elsewhere).
  it('does the same with the cloud subscribed on an external Mosquitto instead of its embedded broker', () => wholePath('external'));
});

async function wholePath(mode: 'embedded' | 'external'): Promise<void> {
  {
    const cloudDir = tempDir('cloud');
    // Ids unique to this run: an external broker is shared, and keeps retained records.
    const run = Math.random().toString(36).slice(2, 8);
    const broker = mode === 'embedded' ? { port: 0 } : { mode: 'external', url: externalBrokerUrl, clientId: `fogline-cloud-test-${run}` };
    const cloudConfig = writeYaml(cloudDir, 'cloud.yaml', { dataDir: cloudDir, broker, http: { port: 0 }, log: { level: 'info' } });
    const gatewaySecrets = new Map<string, string>();
    for (const gatewayId of ['gw-lisbon', 'gw-porto']) {
      gatewaySecrets.set(gatewayId, JSON.parse(await runCli(cloudCli, ['gateways', 'add', gatewayId, '-c', cloudConfig])).secret);
    }
    const cloud = await start(cloudCli, ['-c', cloudConfig], 'cloud ready');
    const gatewayIdOf = (name: string) => (mode === 'embedded' ? name : `${name}-${run}`);

    const sent: (Reading & { site: string; model: string; gatewayId: string })[] = [];
    const base = Math.floor((Date.now() - 600_000) / 10_000) * 10_000; // on a window boundary
    const gateways: Running[] = [];
    for (const [gatewayId, site] of [
      ['gw-lisbon', 'lisbon'],
      ['gw-porto', 'porto'],
    ] as const) {
      const dir = tempDir(gatewayId);
      const uplink =
        mode === 'embedded'
          ? { url: `mqtt://127.0.0.1:${cloud.ports.broker}`, username: gatewayId, password: gatewaySecrets.get(gatewayId) }
          : { url: externalBrokerUrl };
      const config = writeYaml(dir, 'gateway.yaml', {
        gatewayId: gatewayIdOf(gatewayId),
        dataDir: dir,
        mqtt: { port: 0 },
        ops: { port: 0 },
        windows: { sizeMs: 10_000, allowedLatenessMs: 1_000 },
        uplink,
        log: { level: 'info' },
      });
      const devices = new Map<string, [string, string]>();
      for (const model of ['atm-x200', 'motor-m7']) {
        const deviceId = `${model.split('-')[0]}-${site}${mode === 'embedded' ? '' : `-${run}`}`;
        const { secret } = JSON.parse(
          await runCli(gatewayCli, ['devices', 'add', deviceId, '--label', `site=${site}`, '--label', `model=${model}`, '-c', config]),
        );
        devices.set(deviceId, [secret, model]);
      }
      const gateway = await start(gatewayCli, ['-c', config], 'gateway ready');
      gateways.push(gateway);
      const clients = await Promise.all(
        [...devices].map(async ([deviceId, [secret, model]]) => ({
          deviceId,
          model,
          client: await mqtt.connectAsync(`mqtt://127.0.0.1:${gateway.ports.mqtt}`, {
            clientId: deviceId,
            username: deviceId,
            password: secret,
          }),
        })),
      );
      // Devices publish side by side, as a fleet does, so none runs ahead of the watermark.
      for (let i = 0; i < 120; i++) {
        for (const { deviceId, model, client } of clients) {
          const reading = {
            deviceId,
            metric: 'temperature',
            ts: base + i * 1000,
            value: Math.round((30 + 10 * Math.sin(i / 5 + deviceId.length)) * 100) / 100,
          };
          await client.publishAsync(`telemetry/${deviceId}/temperature`, JSON.stringify({ ts: reading.ts, value: reading.value }), {
            qos: 1,
          });
          sent.push({ ...reading, site, model, gatewayId: gatewayIdOf(gatewayId) });
        }
      }
      for (const { client } of clients) await client.endAsync();
    }
    // A graceful stop closes every window and forwards the outbox before the gateway exits.
    for (const gateway of gateways) expect(await stopProcess(gateway)).toBe(0);

    const api = async (path: string) => {
      const response = await fetch(`http://127.0.0.1:${cloud.ports.http}/api/v1/${path}`);
      expect(response.status).toBe(200);
      return response.json() as Promise<Record<string, unknown>>;
    };
    const valuesWhere = (keep: (r: (typeof sent)[number]) => boolean) => sent.filter(keep).map((r) => r.value);
    // Through an external broker the gateway's stop waits for Mosquitto's PUBACK, not the cloud's
    // merge: the last partitions may still be on their way.
    const ours = [gatewayIdOf('gw-lisbon'), gatewayIdOf('gw-porto')];
    await expect
      .poll(
        async () => {
          const { gateways: stats } = (await api('gateways')) as { gateways: { gatewayId: string; readings: number }[] };
          return stats.filter((g) => ours.includes(g.gatewayId)).reduce((n, g) => n + g.readings, 0);
        },
        { timeout: 20_000 },
      )
      .toBe(sent.length);

    const firstDevice = sent[0].deviceId;
    const series = (await api(`series?deviceId=${firstDevice}&metric=temperature`)) as { points: (Figures & { windowStartMs: number })[] };
    expect(series.points).toHaveLength(12); // 120 s of readings in 10 s windows
    for (const point of series.points) {
      expectFigures(
        point,
        valuesWhere((r) => r.deviceId === firstDevice && r.ts >= point.windowStartMs && r.ts < point.windowStartMs + 10_000),
      );
    }
    for (const [groupBy, key] of [
      ['device', (r: (typeof sent)[number]) => r.deviceId],
      ['gateway', (r: (typeof sent)[number]) => r.gatewayId],
      ['site', (r: (typeof sent)[number]) => r.site],
      ['model', (r: (typeof sent)[number]) => r.model],
      ['fleet', () => 'fleet'],
    ] as const) {
      const { groups } = (await api(`fleet?metric=temperature&groupBy=${groupBy}`)) as { groups: Record<string, Figures> };
      const names = [...new Set(sent.map(key))].sort();
      expect(Object.keys(groups)).toEqual(names);
      for (const name of names)
        expectFigures(
          groups[name],
          valuesWhere((r) => key(r) === name),
        );
    }
    const { gateways: stats } = (await api('gateways')) as {
      gateways: { gatewayId: string; readings: number; status: { online: boolean } }[];
    };
    // On a shared external broker, gateways of earlier runs are known too, by their retained status.
    const thisRun = stats.filter((g) => ours.includes(g.gatewayId));
    expect(thisRun.map((g) => [g.gatewayId, g.readings, g.status.online]).sort()).toEqual([
      [gatewayIdOf('gw-lisbon'), 240, false],
      [gatewayIdOf('gw-porto'), 240, false],
    ]);
    const bad = await fetch(`http://127.0.0.1:${cloud.ports.http}/api/v1/fleet?metric=temperature&groupBy=color&from=yesterday`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { errors: string[] }).errors).toEqual([
      'from was "yesterday", expected epoch milliseconds, or an ISO-8601 date or date-time with its offset (2026-11-24T08:00:00Z)',
      'groupBy was "color", expected fleet, gateway, device, site, model or label:<name>',
    ]);
  }
}
