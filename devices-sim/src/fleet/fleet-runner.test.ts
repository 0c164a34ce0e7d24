import { once } from 'node:events';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Aedes } from 'aedes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveryDefaults } from '../device/delivery-options.js';
import { builtinProfileSet } from '../profiles/load-profiles.js';
import { StatusLine } from '../report/status-line.js';
import { type FleetSpec, fleetIdentities } from './fleet.js';
import { FleetRunner, type GatewayTarget, type RunOptions } from './fleet-runner.js';

const profiles = builtinProfileSet();
const startMs = Date.UTC(2026, 5, 1);
const folder = mkdtempSync(join(tmpdir(), 'fogline-sim-run-'));

/** A real aedes broker on port 0 that checks each device's secret and keeps what every client published, in order. */
class CapturingBroker {
  readonly received = new Map<string, string[]>();
  readonly secrets = new Map<string, string>();
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;

  async start(): Promise<void> {
    const broker = await Aedes.createBroker();
    broker.authenticate = (client, username, password, done) => {
      const expected = this.secrets.get(client.id);
      if (!expected) return done(null, true); // anonymous tests
      const ok = username === client.id && password?.toString() === expected;
      done(ok ? null : Object.assign(new Error('bad credentials'), { returnCode: 4 }), ok);
    };
    broker.on('publish', (packet, client) => {
      if (!client) return;
      const list = this.received.get(client.id) ?? [];
      list.push(`${packet.topic} ${packet.payload.toString()}`);
      this.received.set(client.id, list);
    });
    this.server = createServer((socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      broker.handle(socket);
    });
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.port = (this.server.address() as { port: number }).port;
  }

  async stop(): Promise<void> {
    const closed = new Promise((resolve) => this.server?.close(resolve));
    for (const socket of this.sockets) socket.destroy(); // as a crashed gateway would
    await closed;
  }
}

const fleet = (overrides: Partial<FleetSpec> = {}): FleetSpec => ({
  seed: 11,
  startMs,
  endMs: startMs + 2 * 3_600_000,
  groups: [
    { profile: 'atm', count: 12 },
    { profile: 'motor', count: 4 },
    { profile: 'env', count: 4 },
  ],
  idPrefix: '',
  labels: {},
  delivery: { ...deliveryDefaults, intervalMs: 60_000, malformedRatio: 0.05, lateRatio: 0.02, outOfOrderRatio: 0.02 },
  ...overrides,
});

const gateway = (port: number, overrides: Partial<GatewayTarget> = {}): GatewayTarget => ({
  url: `mqtt://127.0.0.1:${port}`,
  qos: 1,
  connectConcurrency: 50,
  connectTimeoutMs: 5_000,
  keepaliveS: 30,
  inFlightMax: 1000,
  drainTimeoutMs: 5_000,
  ...overrides,
});

const quiet = new StatusLine('off', 0);
const run = (options: Omit<RunOptions, 'profiles' | 'status'>) => new FleetRunner({ profiles, status: quiet, ...options }).run();

/** What a dry run records, per device, as "topic payload" in send order. */
function recordedPerDevice(path: string): Map<string, string[]> {
  const perDevice = new Map<string, string[]>();
  for (const line of readFileSync(path, 'utf8').trim().split('\n')) {
    const { topic, payload } = JSON.parse(line) as { topic: string; payload: string };
    const id = topic.split('/')[1];
    perDevice.set(id, [...(perDevice.get(id) ?? []), `${topic} ${payload}`]);
  }
  return perDevice;
}

