import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { cloudAndGatewayConfig, gatewayCli, killedAfterEachTest, runCli } from './processes.js';

const { start } = killedAfterEachTest();

interface Command {
  id: string;
  status: string;
  detail: string | null;
}

describe('commands down to devices', () => {
  it('reach a connected device and are acknowledged; wait for an offline one; expire when it stays away', async () => {
    const { cloud, gatewayConfig } = await cloudAndGatewayConfig(start, 'gw-cmd');
    const secrets: Record<string, string> = {};
    for (const id of ['atm-1', 'atm-2', 'atm-3'])
      secrets[id] = (JSON.parse(await runCli(gatewayCli, ['devices', 'add', id, '-c', gatewayConfig])) as { secret: string }).secret;
    const gateway = await start(gatewayCli, ['-c', gatewayConfig], 'gateway ready');
    const api = `http://127.0.0.1:${cloud.ports.http}/api/v1`;
    const send = async (deviceId: string, body: object) => {
      const response = await fetch(`${api}/devices/${deviceId}/commands`, { method: 'POST', body: JSON.stringify(body) });
      return { status: response.status, command: (await response.json()) as Command };
    };
    const statusOf = async (id: string) => ((await (await fetch(`${api}/commands/${id}`)).json()) as Command).status;
    const until = async (id: string, status: string) => {
      const deadline = Date.now() + 10_000;
      while ((await statusOf(id)) !== status) {
        if (Date.now() > deadline) throw new Error(`command ${id} is ${await statusOf(id)}, not ${status}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    // The cloud knows the devices from the gateway's registry record.
    const known = Date.now() + 10_000;
    while ((await fetch(`${api}/devices/atm-1`)).status !== 200 && Date.now() < known) await new Promise((r) => setTimeout(r, 100));

    /** A device as firmware would be: it obeys a command once per id, and answers on commands/{id}/ack. */
    const device = async (id: string) => {
      const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${gateway.ports.mqtt}`, {
        clientId: id,
        username: id,
        password: secrets[id],
        reconnectPeriod: 0,
      });
      const obeyed: string[] = [];
      client.on('message', (_, payload) => {
        const command = JSON.parse(payload.toString()) as { id: string; name: string };
        if (obeyed.includes(command.id)) return;
        obeyed.push(command.name);
        client.publish(`commands/${id}/ack`, JSON.stringify({ id: command.id, status: 'ok' }), { qos: 1 });
      });
      await client.subscribeAsync(`commands/${id}`, { qos: 1 });
      return { client, obeyed };
    };

    // Connected: sent, delivered, acknowledged.
    const atm1 = await device('atm-1');
    const reboot = await send('atm-1', { name: 'reboot', args: { reason: 'test' } });
    expect(reboot).toMatchObject({ status: 202, command: { status: 'queued' } });
    await until(reboot.command.id, 'acknowledged');
    expect(atm1.obeyed).toEqual(['reboot']);

    // Offline: queued on the gateway until the device connects and subscribes.
    const service = await send('atm-2', { name: 'service', expiresInMs: 60_000 });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await statusOf(service.command.id)).toBe('queued');
    const atm2 = await device('atm-2');
    await until(service.command.id, 'acknowledged');
    expect(atm2.obeyed).toEqual(['service']);

    // Offline past its expiry: expired, never delivered.
    const late = await send('atm-3', { name: 'service', expiresInMs: 1_500 });
    await until(late.command.id, 'expired');
    const atm3 = await device('atm-3');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(atm3.obeyed).toEqual([]);

    // The device's history, newest first; an unknown device is named.
    const history = (await (await fetch(`${api}/devices/atm-2/commands`)).json()) as { commands: Command[] };
    expect(history.commands.map((c) => c.status)).toEqual(['acknowledged']);
    expect((await send('atm-9', { name: 'service' })).status).toBe(404);
    expect((await send('atm-1', { name: 'bad name!' })).status).toBe(400);
    await Promise.all([atm1.client.endAsync(), atm2.client.endAsync(), atm3.client.endAsync()]);
  });
});
