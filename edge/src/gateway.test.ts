import type { Reading } from '@fogline/shared';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import type { Gateway } from './gateway.js';
import {
  comparable,
  expectedStates,
  provision,
  readDeadLetters,
  readOutbox,
  startTestGateway,
  varianceMismatches,
} from './test-support.js';

const running: Gateway[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((g) => g.stop()));
});

async function gateway(extra: Record<string, unknown> = {}) {
  const g = await startTestGateway(extra);
  running.push(g);
  return g;
}

describe('gateway ingest', () => {
  it('turns QoS 0 and QoS 1 publishes, malformed ones mixed in, into outbox states equal to the exact aggregates', async () => {
    const g = await gateway({ windows: { sizeMs: 10_000 }, ingest: { qos0: 'fast' } });
    const devices = ['atm-1', 'atm-2', 'motor-1'];
    const secrets = await provision(g.config.mqtt.credentialsFile as string, devices);
    g.credentials.reload();
    const sent: Reading[] = [];
    const malformed: string[] = [];
    const base = Date.now() - 120_000;
    const clients = await Promise.all(
      devices.map((deviceId) =>
        mqtt.connectAsync(`mqtt://127.0.0.1:${g.ports.mqtt}`, { clientId: deviceId, username: deviceId, password: secrets.get(deviceId) }),
      ),
    );
    // Devices publish side by side, as a fleet does, so no device's clock runs ahead of the others.
    for (let i = 0; i < 300; i++) {
      for (const [d, deviceId] of devices.entries()) {
        const client = clients[d];
        const ts = base + i * 317 + d;
        const value = Math.round(Math.sin(i + d) * 1000) / 10 + 20;
        const qos = i % 2 === 0 ? 1 : 0;
        if (i % 25 === 7) {
          const bad = ['{"temperature": ', '[1, 2', '{"values": {"t": "hot"}}', '{"ts": "later", "t": 1}'][i % 4];
          malformed.push(bad);
          await client.publishAsync(`telemetry/${deviceId}`, bad, { qos });
        } else if (i % 3 === 0) {
          await client.publishAsync(`telemetry/${deviceId}/temperature`, JSON.stringify({ ts, value }), { qos });
          sent.push({ deviceId, metric: 'temperature', ts, value });
        } else {
          // A batch with one bad reading beside a good one: the good one must still count.
          await client.publishAsync(`telemetry/${deviceId}`, JSON.stringify([{ ts, values: { vibration: value / 100, noise: 'NaN' } }]), {
            qos,
          });
          sent.push({ deviceId, metric: 'vibration', ts, value: value / 100 });
          malformed.push('noise');
        }
        if (i === 150) {
          await client.publishAsync(`events/${deviceId}`, JSON.stringify({ type: 'door_open', ts }), { qos: 1 });
          sent.push({ deviceId, metric: 'event.door_open', ts, value: 1 });
        }
      }
    }
    // A QoS 1 publish on each connection after its QoS 0 ones: once acknowledged, all were handled.
    for (const client of clients) await client.publishAsync(`telemetry/${client.options.clientId}`, '[]', { qos: 1 });
    malformed.push('[]', '[]', '[]');
    await Promise.all(clients.map((c) => c.endAsync()));
    await g.stop();
    const outbox = await readOutbox(g.config.dataDir);
    expect(comparable(outbox.states)).toEqual(comparable(expectedStates(sent)));
    expect(varianceMismatches(outbox.states, expectedStates(sent))).toEqual([]);
    expect(outbox.seqs).toEqual([...outbox.seqs].sort((a, b) => a - b));
    const dead = await readDeadLetters(g.config.dataDir);
    expect(dead).toHaveLength(malformed.length);
    expect(dead.every((d) => d.reason.length > 10 && devices.includes(d.deviceId))).toBe(true);
    expect(dead.filter((d) => d.reason.includes('not valid JSON'))).toHaveLength(
      malformed.filter((m) => m.startsWith('{"temperature') || m.startsWith('[1')).length,
    );
    expect(dead.filter((d) => d.reason === '[0].values.noise was "NaN", expected a finite number')).toHaveLength(
      malformed.filter((m) => m === 'noise').length,
    );
  });

  it('replays the log after a stop without drain: nothing lost, nothing counted twice', async () => {
    const first = await startTestGateway({ mqtt: { port: 0, allowAnonymous: true }, windows: { sizeMs: 1000, allowedLatenessMs: 0 } });
    const sent: Reading[] = [];
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${first.ports.mqtt}`, { clientId: 'dev' });
    const base = Date.now() - 60_000;
    for (let i = 0; i < 200; i++) {
      const reading = { deviceId: 'dev', metric: 'm', ts: base + i * 100, value: i };
      await client.publishAsync('telemetry/dev/m', JSON.stringify({ ts: reading.ts, value: reading.value }), { qos: 1 });
      sent.push(reading);
    }
    await client.endAsync();
    await first.settled();
    await first.pipeline.closeReady();
    await first.stop({ drain: false }); // open windows stay in the log only
    const second = await startTestGateway({
      dataDir: first.config.dataDir,
      mqtt: { port: 0, allowAnonymous: true },
      windows: { sizeMs: 1000, allowedLatenessMs: 0 },
    });
    await second.stop();
    const outbox = await readOutbox(first.config.dataDir);
    expect(comparable(outbox.states)).toEqual(comparable(expectedStates(sent)));
    expect(varianceMismatches(outbox.states, expectedStates(sent))).toEqual([]);
  });

  it('acknowledges a resent QoS 1 publish without counting it twice', async () => {
    const g = await gateway({ mqtt: { port: 0, allowAnonymous: true } });
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${g.ports.mqtt}`, { clientId: 'dev' });
    const ts = Date.now() - 1000;
    const payload = JSON.stringify({ ts, value: 5 });
    // The same packet id and bytes twice is what a client sends when a PUBACK got lost.
    const raw = client as unknown as { _sendPacket: (p: unknown, cb: () => void) => void };
    for (let i = 0; i < 2; i++) {
      await new Promise<void>((resolve) =>
        raw._sendPacket(
          { cmd: 'publish', topic: 'telemetry/dev/m', payload: Buffer.from(payload), qos: 1, messageId: 77, dup: i === 1, retain: false },
          () => resolve(),
        ),
      );
    }
    // Another reading: another timestamp (the same one would be the same reading).
    await client.publishAsync('telemetry/dev/m', JSON.stringify({ ts: ts + 1, value: 6 }), { qos: 1 });
    await client.endAsync();
    await g.stop();
    const outbox = await readOutbox(g.config.dataDir);
    expect(outbox.states.get('dev/m')?.count).toBe(2);
    expect(outbox.states.get('dev/m')?.sum.value()).toBe(11);
  });

  it('serves /healthz and /metrics', async () => {
    const g = await gateway();
    const health = (await (await fetch(`http://127.0.0.1:${g.ports.ops}/healthz`)).json()) as Record<string, unknown>;
    expect(health).toMatchObject({ status: 'ok', gatewayId: 'gw-test' });
    const metrics = await (await fetch(`http://127.0.0.1:${g.ports.ops}/metrics`)).text();
    expect(metrics).toContain('fogline_gateway_readings_total');
    expect((await fetch(`http://127.0.0.1:${g.ports.ops}/nope`)).status).toBe(404);
  });
});
