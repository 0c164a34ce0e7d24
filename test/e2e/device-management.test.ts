import { spawn } from 'node:child_process';
import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import {
  cloudAndGatewayConfig,
  cloudCli,
  connackCode,
  gatewayCli,
  killedAfterEachTest,
  runCli,
  runCliWithInput,
  tempDir,
  writeYaml,
} from './processes.js';

const { start } = killedAfterEachTest();
const jsonLines = (text: string) =>
  text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
const waitFor = async (what: string, ok: () => boolean | Promise<boolean>, limitMs = 10_000) => {
  const deadline = Date.now() + limitMs;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};

describe('device management on the gateway', () => {
  it('imports a secret from stdin, rotates it, relabels, and lists who is connected with the last-seen time', async () => {
    const dir = tempDir('devmgmt');
    const config = writeYaml(dir, 'gateway.yaml', { gatewayId: 'gw-dm', dataDir: dir, mqtt: { port: 0 }, ops: { port: 0 } });
    const imported = 'an-existing-secret-of-the-device-0001';
    const added = JSON.parse(
      await runCliWithInput(
        gatewayCli,
        ['devices', 'add', 'atm-1', '--label', 'site=lobby', '--secret-stdin', '-c', config],
        `${imported}\n`,
      ),
    );
    expect(added).toEqual({ deviceId: 'atm-1', labels: { site: 'lobby' } }); // an imported secret is never printed back
    await expect(runCliWithInput(gatewayCli, ['devices', 'add', 'atm-2', '--secret-stdin', '-c', config], 'short')).rejects.toThrow(
      /secret was 5 characters, expected at least 16/,
    );

    const gateway = await start(gatewayCli, ['-c', config], 'gateway ready');
    const url = `mqtt://127.0.0.1:${gateway.ports.mqtt}`;
    const opsUrl = `http://127.0.0.1:${gateway.ports.ops}`;
    const atm = await mqtt.connectAsync(url, { clientId: 'atm-1', username: 'atm-1', password: imported, reconnectPeriod: 0 });
    await atm.publishAsync('telemetry/atm-1', JSON.stringify({ temp: 21 }), { qos: 1 });

    const connected = jsonLines(await runCli(gatewayCli, ['devices', 'list', '--connected', '--url', opsUrl, '-c', config]));
    expect(connected.map((d) => d.deviceId)).toEqual(['atm-1']);
    expect(connected[0]).toMatchObject({ connected: true, labels: { site: 'lobby' } });
    expect(Date.now() - Date.parse(connected[0].lastSeen as string)).toBeLessThan(30_000);

    const relabelled = JSON.parse(
      await runCli(gatewayCli, ['devices', 'label', 'atm-1', 'model=NCR-6622', '--remove', 'site', '-c', config]),
    );
    expect(relabelled.labels).toEqual({ model: 'NCR-6622' });
    expect(jsonLines(await runCli(gatewayCli, ['devices', 'list', '-c', config]))[0].labels).toEqual({ model: 'NCR-6622' });
    // A new label leaves the secret alone: the device stays connected.
    await atm.publishAsync('telemetry/atm-1', JSON.stringify({ temp: 22 }), { qos: 1 });

    const closed = new Promise<void>((resolve) => atm.once('close', () => resolve()));
    const rotated = JSON.parse(await runCli(gatewayCli, ['devices', 'rotate', 'atm-1', '-c', config])) as { secret: string };
    expect(rotated.secret).toMatch(/^[A-Za-z0-9_-]{32}$/);
    await closed; // the old secret's connection is closed at once
    expect(await connackCode(url, { clientId: 'atm-1', username: 'atm-1', password: imported })).toBe(4);
    expect(await connackCode(url, { clientId: 'atm-1', username: 'atm-1', password: rotated.secret })).toBe(0);
    await waitFor('the device to show as gone', async () => {
      const now = jsonLines(await runCli(gatewayCli, ['devices', 'list', '--connected', '--url', opsUrl, '-c', config]));
      return now.length === 0;
    });
    await expect(runCli(gatewayCli, ['devices', 'rotate', 'atm-9', '-c', config])).rejects.toThrow(/no atm-9; add it first/);
  });

  it('shows dead letters and late readings, follows them with --tail, and warns in the log at a limited rate', async () => {
    const dir = tempDir('deadletters');
    const config = writeYaml(dir, 'gateway.yaml', {
      gatewayId: 'gw-dl',
      dataDir: dir,
      mqtt: { port: 0, allowAnonymous: true },
      ops: { port: 0 },
      windows: { sizeMs: 1000, allowedLatenessMs: 0 },
    });
    const gateway = await start(gatewayCli, ['-c', config], 'gateway ready');
    const opsUrl = `http://127.0.0.1:${gateway.ports.ops}`;
    const device = await mqtt.connectAsync(`mqtt://127.0.0.1:${gateway.ports.mqtt}`, { clientId: 'atm-7', reconnectPeriod: 0 });
    for (let i = 0; i < 5; i++) await device.publishAsync('telemetry/atm-7', `not json ${i}`, { qos: 1 });

    const letters = jsonLines(await runCli(gatewayCli, ['dead-letters', '-n', '3', '--url', opsUrl, '-c', config]));
    expect(letters).toHaveLength(3);
    expect(letters.map((l) => Buffer.from(l.payloadHead as string, 'base64').toString())).toEqual([
      'not json 2',
      'not json 3',
      'not json 4',
    ]);
    expect(letters[0]).toMatchObject({ deviceId: 'atm-7', topic: 'telemetry/atm-7', qos: 1 });
    expect(letters[0].reason).toMatch(/JSON/i);
    // Five dead letters within a second: one warning line, not five.
    expect(gateway.output().match(/publish dead-lettered/g)).toHaveLength(1);

    const tail = spawn(process.execPath, [gatewayCli, 'dead-letters', '--tail', '-n', '1', '--url', opsUrl, '-c', config]);
    let tailed = '';
    tail.stdout.on('data', (chunk) => {
      tailed += chunk;
    });
    try {
      await waitFor('the newest dead letter', () => tailed.includes('"id":4'));
      await device.publishAsync('telemetry/atm-7', 'still not json', { qos: 1 });
      await waitFor('the new dead letter to be followed', () => jsonLines(tailed).length === 2);
      expect(Buffer.from(jsonLines(tailed)[1].payloadHead as string, 'base64').toString()).toBe('still not json');
    } finally {
      tail.kill();
    }

    // A reading for a window that has closed is late: kept, and shown by `late`.
    const nowMs = Date.now();
    await device.publishAsync('telemetry/atm-7', JSON.stringify({ ts: nowMs, temp: 20 }), { qos: 1 });
    await device.publishAsync('telemetry/atm-7', JSON.stringify({ ts: nowMs + 5_000, temp: 20 }), { qos: 1 });
    await waitFor('the first window to close', async () => {
      const health = (await (await fetch(`${opsUrl}/healthz`)).json()) as { watermarkHighMs: number | null };
      return (health.watermarkHighMs ?? 0) >= nowMs + 5_000;
    });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await device.publishAsync('telemetry/atm-7', JSON.stringify({ ts: nowMs - 60_000, temp: 99 }), { qos: 1 });
    await waitFor('the late reading', async () => {
      const late = jsonLines(await runCli(gatewayCli, ['late', '--url', opsUrl, '-c', config]));
      return late.some((reading) => reading.value === 99 && reading.deviceId === 'atm-7');
    });
    await device.endAsync();
  });
});

