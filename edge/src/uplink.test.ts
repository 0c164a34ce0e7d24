import { createServer, type Server } from 'node:net';
import { decodeEnvelope, MetricState, type Reading } from '@fogline/shared';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import type { Gateway } from './gateway.js';
import { comparable, expectedStates, readOutbox, startTestGateway, varianceMismatches } from './test-support.js';

/** A stand-in for the cloud's broker that keeps what gateways publish to it. */
class CloudBroker {
  readonly received: { topic: string; payload: Buffer; retain: boolean }[] = [];
  private aedes?: Aedes;
  private server?: Server;
  port = 0;

  /**
   * With `losePubacks`, every partition is received and then the connection breaks before its
   * PUBACK; with `loseOffline`, the same for the gateway's offline status record.
   */
  constructor(
    private readonly losePubacks = false,
    private readonly loseOffline = false,
  ) {}

  async start(port = 0): Promise<void> {
    this.aedes = await Aedes.createBroker({
      authorizePublish: (client, packet, done) => {
        if (client) this.received.push({ topic: packet.topic, payload: Buffer.from(packet.payload), retain: packet.retain });
        if (client && this.losePubacks && packet.topic.includes('/partitions/')) return void client.conn.destroy();
        const offline = packet.topic.endsWith('/status') && packet.payload.toString().includes('"online":false');
        if (client && this.loseOffline && offline) return void client.conn.destroy();
        done(null);
      },
    });
    this.server = createServer(this.aedes.handle);
    await new Promise<void>((resolve) => this.server?.listen(port, '127.0.0.1', () => resolve()));
    this.port = (this.server.address() as { port: number }).port;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.aedes?.close(() => resolve()));
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  /** States merged from the partition envelopes received, each (gateway, seq) once. */
  merged(): { states: Map<string, MetricState>; duplicates: number } {
    const seen = new Set<string>();
    const states = new Map<string, MetricState>();
    let duplicates = 0;
    for (const { topic, payload } of this.received) {
      if (!topic.includes('/partitions/')) continue;
      const envelope = decodeEnvelope(payload);
      const id = `${envelope.gatewayId}/${envelope.seq}`;
      if (seen.has(id)) {
        duplicates++;
        continue;
      }
      seen.add(id);
      expect(topic).toBe(`fogline/v1/${envelope.gatewayId}/partitions/${envelope.partition}`);
      for (const [[deviceId, metric], state] of envelope.records) {
        const key = `${deviceId}/${metric}`;
        states.set(key, (states.get(key) ?? MetricState.empty()).merge(state));
      }
    }
    return { states, duplicates };
  }
}

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function publishReadings(g: Gateway, deviceId: string, from: number, count: number, base: number): Promise<Reading[]> {
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${g.ports.mqtt}`, { clientId: deviceId });
  const sent: Reading[] = [];
  for (let i = from; i < from + count; i++) {
    const reading = { deviceId, metric: 'current_a', ts: base + i * 250, value: 10 + (i % 17) / 10 };
    await client.publishAsync(`telemetry/${deviceId}/current_a`, JSON.stringify({ ts: reading.ts, value: reading.value }), { qos: 1 });
    sent.push(reading);
  }
  await client.endAsync();
  return sent;
}

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('uplink', () => {
  it('forwards every closed window to the cloud broker, empties the outbox, and sends status and registry', async () => {
    const cloud = new CloudBroker();
    await cloud.start();
    cleanup.push(() => cloud.stop());
    const g = await startTestGateway({
      mqtt: { port: 0, allowAnonymous: true },
      windows: { sizeMs: 1000, allowedLatenessMs: 0 },
      uplink: { url: `mqtt://127.0.0.1:${cloud.port}`, inFlightMax: 2 },
    });
    const base = Date.now() - 120_000;
    const sent = await publishReadings(g, 'motor-1', 0, 200, base);
    await g.stop(); // drains the windows and gives the uplink time to forward them
    expect(comparable(cloud.merged().states)).toEqual(comparable(expectedStates(sent)));
    expect(varianceMismatches(cloud.merged().states, expectedStates(sent))).toEqual([]);
    expect((await readOutbox(g.config.dataDir)).envelopes).toBe(0);
    const status = cloud.received.filter((m) => m.topic === 'fogline/v1/gw-test/status').map((m) => JSON.parse(m.payload.toString()));
    expect(status[0]).toMatchObject({ gatewayId: 'gw-test', online: true });
    expect(status.at(-1)).toMatchObject({ online: false });
    expect(cloud.received.some((m) => m.topic === 'fogline/v1/gw-test/devices' && m.retain)).toBe(true);
  });

  it('keeps envelopes through a cloud outage and delivers them once it is back, nothing lost', async () => {
    const cloud = new CloudBroker();
    await cloud.start();
    const port = cloud.port;
    const g = await startTestGateway({
      mqtt: { port: 0, allowAnonymous: true },
      windows: { sizeMs: 1000, allowedLatenessMs: 0 },
      uplink: { url: `mqtt://127.0.0.1:${port}`, reconnectMsMin: 100, reconnectMsMax: 400 },
    });
    cleanup.push(async () => {
      await g.stop();
      await cloud.stop();
    });
    const base = Date.now() - 120_000;
    const sent = await publishReadings(g, 'atm-1', 0, 100, base);
    await g.settled();
    await g.pipeline.closeReady();
    await cloud.stop(); // the cloud goes away
    sent.push(...(await publishReadings(g, 'atm-1', 100, 100, base)));
    await g.settled();
    await g.pipeline.drain();
    await g.pipeline.flushed();
    expect(await g.outbox.size()).toBeGreaterThan(0); // waiting in the outbox, not lost
    await cloud.start(port); // and comes back on the same address
    await waitFor(async () => (await g.outbox.size()) === 0);
    expect(comparable(cloud.merged().states)).toEqual(comparable(expectedStates(sent)));
    expect(varianceMismatches(cloud.merged().states, expectedStates(sent))).toEqual([]);
  });

  it('never counts as dropped a partition the cloud received whose PUBACK was lost', async () => {
    const cloud = new CloudBroker(true);
    await cloud.start();
    cleanup.push(() => cloud.stop());
    const g = await startTestGateway({
      mqtt: { port: 0, allowAnonymous: true },
      windows: { sizeMs: 1_000, allowedLatenessMs: 0, idleCloseMs: 1_000 },
      outbox: { bytesMax: 3_000, compressAboveBytes: 512 },
      uplink: { url: `mqtt://127.0.0.1:${cloud.port}`, reconnectMsMin: 20, reconnectMsMax: 50 },
    });
    cleanup.push(() => g.stop());
    const base = Date.now() - 600_000;
    const sent: Reading[] = [];
    // Many windows, each a few hundred bytes: the outbox is over its budget again and again
    // while what it sent keeps coming back unacknowledged.
    for (let round = 0; round < 8; round++) {
      sent.push(...(await publishReadings(g, `dev-${round % 3}`, round * 40, 40, base)));
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    await waitFor(async () => (await g.metrics.outboxDropped.get()).values.reduce((n, v) => n + v.value, 0) > 0);
    const droppedReadings = (await g.metrics.outboxDroppedReadings.get()).values.reduce((n, v) => n + v.value, 0);
    const received = [...cloud.merged().states.values()].reduce((n, state) => n + state.count, 0);
    // No reading is both at the cloud and counted as dropped.
    expect(received + droppedReadings).toBeLessThanOrEqual(sent.length);
    expect(received).toBeGreaterThan(0);
  });

  it('stops within its bounds when the connection breaks while it says it is going offline', async () => {
    const cloud = new CloudBroker(false, true);
    await cloud.start();
    cleanup.push(() => cloud.stop());
    const g = await startTestGateway({
      mqtt: { port: 0, allowAnonymous: true },
      uplink: { url: `mqtt://127.0.0.1:${cloud.port}`, reconnectMsMin: 20, reconnectMsMax: 50 },
    });
    await waitFor(async () => cloud.received.some((r) => r.topic.endsWith('/status')));
    const stopped = g.stop().then(() => 'stopped');
    const timedOut = new Promise((resolve) => setTimeout(() => resolve('still stopping after 15 s'), 15_000));
    expect(await Promise.race([stopped, timedOut])).toBe('stopped');
  }, 30_000);
});
