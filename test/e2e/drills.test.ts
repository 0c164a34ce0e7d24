import { encodeEnvelope, MetricState } from '@fogline/shared';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { FleetHarness } from './fleet-harness.js';
import { cloudCli, runCli, startProcess, stopProcess, tempDir, writeYaml } from './processes.js';

let harness: FleetHarness | undefined;
afterEach(async () => {
  await harness?.cleanup();
  harness = undefined;
});

describe('failure drills: nothing lost, nothing counted twice', () => {
  it('the cloud stops for 30 s while devices keep publishing, then comes back', async () => {
    harness = new FleetHarness();
    await harness.start();
    await harness.publishFor(1_500);
    expect(await stopProcess(harness.cloud)).toBe(0);
    await harness.publishFor(30_000); // the gateway keeps acknowledging; its outbox holds the windows
    await harness.startCloud();
    await harness.publishFor(1_500);
    await harness.finish();
    await harness.expectExactTotals();
  }, 90_000);

  it('the cloud is killed with SIGKILL during intake, then restarted', async () => {
    harness = new FleetHarness();
    await harness.start();
    for (let kill = 0; kill < 2; kill++) {
      await harness.publishFor(1_200 + Math.random() * 800);
      harness.cloud.child.kill('SIGKILL');
      await harness.cloud.exited;
      await harness.publishFor(300);
      await harness.startCloud();
    }
    await harness.publishFor(1_000);
    await harness.finish();
    await harness.expectExactTotals();
  }, 90_000);

  it('the gateway is killed with SIGKILL during uplink, then restarted', async () => {
    harness = new FleetHarness();
    await harness.start();
    for (let kill = 0; kill < 2; kill++) {
      await harness.publishFor(1_200 + Math.random() * 800);
      harness.gateway.child.kill('SIGKILL');
      await harness.gateway.exited;
      await harness.startGateway();
    }
    await harness.publishFor(1_000);
    await harness.finish();
    await harness.expectExactTotals();
  }, 90_000);

  it('the outbox reaches its disk budget during a cloud outage: the oldest partitions go, counted, and the rest arrive exactly', async () => {
    const outboxBytesMax = 20_000; // a few windows: one window's envelopes are a few KB
    harness = new FleetHarness(undefined, { outbox: { bytesMax: outboxBytesMax, compressAboveBytes: 512 } });
    await harness.start();
    await harness.publishFor(1_500);
    expect(await stopProcess(harness.cloud)).toBe(0);
    const gatewayMetric = async (name: string) => {
      const text = await (await fetch(`http://127.0.0.1:${harness?.gateway.ports.ops}/metrics`)).text();
      return text
        .split('\n')
        .filter((line) => line.startsWith(name))
        .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
    };
    // Windows keep closing into a full outbox until the budget has made room several times.
    const deadline = Date.now() + 40_000;
    while ((await gatewayMetric('fogline_gateway_outbox_dropped_total{kind="partition"}')) < 5 && Date.now() < deadline)
      await harness.publishFor(500);
    const health = (await (await fetch(`http://127.0.0.1:${harness.gateway.ports.ops}/healthz`)).json()) as { outboxBytes: number };
    expect(health.outboxBytes).toBeLessThanOrEqual(outboxBytesMax);
    expect(await gatewayMetric('fogline_gateway_outbox_dropped_total{kind="partition"}')).toBeGreaterThanOrEqual(5);
    await harness.startCloud();
    await harness.publishFor(1_000);
    const droppedReadings = await gatewayMetric('fogline_gateway_outbox_dropped_readings_total');
    await harness.finish();
    expect(droppedReadings).toBeGreaterThan(0);
    // Exact: what the devices had acknowledged, less what the stated policy dropped, counted.
    const response = await fetch(`http://127.0.0.1:${harness.cloud.ports.http}/api/v1/fleet?metric=${harness.metric}`);
    const { groups } = (await response.json()) as { groups: { fleet: { count: number } } };
    expect(groups.fleet.count).toBe(harness.sent.length - droppedReadings);
  }, 90_000);

  it('the same envelope delivered twice is merged once', async () => {
    const dir = tempDir('drill-dup');
    const config = writeYaml(dir, 'cloud.yaml', { dataDir: dir, broker: { port: 0 }, http: { port: 0 }, log: { level: 'info' } });
    const { secret } = JSON.parse(await runCli(cloudCli, ['gateways', 'add', 'gw-dup', '-c', config]));
    const cloud = await startProcess(cloudCli, ['-c', config], 'cloud ready');
    try {
      const envelope = encodeEnvelope({
        gatewayId: 'gw-dup',
        incarnation: 'drill',
        firstSeq: 0,
        seq: 41,
        windowStartMs: 1_732_400_040_000,
        windowEndMs: 1_732_400_100_000,
        partition: 2,
        partitionCount: 4,
        createdAtMs: 1_732_400_101_000,
        records: [
          [
            ['atm-9', 'temp'],
            MetricState.of([
              [21, 1_732_400_041_000],
              [23, 1_732_400_042_000],
            ]),
          ],
        ],
      });
      const gateway = await mqtt.connectAsync(`mqtt://127.0.0.1:${cloud.ports.broker}`, {
        clientId: 'gw-dup',
        username: 'gw-dup',
        password: secret,
      });
      await gateway.publishAsync('fogline/v1/gw-dup/partitions/2', envelope, { qos: 1 });
      await gateway.publishAsync('fogline/v1/gw-dup/partitions/2', envelope, { qos: 1 });
      // A malformed status record is kept aside; the gateway stays connected.
      await gateway.publishAsync('fogline/v1/gw-dup/status', 'not json', { qos: 1 });
      expect(gateway.connected).toBe(true);
      await gateway.endAsync();
      const { groups } = (await (await fetch(`http://127.0.0.1:${cloud.ports.http}/api/v1/fleet?metric=temp&groupBy=device`)).json()) as {
        groups: Record<string, { count: number; sum: number }>;
      };
      expect(groups['atm-9']).toMatchObject({ count: 2, sum: 44 });
      const metrics = await (await fetch(`http://127.0.0.1:${cloud.ports.http}/metrics`)).text();
      expect(metrics).toContain('fogline_cloud_envelopes_total{outcome="duplicate"} 1');
    } finally {
      await stopProcess(cloud);
    }
  });
});