describe('gateway management on the cloud', () => {
  it('imports, rotates and relabels a gateway secret, and lists the connected gateways', async () => {
    const { cloud, gatewayConfig } = await cloudAndGatewayConfig(start, 'gw-cm');
    const cloudConfig = cloud.child.spawnargs[cloud.child.spawnargs.indexOf('-c') + 1];
    const apiUrl = `http://127.0.0.1:${cloud.ports.http}`;
    const gateway = await start(gatewayCli, ['-c', gatewayConfig], 'gateway ready');
    await waitFor('the uplink', () => gateway.output().includes('uplink connected'));
    await waitFor('the gateway to be listed as connected', async () => {
      const listed = jsonLines(await runCli(cloudCli, ['gateways', 'list', '--connected', '--url', apiUrl, '-c', cloudConfig]));
      return listed.some((g) => g.gatewayId === 'gw-cm' && g.connected === true && typeof g.lastSeen === 'string');
    });

    const secret = 'imported-gateway-secret-0000000001';
    expect(JSON.parse(await runCliWithInput(cloudCli, ['gateways', 'add', 'gw-2', '--secret-stdin', '-c', cloudConfig], secret))).toEqual({
      gatewayId: 'gw-2',
      labels: {},
    });
    expect(await connackCode(`mqtt://127.0.0.1:${cloud.ports.broker}`, { clientId: 'gw-2', username: 'gw-2', password: secret })).toBe(0);
    const labelled = JSON.parse(await runCli(cloudCli, ['gateways', 'label', 'gw-2', 'site=plant-3', '-c', cloudConfig]));
    expect(labelled.labels).toEqual({ site: 'plant-3' });
    const rotated = JSON.parse(
      await runCliWithInput(cloudCli, ['gateways', 'rotate', 'gw-2', '--secret-stdin', '-c', cloudConfig], `${secret}-next`),
    );
    expect(rotated).toEqual({ gatewayId: 'gw-2' });
    expect(await connackCode(`mqtt://127.0.0.1:${cloud.ports.broker}`, { clientId: 'gw-2', username: 'gw-2', password: secret })).toBe(4);
    expect(
      await connackCode(`mqtt://127.0.0.1:${cloud.ports.broker}`, { clientId: 'gw-2', username: 'gw-2', password: `${secret}-next` }),
    ).toBe(0);
    const all = jsonLines(await runCli(cloudCli, ['gateways', 'list', '-c', cloudConfig]));
    expect(all.map((g) => g.gatewayId)).toEqual(['gw-2', 'gw-cm']);

    // What the intake cannot read is a dead letter, shown by the CLI with its reason.
    const rogue = await mqtt.connectAsync(`mqtt://127.0.0.1:${cloud.ports.broker}`, {
      clientId: 'gw-2',
      username: 'gw-2',
      password: `${secret}-next`,
      reconnectPeriod: 0,
    });
    await rogue.publishAsync('fogline/v1/gw-2/partitions/0', Buffer.from('not an envelope'), { qos: 1 });
    await rogue.publishAsync('fogline/v1/gw-2/alerts', Buffer.from('{not json'), { qos: 1 });
    await rogue.endAsync();
    await waitFor('the dead letters', async () => {
      const letters = jsonLines(await runCli(cloudCli, ['dead-letters', '--url', apiUrl, '-c', cloudConfig]));
      const deadAlert = letters.find((l) => l.kind === 'dead-letter' && l.topic === 'fogline/v1/gw-2/alerts');
      return letters.some((l) => l.topic === 'fogline/v1/gw-2/partitions/0') && /JSON/.test(String(deadAlert?.reason));
    });

    // --tail -n 1: the newest one, then only what arrives after, never the older ones.
    const tail = spawn(process.execPath, [cloudCli, 'dead-letters', '--tail', '-n', '1', '--url', apiUrl, '-c', cloudConfig]);
    let tailed = '';
    tail.stdout.on('data', (chunk) => {
      tailed += chunk;
    });
    try {
      await waitFor('the newest dead letter', () => jsonLines(tailed).length === 1);
      const again = await mqtt.connectAsync(`mqtt://127.0.0.1:${cloud.ports.broker}`, {
        clientId: 'gw-2',
        username: 'gw-2',
        password: `${secret}-next`,
        reconnectPeriod: 0,
      });
      await again.publishAsync('fogline/v1/gw-2/alerts', Buffer.from('{still not json'), { qos: 1 });
      await again.endAsync();
      await waitFor('the new dead letter', () => jsonLines(tailed).length === 2);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(jsonLines(tailed)).toHaveLength(2);
      expect(String(jsonLines(tailed)[1].reason)).toMatch(/JSON/);
    } finally {
      tail.kill();
    }
  });
});
