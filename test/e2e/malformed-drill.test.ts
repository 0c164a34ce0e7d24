import { connect, type Socket } from 'node:net';
import mqttPacket from 'mqtt-packet';
import { afterEach, describe, expect, it } from 'vitest';
import { FleetHarness } from './fleet-harness.js';

let harness: FleetHarness | undefined;
afterEach(async () => {
  await harness?.cleanup();
  harness = undefined;
});

/** A seeded generator (mulberry32), so a failing drill can be replayed with its seed. */
function seeded(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  const int = (n: number) => Math.floor(next() * n);
  return { next, int, bytes: (n: number) => Buffer.from(Array.from({ length: n }, () => int(256))) };
}
type Random = ReturnType<typeof seeded>;

const connectPacket = (clientId: string) =>
  mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId, clean: true, keepalive: 30 });
const publishPacket = (topic: string, payload: Buffer | string, messageId: number) =>
  mqttPacket.generate({ cmd: 'publish', topic, payload, qos: 1, messageId, retain: false, dup: false });

/** Payloads a broken or hostile device might send on its own telemetry topic. */
function randomPayload(random: Random, metric: string): Buffer | string {
  switch (random.int(8)) {
    case 0:
      return random.bytes(random.int(300));
    case 1:
      return JSON.stringify({ ts: random.int(2) ? 'yesterday' : -1, [metric]: 1 });
    case 2:
      return `{"${metric}": ${'['.repeat(2000)}`;
    case 3:
      return JSON.stringify({ [metric]: '1e309', other: null, nested: { deep: [1, 2, { x: 'y' }] } });
    case 4:
      return 'x'.repeat(70_000); // over payloadBytesMax
    case 5:
      return JSON.stringify(Array.from({ length: 2000 }, (_, i) => ({ metric, value: i }))); // over readingsPerMessageMax
    case 6:
      return JSON.stringify({ ts: Date.now() + 365 * 86_400_000, [metric]: 5 }); // far future
    default:
      return JSON.stringify({ [metric]: random.next() * 100 }).slice(0, 1 + random.int(20)); // truncated JSON
  }
}

/** One raw connection doing one kind of harm, then closing; resolves whatever the gateway does. */
function attack(port: number, random: Random, metric: string, n: number): Promise<void> {
  return new Promise((resolve) => {
    const socket: Socket = connect(port, '127.0.0.1');
    const done = () => {
      socket.destroy();
      resolve();
    };
    socket.on('error', done);
    socket.on('close', done);
    socket.setTimeout(2_000, done);
    socket.on('connect', () => {
      const clientId = `chaos-${n}`;
      switch (random.int(6)) {
        case 0: // random bytes from the first byte
          socket.write(random.bytes(1 + random.int(2_000)));
          break;
        case 1: {
          // a valid CONNECT and PUBLISH, cut short
          const bytes = Buffer.concat([connectPacket(clientId), publishPacket(`telemetry/${clientId}`, '{"t": 1}', 1)]);
          socket.write(bytes.subarray(0, 1 + random.int(bytes.length - 1)));
          break;
        }
        case 2: // a PUBLISH claiming the largest remaining length
          socket.write(Buffer.concat([connectPacket(clientId), Buffer.from([0x32, 0xff, 0xff, 0xff, 0x7f]), random.bytes(100)]));
          break;
        case 3: // a PUBLISH before any CONNECT
          socket.write(publishPacket(`telemetry/${clientId}`, '{"t": 1}', 1));
          break;
        case 4: // another device's topic
          socket.write(Buffer.concat([connectPacket(clientId), publishPacket('telemetry/atm-1', JSON.stringify({ [metric]: 1_000 }), 1)]));
          break;
        default: // a valid session sending bad payloads on its own topic
          socket.write(
            Buffer.concat([
              connectPacket(clientId),
              ...Array.from({ length: 1 + random.int(5) }, (_, i) =>
                publishPacket(`telemetry/${clientId}`, randomPayload(random, metric), i + 1),
              ),
            ]),
          );
      }
      setTimeout(done, 50 + random.int(200));
    });
  });
}

describe('malformed-input drill', () => {
  it('random and truncated MQTT packets and bad payloads over raw sockets: the gateway keeps serving and counts every valid reading', async () => {
    const seed = Number(process.env.FOGLINE_DRILL_SEED ?? Date.now() % 1_000_000);
    const random = seeded(seed);
    harness = new FleetHarness();
    await harness.start();
    const port = harness.gateway.ports.mqtt;
    let attacks = 0;
    let stop = false;
    const chaos = Array.from({ length: 4 }, async () => {
      while (!stop) await attack(port, random, (harness as FleetHarness).metric, attacks++);
    });
    await harness.publishFor(8_000);
    stop = true;
    await Promise.all(chaos);
    expect(attacks, `seed ${seed}`).toBeGreaterThan(100);

    // Still serving: the process is up, its health answers, and a new device gets in.
    expect(harness.gateway.child.exitCode).toBeNull();
    const health = (await (await fetch(`http://127.0.0.1:${harness.gateway.ports.ops}/healthz`)).json()) as { gatewayId: string };
    expect(health.gatewayId).toBe('gw-drill');
    // The harm reached it: bad payloads became dead letters, the foreign topic was refused.
    const metrics = await (await fetch(`http://127.0.0.1:${harness.gateway.ports.ops}/metrics`)).text();
    const total = (name: string) =>
      metrics
        .split('\n')
        .filter((line) => line.startsWith(name))
        .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
    expect(total('fogline_gateway_dead_letters_total'), `seed ${seed}`).toBeGreaterThan(10);
    expect(total('fogline_gateway_acl_denied_total'), `seed ${seed}`).toBeGreaterThan(0);
    await harness.publishFor(500);
    await harness.finish();
    await harness.expectExactTotals(); // atm-1 got nothing from the chaos device that wrote to its topic
  }, 90_000);
});
