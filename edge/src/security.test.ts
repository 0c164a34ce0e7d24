import mqtt from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Gateway } from './gateway.js';
import { provision, readOutbox, startTestGateway } from './test-support.js';

let gateway: Gateway;
let secrets: Map<string, string>;
const url = () => `mqtt://127.0.0.1:${gateway.ports.mqtt}`;
const connect = (options: mqtt.IClientOptions) => mqtt.connectAsync(url(), { reconnectPeriod: 0, connectTimeout: 5000, ...options });

beforeEach(async () => {
  gateway = await startTestGateway();
  // Written by another instance, as `fogline-gateway devices add` does while the gateway runs.
  secrets = await provision(gateway.config.mqtt.credentialsFile as string, ['atm-1', 'atm-2']);
});

afterEach(async () => {
  await gateway.stop();
});

async function metric(name: string): Promise<string> {
  const text = await (await fetch(`http://127.0.0.1:${gateway.ports.ops}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith(name))
    .join('\n');
}

describe('gateway security', () => {
  it('refuses a client without credentials (CONNACK 5, not authorized)', async () => {
    await expect(connect({ clientId: 'anon' })).rejects.toMatchObject({ code: 5 });
    expect(await metric('fogline_gateway_auth_failures_total')).toContain('reason="no-credentials"} 1');
  });

  it('refuses a wrong secret and an unknown device (CONNACK 4, bad username or password)', async () => {
    await expect(connect({ clientId: 'atm-1', username: 'atm-1', password: 'not-the-secret' })).rejects.toMatchObject({ code: 4 });
    await expect(connect({ clientId: 'x', username: 'atm-9', password: secrets.get('atm-1') })).rejects.toMatchObject({ code: 4 });
    await expect(connect({ clientId: 'atm-2', username: 'atm-2', password: secrets.get('atm-1') })).rejects.toMatchObject({ code: 4 });
    expect(await metric('fogline_gateway_auth_failures_total')).toContain('reason="bad-credentials"} 3');
  });

  it('accepts the right secret, and refuses it once the device is removed', async () => {
    const client = await connect({ clientId: 'atm-1', username: 'atm-1', password: secrets.get('atm-1') });
    await client.endAsync();
    gateway.credentials.remove('atm-1');
    await expect(connect({ clientId: 'atm-1', username: 'atm-1', password: secrets.get('atm-1') })).rejects.toMatchObject({ code: 4 });
  });

  it("closes the connection of a device publishing under another device's id, and counts nothing", async () => {
    const client = await connect({ clientId: 'atm-1', username: 'atm-1', password: secrets.get('atm-1') });
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    client.publish('telemetry/atm-2', JSON.stringify({ ts: Date.now() - 1000, temperature: 99 }), { qos: 1 });
    await closed;
    client.end(true);
    expect(await metric('fogline_gateway_acl_denied_total')).toContain('action="publish"} 1');
    await gateway.stop();
    expect((await readOutbox(gateway.config.dataDir)).states.size).toBe(0);
  });

  it('refuses a device publishing to commands, even its own', async () => {
    const client = await connect({ clientId: 'atm-1', username: 'atm-1', password: secrets.get('atm-1') });
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    client.publish('commands/atm-1', 'reboot', { qos: 1 });
    await closed;
    client.end(true);
    expect(await metric('fogline_gateway_acl_denied_total')).toContain('action="publish"} 1');
  });

  it('grants a subscription to the own commands topic only; others get the SUBACK failure code', async () => {
    const client = await connect({ clientId: 'atm-1', username: 'atm-1', password: secrets.get('atm-1') });
    const [own] = await client.subscribeAsync('commands/atm-1', { qos: 1 });
    expect(own.qos).toBe(1);
    for (const topic of ['commands/atm-2', 'telemetry/#', '#']) {
      await expect(client.subscribeAsync(topic, { qos: 1 })).rejects.toMatchObject({ packet: { granted: [128] } });
    }
    expect(client.connected).toBe(true);
    await client.endAsync();
    expect(await metric('fogline_gateway_acl_denied_total')).toContain('action="subscribe"} 3');
  });

  it('lets anonymous devices in only when the config says so', async () => {
    const open = await startTestGateway({ mqtt: { port: 0, allowAnonymous: true } });
    try {
      const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${open.ports.mqtt}`, { clientId: 'sensor-7', reconnectPeriod: 0 });
      await client.publishAsync('telemetry/sensor-7', JSON.stringify({ t: 1 }), { qos: 1 });
      await client.endAsync();
    } finally {
      await open.stop();
    }
    expect((await readOutbox(open.config.dataDir)).states.get('sensor-7/t')?.count).toBe(1);
  });

  it('never writes a secret to the credentials file', async () => {
    const { readFileSync } = await import('node:fs');
    const file = readFileSync(gateway.config.mqtt.credentialsFile as string, 'utf8');
    for (const secret of secrets.values()) expect(file).not.toContain(secret);
  });
});