describe('FleetRunner against a real broker', () => {
  const broker = new CapturingBroker();
  beforeAll(() => broker.start());
  afterAll(() => broker.stop());

  it('delivers exactly what a dry run with the same seed records, byte for byte, and counts it', async () => {
    const recordPath = join(folder, 'dry.jsonl');
    const dry = await run({ fleet: fleet(), speed: 1, recordPath });
    const secrets = new Map(fleetIdentities(fleet(), profiles).map((device, i) => [device.id, `secret-${i}`]));
    for (const [id, secret] of secrets) broker.secrets.set(id, secret);
    broker.received.clear();
    // Two simulated hours in about a second and a half.
    const live = await run({ fleet: fleet(), speed: 5_000, gateway: gateway(broker.port, { secrets }) });
    expect(live.devices).toEqual({ total: 20, connected: 20, refused: 0 });
    expect(live.publishes.delivered).toBe(live.publishes.generated);
    expect(live.publishes.malformed).toBeGreaterThan(0);
    expect(live.publishes.unacknowledged).toBe(0);
    expect(live.perDevice).toEqual(dry.perDevice);
    expect(live.readings).toEqual(dry.readings);
    const recorded = recordedPerDevice(recordPath);
    expect(new Map([...broker.received].sort())).toEqual(new Map([...recorded].sort()));
  });

  it('rides out reconnect storms without losing a QoS 1 reading', async () => {
    broker.secrets.clear();
    broker.received.clear();
    const summary = await run({
      fleet: fleet({ seed: 12, endMs: startMs + 4 * 3_600_000 }),
      speed: 3_600, // 4 simulated hours in 4 s, a storm every simulated hour (every second)
      gateway: gateway(broker.port),
      storms: { everyMs: 3_600_000, fraction: 0.5 },
    });
    expect(summary.connections.storms).toBeGreaterThanOrEqual(3);
    expect(summary.connections.interrupted).toBeGreaterThan(20);
    expect(summary.connections.reconnects).toBeGreaterThan(20);
    expect(summary.publishes.delivered).toBe(summary.publishes.generated);
    // QoS 1 may deliver a publish twice across a reconnect (the gateway drops the duplicate); none is missing.
    const dry = await run({
      fleet: fleet({ seed: 12, endMs: startMs + 4 * 3_600_000 }),
      speed: 1,
      recordPath: join(folder, 'storm.jsonl'),
    });
    const expected = [...recordedPerDevice(join(folder, 'storm.jsonl')).values()].flat();
    const got = new Set([...broker.received.values()].flat());
    expect(expected.filter((publish) => !got.has(publish))).toEqual([]);
    expect(summary.perDevice).toEqual(dry.perDevice);
  });

  it('counts a device the gateway refuses, and still delivers the others', async () => {
    broker.secrets.clear();
    broker.secrets.set('env-0001', 'right');
    const summary = await run({
      fleet: fleet({ groups: [{ profile: 'env', count: 3 }], delivery: { ...deliveryDefaults, intervalMs: 60_000 } }),
      speed: 10_000,
      gateway: gateway(broker.port, {
        secrets: new Map([
          ['env-0001', 'wrong'],
          ['env-0002', ''],
          ['env-0003', ''],
        ]),
      }),
    });
    expect(summary.devices.refused).toBe(1);
    expect(summary.connections.refusals).toEqual({ 'bad user name or password': 1 });
    expect(summary.publishes.dropped.refused).toBeGreaterThan(100);
    expect(Object.keys(summary.perDevice)).toEqual(['env-0002', 'env-0003']);
    expect(summary.perDevice['env-0002'].temperature.count).toBeGreaterThan(100);
  });

  it('says so at once when no device can reach the gateway', async () => {
    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = (closed.address() as { port: number }).port;
    await new Promise((resolve) => closed.close(resolve)); // nothing listens there now
    await expect(
      run({
        fleet: fleet({ groups: [{ profile: 'env', count: 2 }] }),
        speed: 1,
        gateway: gateway(port, { connectTimeoutMs: 300 }),
      }),
    ).rejects.toThrow(new RegExp(`no device could connect to mqtt://127.0.0.1:${port} within 300 ms \\(.*ECONNREFUSED`));
  });

  it('bounds what waits while the gateway is gone, and accounts for every publish', async () => {
    const lost = new CapturingBroker();
    await lost.start();
    const running = run({
      fleet: fleet({
        groups: [{ profile: 'env', count: 2 }],
        endMs: startMs + 24 * 3_600_000,
        delivery: { ...deliveryDefaults, intervalMs: 60_000 },
      }),
      speed: 40_000, // a simulated day in about two seconds
      gateway: gateway(lost.port, { inFlightMax: 5, drainTimeoutMs: 100 }),
    });
    await new Promise((resolve) => setTimeout(resolve, 600));
    await lost.stop();
    const summary = await running;
    const { generated, sent, delivered, undelivered, unacknowledged, dropped } = summary.publishes;
    expect(delivered).toBeGreaterThan(50);
    expect(dropped.inFlightFull).toBeGreaterThan(500);
    expect(sent).toBe(generated - dropped.inFlightFull - dropped.refused);
    expect(delivered + undelivered + unacknowledged).toBe(sent);
    expect(unacknowledged + undelivered).toBeLessThanOrEqual(2 * 5);
  });
});
