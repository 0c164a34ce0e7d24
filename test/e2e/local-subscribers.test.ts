import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { gatewayCli, killedAfterEachTest, runCli, tempDir, writeYaml } from './processes.js';

const { start } = killedAfterEachTest();
const received = (client: mqtt.MqttClient) => {
  const messages: [string, string][] = [];
  client.on('message', (topic, payload) => messages.push([topic, payload.toString()]));
  return messages;
};
/** The SUBACK's codes per filter (MQTT.js rejects when any is a failure, 128; the packet still holds them all). */
async function granted(client: mqtt.MqttClient, filters: string[]): Promise<number[]> {
  try {
    return (await client.subscribeAsync(filters, { qos: 1 })).map((g) => g.qos);
  } catch (error) {
    const packet = (error as { packet?: { granted?: (number | { qos: number })[] } }).packet;
    if (!packet?.granted) throw error;
    return packet.granted.map((g) => (typeof g === 'number' ? g : g.qos));
  }
}

const until = async (what: string, ok: () => boolean) => {
  const deadline = Date.now() + 5_000;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};

describe('local subscribers', () => {
  it('a subscriber (MQTT.js) receives telemetry and alerts within its ACL, cannot publish; a device still cannot subscribe', async () => {
    const dir = tempDir('subscribers');
    const aclFile = join(dir, 'acl');
    writeFileSync(aclFile, 'topic read alerts/#\n\nuser historian\ntopic read telemetry/#\n');
    const config = writeYaml(dir, 'gateway.yaml', {
      gatewayId: 'gw-sub',
      dataDir: dir,
      mqtt: { port: 0, subscribers: { aclFile: 'acl' } },
      ops: { port: 0 },
      rules: [{ kind: 'threshold', name: 'cabinet-hot', metric: 'cabinetTemperature', above: 35, severity: 'critical' }],
    });
    const device = JSON.parse(await runCli(gatewayCli, ['devices', 'add', 'atm-1', '-c', config])) as { secret: string };
    const historian = JSON.parse(await runCli(gatewayCli, ['subscribers', 'add', 'historian', '-c', config])) as { secret: string };
    const nodeRed = JSON.parse(await runCli(gatewayCli, ['subscribers', 'add', 'node-red', '-c', config])) as { secret: string };
    expect((await runCli(gatewayCli, ['subscribers', 'list', '-c', config])).trim().split('\n')).toHaveLength(2);
    const gateway = await start(gatewayCli, ['-c', config], 'gateway ready');
    const url = `mqtt://127.0.0.1:${gateway.ports.mqtt}`;
    const connect = (id: string, secret: string) =>
      mqtt.connectAsync(url, { clientId: id, username: id, password: secret, reconnectPeriod: 0 });

    const h = await connect('historian', historian.secret);
    const hMessages = received(h);
    expect(await granted(h, ['telemetry/#', 'alerts/#', 'commands/#'])).toEqual([1, 1, 128]); // commands are nobody's to read
    const n = await connect('node-red', nodeRed.secret);
    const nMessages = received(n);
    expect(await granted(n, ['alerts/#', 'telemetry/#'])).toEqual([1, 128]);

    const atm = await connect('atm-1', device.secret);
    // A device reads only its own commands: not the alerts, not the others' telemetry.
    expect(await granted(atm, ['alerts/#', 'telemetry/#'])).toEqual([128, 128]);
    await atm.publishAsync('telemetry/atm-1', JSON.stringify({ cabinetTemperature: 41 }), { qos: 1 });
    await until('the telemetry and the alert', () => hMessages.length >= 2 && nMessages.length >= 1);
    expect(hMessages).toContainEqual(['telemetry/atm-1', '{"cabinetTemperature":41}']);
    const alert = JSON.parse((hMessages.find(([topic]) => topic === 'alerts/atm-1') as [string, string])[1]);
    expect(alert).toMatchObject({ rule: 'cabinet-hot', severity: 'critical', deviceId: 'atm-1', value: 41 });
    expect(nMessages.map(([topic]) => topic)).toEqual(['alerts/atm-1']);

    // Read-only: a subscriber's publish closes its connection and counts nothing.
    const closed = new Promise<void>((resolve) => n.once('close', () => resolve()));
    n.publish('telemetry/atm-1', JSON.stringify({ cabinetTemperature: 99 }), { qos: 1 });
    await closed;
    n.end(true);
    // What the historian saw is the oracle: the refused publish never reached it.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(hMessages.filter(([topic]) => topic === 'telemetry/atm-1').map(([, payload]) => payload)).toEqual(['{"cabinetTemperature":41}']);
    const metrics = await (await fetch(`http://127.0.0.1:${gateway.ports.ops}/metrics`)).text();
    expect(metrics).toContain('fogline_gateway_readings_total 1');
    await Promise.all([h.endAsync(), atm.endAsync()]);
  });
});
