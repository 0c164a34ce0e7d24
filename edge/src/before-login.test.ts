import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import type { Gateway } from './gateway.js';
import { provision, readOutbox, startTestGateway } from './test-support.js';
import { RawMqttClient } from './testing/raw-mqtt-client.js';

const running: Gateway[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((g) => g.stop()));
});

async function start(extra: Record<string, unknown>) {
  const g = await startTestGateway(extra);
  running.push(g);
  return g;
}

const counterTotal = async (counter: { get(): Promise<{ values: { value: number; labels: Record<string, unknown> }[] }> }, labels = {}) =>
  (await counter.get()).values.filter((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l)).reduce((n, v) => n + v.value, 0);

/** Resolves when the server closes the socket (or after limitMs, with false). */
const closedWithin = (socket: ReturnType<typeof connect>, limitMs: number) =>
  new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), limitMs);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });

describe('before login, a client costs little', () => {
  it('closes a socket that declares a packet over the limit as soon as its length is read', async () => {
    const g = await start({ mqtt: { port: 0, allowAnonymous: true } });
    const socket = connect(g.ports.mqtt, '127.0.0.1');
    socket.on('error', () => {});
    // A CONNECT declaring 256 MiB (remaining length 0xFFFFFF7F), then a little of its body.
    socket.write(Buffer.from([0x10, 0xff, 0xff, 0xff, 0x7f]));
    socket.write(Buffer.alloc(1024));
    expect(await closedWithin(socket, 2_000)).toBe(true);
    expect(await counterTotal(g.metrics.packetsRefused, { when: 'before-connect' })).toBe(1);
  });

  it('closes a connection that sends no CONNECT within connectTimeoutMs', async () => {
    const g = await start({ mqtt: { port: 0, allowAnonymous: true }, limits: { connectTimeoutMs: 300 } });
    const socket = connect(g.ports.mqtt, '127.0.0.1');
    socket.on('error', () => {});
    expect(await closedWithin(socket, 2_000)).toBe(true);
  });

  it('closes connections past connectionsMax at once, counted', async () => {
    const g = await start({ mqtt: { port: 0, allowAnonymous: true }, limits: { connectionsMax: 3 } });
    const held = await Promise.all([1, 2, 3].map((n) => RawMqttClient.connect(g.ports.mqtt, { clientId: `held-${n}` })));
    await expect(RawMqttClient.connect(g.ports.mqtt, { clientId: 'one-too-many' })).rejects.toThrow(/CONNACK none/);
    expect(await counterTotal(g.metrics.connectionsRefused)).toBe(1);
    await Promise.all(held.map((c) => c.disconnect()));
  });

  it('refuses logins from an address past loginFailuresMax without checking the secret, until its window passes', async () => {
    const g = await start({ mqtt: { port: 0 }, limits: { loginFailuresMax: 3, loginFailureWindowMs: 1_000 } });
    const secrets = await provision(g.config.mqtt.credentialsFile as string, ['d1']);
    const login = (password: string) => RawMqttClient.connect(g.ports.mqtt, { clientId: 'd1', username: 'd1', password });
    for (let i = 0; i < 3; i++) await expect(login('guess')).rejects.toThrow('CONNACK 4');
    // The right secret too: the address is throttled, the secret is not looked at.
    await expect(login(secrets.get('d1') as string)).rejects.toThrow('CONNACK 5');
    expect(await counterTotal(g.metrics.authFailures, { reason: 'throttled' })).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const client = await login(secrets.get('d1') as string);
    await client.disconnect();
  });

  it("makes a credentialed device's client id its username: naming another's client id cannot push it off", async () => {
    const g = await start({ mqtt: { port: 0 } });
    const secrets = await provision(g.config.mqtt.credentialsFile as string, ['d1', 'd2']);
    const url = `mqtt://127.0.0.1:${g.ports.mqtt}`;
    const d2 = await mqtt.connectAsync(url, { clientId: 'd2', username: 'd2', password: secrets.get('d2'), reconnectPeriod: 0 });
    let d2Closed = false;
    d2.on('close', () => {
      d2Closed = true;
    });
    for (let i = 0; i < 3; i++) {
      const impostor = await mqtt.connectAsync(url, { clientId: 'd2', username: 'd1', password: secrets.get('d1'), reconnectPeriod: 0 });
      await impostor.publishAsync('telemetry/d1/x', String(i), { qos: 1 });
      await impostor.endAsync();
    }
    await d2.publishAsync('telemetry/d2/x', '7', { qos: 1 });
    expect(d2Closed).toBe(false);
    await d2.endAsync();
    running.pop();
    await g.stop();
    const { states } = await readOutbox(g.config.dataDir);
    expect([states.get('d1/x')?.count, states.get('d2/x')?.count]).toEqual([3, 1]);
  });

  it('serves TLS alone when the plaintext listener is switched off', async () => {
    const fixture = (name: string) => fileURLToPath(new URL(`../test-fixtures/${name}`, import.meta.url));
    const g = await start({
      mqtt: {
        port: 0,
        plaintext: false,
        allowAnonymous: true,
        tls: { port: 0, keyFile: fixture('localhost.key'), certFile: fixture('localhost.crt') },
      },
    });
    expect(g.ports.mqtt).toBe(0);
    expect(g.ports.tls).toBeGreaterThan(0);
  });
});
