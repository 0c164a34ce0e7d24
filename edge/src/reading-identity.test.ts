import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { Gateway } from './gateway.js';
import { Gateway as GatewayClass } from './gateway.js';
import { provision, readOutbox, startTestGateway, testConfig } from './test-support.js';
import { RawMqttClient } from './testing/raw-mqtt-client.js';

const run = promisify(execFile);
const running: Gateway[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((g) => g.stop()));
});

async function start(extra: Record<string, unknown> = {}) {
  const g = await startTestGateway({ limits: { messagesPerSecondMax: 1_000_000 }, ...extra, mqtt: { port: 0, allowAnonymous: true } });
  running.push(g);
  return g;
}

async function stopAndCount(g: Gateway, key: string): Promise<number> {
  running.splice(running.indexOf(g), 1);
  await g.stop();
  return (await readOutbox(g.config.dataDir)).states.get(key)?.count ?? 0;
}

describe('what makes two publishes the same reading', () => {
  it('mosquitto_pub run three times with the same bytes is three readings', async () => {
    const g = await startTestGateway({ mqtt: { port: 0 } });
    running.push(g);
    const secrets = await provision(g.config.mqtt.credentialsFile as string, ['d1']);
    let acknowledged = 0;
    for (let i = 0; i < 3; i++) {
      // Each run: a new connection, packet id 1, DUP 0, PUBACK, then a clean DISCONNECT.
      await run('mosquitto_pub', [
        '-h',
        '127.0.0.1',
        '-p',
        String(g.ports.mqtt),
        '-q',
        '1',
        '-u',
        'd1',
        '-P',
        secrets.get('d1') as string,
        '-i',
        'd1',
        '-t',
        'telemetry/d1/x',
        '-m',
        '1',
      ]);
      acknowledged++;
    }
    expect(await stopAndCount(g, 'd1/x')).toBe(acknowledged);
  });

  it('a resend after a broken connection counts once, with DUP (spec) or without (MQTT.js), and a later new publish with the same bytes counts', async () => {
    const g = await start();
    const port = g.ports.mqtt;
    // Without DUP, as MQTT.js resends: the PUBACK was lost with the connection.
    const a = await RawMqttClient.connect(port, { clientId: 'dev-a' });
    await a.publishAcked('telemetry/dev-a/x', '5', 7);
    await a.breakConnection();
    const a2 = await RawMqttClient.connect(port, { clientId: 'dev-a' });
    await a2.publishAcked('telemetry/dev-a/x', '5', 7);
    // The client now has its PUBACK; id 7 with the same bytes on this connection is new.
    await a2.publishAcked('telemetry/dev-a/x', '5', 7);
    await a2.disconnect();
    // With DUP, as the specification has it.
    const b = await RawMqttClient.connect(port, { clientId: 'dev-b' });
    await b.publishAcked('telemetry/dev-b/x', '5', 9);
    await b.breakConnection();
    const b2 = await RawMqttClient.connect(port, { clientId: 'dev-b' });
    await b2.publishAcked('telemetry/dev-b/x', '5', 9, true);
    await b2.disconnect();
    // A new connection after a clean DISCONNECT: nothing it sends is a resend.
    const b3 = await RawMqttClient.connect(port, { clientId: 'dev-b' });
    await b3.publishAcked('telemetry/dev-b/x', '5', 9);
    await b3.disconnect();
    running.splice(running.indexOf(g), 1);
    await g.stop();
    const { states } = await readOutbox(g.config.dataDir);
    expect(states.get('dev-a/x')?.count).toBe(2);
    expect(states.get('dev-b/x')?.count).toBe(2);
  });

  it("a device's resend is recognised after 110,000 publishes of other devices (no shared memo window)", async () => {
    const g = await start();
    const port = g.ports.mqtt;
    const victim = await RawMqttClient.connect(port, { clientId: 'victim' });
    await victim.publishAcked('telemetry/victim/x', '42', 1);
    await victim.breakConnection();
    // A large fleet publishes meanwhile: 100 devices x 1,100 publishes, pipelined.
    await Promise.all(
      Array.from({ length: 100 }, async (_, d) => {
        const device = await RawMqttClient.connect(port, { clientId: `fleet-${d}` });
        const ids = Array.from({ length: 1100 }, (_, i) => (i % 65535) + 1);
        for (const id of ids) device.publish(`telemetry/fleet-${d}/x`, String(id), id);
        await device.pubacks(ids);
        await device.disconnect();
      }),
    );
    const back = await RawMqttClient.connect(port, { clientId: 'victim' });
    await back.publishAcked('telemetry/victim/x', '42', 1);
    await back.disconnect();
    expect(await stopAndCount(g, 'victim/x')).toBe(1);
  });

  it('a resend after a gateway restart counts once; a clean reconnect after it does not', async () => {
    const config = testConfig({ mqtt: { port: 0, allowAnonymous: true }, schedules: { compaction: '* * * * * *' } });
    let g = await GatewayClass.start(config, pino({ level: 'silent' }));
    running.push(g);
    const first = await RawMqttClient.connect(g.ports.mqtt, { clientId: 'dev-r' });
    await first.publishAcked('telemetry/dev-r/x', '3', 11);
    await first.breakConnection();
    const clean = await RawMqttClient.connect(g.ports.mqtt, { clientId: 'dev-c' });
    await clean.publishAcked('telemetry/dev-c/x', '3', 1);
    await clean.disconnect();
    await new Promise((resolve) => setTimeout(resolve, 100));
    running.pop();
    await g.stop(); // drains: the windows close into the outbox and the log is compacted
    g = await GatewayClass.start(config, pino({ level: 'silent' }));
    running.push(g);
    const resend = await RawMqttClient.connect(g.ports.mqtt, { clientId: 'dev-r' });
    await resend.publishAcked('telemetry/dev-r/x', '3', 11);
    await resend.disconnect();
    const again = await RawMqttClient.connect(g.ports.mqtt, { clientId: 'dev-c' });
    await again.publishAcked('telemetry/dev-c/x', '3', 1);
    await again.disconnect();
    running.pop();
    await g.stop();
    const { states } = await readOutbox(config.dataDir);
    expect(states.get('dev-r/x')?.count).toBe(1);
    expect(states.get('dev-c/x')?.count).toBe(2);
  });

  it('a timestamped reading is (device, metric, ts): sent again with another packet id, after a firmware restart, it counts once', async () => {
    const g = await start();
    const ts = Date.now() - 2_000;
    const first = await RawMqttClient.connect(g.ports.mqtt, { clientId: 'fw' });
    await first.publishAcked('telemetry/fw/x', JSON.stringify({ ts, value: 1 }), 1);
    await first.publishAcked('telemetry/fw/x', JSON.stringify({ ts: ts + 1, value: 2 }), 2);
    await first.disconnect();
    // The firmware restarted: new packet ids, its stored readings sent again, one new.
    const again = await RawMqttClient.connect(g.ports.mqtt, { clientId: 'fw' });
    const batch = [1, 2, 3].map((value, i) => ({ ts: ts + i, values: { x: value } }));
    await again.publishAcked('telemetry/fw', JSON.stringify(batch), 1);
    await again.publishAcked('telemetry/fw', JSON.stringify({ ts: ts + 1, values: { x: 2 } }), 7);
    // Readings without ts have no identity of their own: two of them are two; nor have events.
    await again.publishAcked('telemetry/fw/y', '5', 8);
    await again.publishAcked('telemetry/fw/y', '5', 9);
    await again.publishAcked('events/fw', JSON.stringify({ ts, type: 'jam' }), 10);
    await again.publishAcked('events/fw', JSON.stringify({ ts, type: 'jam' }), 11);
    await again.disconnect();
    running.splice(running.indexOf(g), 1);
    await g.stop();
    const { states } = await readOutbox(g.config.dataDir);
    expect(states.get('fw/x')?.summary()).toMatchObject({ count: 3, sum: 6 });
    expect(states.get('fw/y')?.count).toBe(2);
    expect(states.get('fw/event.jam')?.count).toBe(2);
  });
});
