import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { cloudAndGatewayConfig, cloudCli, connackCode, gatewayCli, killedAfterEachTest, runCli, tempDir, writeYaml } from './processes.js';

const { start } = killedAfterEachTest();

/** Resolves true once the client's connection closes, or false after limitMs. */
const closesWithin = (client: mqtt.MqttClient, limitMs: number) =>
  new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), limitMs);
    client.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });

describe('credentials act at once', () => {
  it('a device removed with the CLI while the gateway runs is disconnected and refused; SIGHUP does not stop the gateway', async () => {
    const dir = tempDir('revoke');
    const config = writeYaml(dir, 'gateway.yaml', { gatewayId: 'gw-revoke', dataDir: dir, mqtt: { port: 0 }, ops: { port: 0 } });
    const { secret } = JSON.parse(await runCli(gatewayCli, ['devices', 'add', 'atm-1', '-c', config])) as { secret: string };
    const { secret: other } = JSON.parse(await runCli(gatewayCli, ['devices', 'add', 'atm-2', '-c', config])) as { secret: string };
    const gateway = await start(gatewayCli, ['-c', config], 'gateway ready');
    const url = `mqtt://127.0.0.1:${gateway.ports.mqtt}`;
    const atm1 = await mqtt.connectAsync(url, { clientId: 'atm-1', username: 'atm-1', password: secret, reconnectPeriod: 0 });
    const atm2 = await mqtt.connectAsync(url, { clientId: 'atm-2', username: 'atm-2', password: other, reconnectPeriod: 0 });
    const atm1Closed = closesWithin(atm1, 5_000);
    await runCli(gatewayCli, ['devices', 'remove', 'atm-1', '-c', config]);
    expect(await atm1Closed).toBe(true);
    expect(await connackCode(url, { clientId: 'atm-1', username: 'atm-1', password: secret })).toBe(4);
    gateway.child.kill('SIGHUP');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(gateway.child.exitCode).toBeNull();
    await atm2.publishAsync('telemetry/atm-2/t', '1', { qos: 1 }); // the others are untouched
    expect(atm2.connected).toBe(true);
    await atm2.endAsync();
  });

  it('a gateway removed on the cloud while connected is disconnected and refused', async () => {
    const { cloud, gatewayConfig, gatewaySecret } = await cloudAndGatewayConfig(start, 'gw-gone');
    const gateway = await start(gatewayCli, ['-c', gatewayConfig], 'gateway ready');
    const deadline = Date.now() + 10_000;
    while (!gateway.output().includes('uplink connected') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const cloudConfig = cloud.child.spawnargs[cloud.child.spawnargs.indexOf('-c') + 1];
    await runCli(cloudCli, ['gateways', 'remove', 'gw-gone', '-c', cloudConfig]);
    const closedBy = Date.now() + 5_000;
    while (!gateway.output().includes('uplink error') && Date.now() < closedBy) await new Promise((r) => setTimeout(r, 100));
    expect(gateway.output()).toMatch(/uplink error/);
    const url = `mqtt://127.0.0.1:${cloud.ports.broker}`;
    expect(await connackCode(url, { clientId: 'probe', username: 'gw-gone', password: gatewaySecret })).toBe(4);
  });
});
