import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { cloudAndGatewayConfig, gatewayCli, killedAfterEachTest, runCli, stopProcess } from './processes.js';

const { start } = killedAfterEachTest();
const recorded = (name: string) => readFileSync(new URL(`../../edge/test-fixtures/payloads/${name}`, import.meta.url));

describe('devices as they ship, through payload mappings', () => {
  it('a Tasmota plug (mosquitto_pub) and a Zigbee2MQTT bridge reach the cloud as readings; a device cannot speak for the bridge', async () => {
    const { cloud, gatewayConfig } = await cloudAndGatewayConfig(start, 'gw-mapped', {
      gateway: () => ({
        windows: { sizeMs: 1000, allowedLatenessMs: 0, idleCloseMs: 1000 },
        mappings: [{ preset: 'tasmota-sensor' }, { preset: 'zigbee2mqtt', clients: ['z2m-bridge'] }],
      }),
    });
    const plug = JSON.parse(await runCli(gatewayCli, ['devices', 'add', 'plug-7', '-c', gatewayConfig])) as { secret: string };
    const bridge = JSON.parse(await runCli(gatewayCli, ['devices', 'add', 'z2m-bridge', '-c', gatewayConfig])) as { secret: string };
    const gateway = await start(gatewayCli, ['-c', gatewayConfig], 'gateway ready');

    // Tasmota's own topic and payload, sent by a third-party client.
    await promisify(execFile)('mosquitto_pub', [
      ...['-h', '127.0.0.1', '-p', String(gateway.ports.mqtt), '-q', '1', '-u', 'plug-7', '-P', plug.secret],
      ...['-t', 'tele/plug-7/SENSOR', '-m', recorded('tasmota-sensor-energy.json').toString()],
    ]);
    // The bridge publishes for two Zigbee devices, as Zigbee2MQTT does (without last_seen: arrival time).
    const z2m = await mqtt.connectAsync(`mqtt://127.0.0.1:${gateway.ports.mqtt}`, {
      clientId: 'z2m-bridge',
      username: 'z2m-bridge',
      password: bridge.secret,
      reconnectPeriod: 0,
    });
    const weather = { ...JSON.parse(recorded('zigbee2mqtt-aqara-weather.json').toString()), last_seen: undefined };
    await z2m.publishAsync('zigbee2mqtt/0x00158d0001a2b3c4', JSON.stringify(weather), { qos: 1 });
    await z2m.publishAsync('zigbee2mqtt/hall_motion', recorded('zigbee2mqtt-motion.json'), { qos: 1 });
    await z2m.endAsync();
    // The plug cannot publish as a Zigbee device: refused, its connection closed.
    const rogue = await mqtt.connectAsync(`mqtt://127.0.0.1:${gateway.ports.mqtt}`, {
      clientId: 'plug-7',
      username: 'plug-7',
      password: plug.secret,
      reconnectPeriod: 0,
    });
    const closed = new Promise<void>((resolve) => rogue.once('close', () => resolve()));
    rogue.publish('zigbee2mqtt/hall_motion', '{"occupancy": false}', { qos: 1 });
    await closed;
    rogue.end(true);

    expect(await stopProcess(gateway)).toBe(0); // drains every window into the outbox, forwards it
    const api = async <T>(path: string) => (await (await fetch(`http://127.0.0.1:${cloud.ports.http}/api/v1/${path}`)).json()) as T;
    const deadline = Date.now() + 10_000;
    let fleet: { groups: Record<string, { count: number; sum: number }> } = { groups: {} };
    while (Date.now() < deadline) {
      fleet = await api('fleet?metric=ENERGY.Power&groupBy=device');
      if (fleet.groups['plug-7']) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(fleet.groups['plug-7']).toMatchObject({ count: 1, sum: 45 });
    const temperature = await api<{ groups: Record<string, { count: number; sum: number }> }>('fleet?metric=temperature&groupBy=device');
    expect(temperature.groups['0x00158d0001a2b3c4']).toMatchObject({ count: 1, sum: 21.8 });
    const occupancy = await api<{ groups: Record<string, { count: number; sum: number }> }>('fleet?metric=occupancy&groupBy=device');
    expect(occupancy.groups).toEqual({ hall_motion: expect.objectContaining({ count: 1, sum: 1 }) }); // the rogue false never counted
    const { metrics } = await api<{ metrics: string[] }>('metric-names');
    expect(metrics).toEqual(expect.arrayContaining(['ENERGY.Voltage', 'humidity', 'pressure', 'illuminance_lux']));
  });
});
