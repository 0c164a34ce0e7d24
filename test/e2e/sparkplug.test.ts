import { createRequire } from 'node:module';
import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { cloudAndGatewayConfig, gatewayCli, killedAfterEachTest, runCli, stopProcess } from './processes.js';

const { start } = killedAfterEachTest();
// Eclipse Tahu's encoder: the edge node's payloads are built independently of the gateway's decoder.
const tahu = (createRequire(import.meta.url)('sparkplug-payload') as { get(ns: string): Tahu }).get('spBv1.0');
interface Tahu {
  encodePayload(payload: object): Uint8Array;
  decodePayload(bytes: Uint8Array): { metrics: { name: string; value: unknown }[] };
}

describe('a Sparkplug B edge node', () => {
  it('reaches the cloud figures through the gateway; a seq gap brings an NCMD rebirth; its death marks it offline', async () => {
    const { cloud, gatewayConfig } = await cloudAndGatewayConfig(start, 'gw-spb', {
      gateway: () => ({ windows: { sizeMs: 1000, allowedLatenessMs: 0, idleCloseMs: 1000 } }),
    });
    const { secret } = JSON.parse(await runCli(gatewayCli, ['devices', 'add', 'press-line-1', '-c', gatewayConfig])) as { secret: string };
    const gateway = await start(gatewayCli, ['-c', gatewayConfig], 'gateway ready');
    const topic = (type: string, device?: string) => `spBv1.0/plant-a/${type}/press-line-1${device ? `/${device}` : ''}`;
    const node = await mqtt.connectAsync(`mqtt://127.0.0.1:${gateway.ports.mqtt}`, {
      clientId: 'press-line-1',
      username: 'press-line-1',
      password: secret,
      reconnectPeriod: 0,
      // The spec's NDEATH: the will, sent by the broker when the node drops.
      will: {
        topic: topic('NDEATH'),
        payload: Buffer.from(tahu.encodePayload({ timestamp: Date.now(), metrics: [{ name: 'bdSeq', type: 'UInt64', value: 0 }] })),
        qos: 1,
        retain: false,
      },
    });
    const commands: { name: string; value: unknown }[][] = [];
    node.on('message', (_, payload) => commands.push(tahu.decodePayload(payload).metrics));
    await node.subscribeAsync(topic('NCMD'), { qos: 0 });
    const send = (type: string, payload: object, device?: string) =>
      node.publishAsync(topic(type, device), Buffer.from(tahu.encodePayload({ timestamp: Date.now(), ...payload })), { qos: 1 });
    await send('NBIRTH', {
      seq: 0,
      metrics: [
        { name: 'bdSeq', type: 'UInt64', value: 0 },
        { name: 'Supply/Voltage', alias: 1, type: 'Float', value: 24 },
      ],
    });
    await send('DBIRTH', { seq: 1, metrics: [{ name: 'Inputs/Temperature', alias: 10, type: 'Double', value: 60 }] }, 'press-3');
    await send('DDATA', { seq: 2, metrics: [{ alias: 10, type: 'Double', value: 62 }] }, 'press-3');
    await send('DDATA', { seq: 5, metrics: [{ alias: 10, type: 'Double', value: 64 }] }, 'press-3'); // 3 and 4 lost
    const deadline = Date.now() + 5_000;
    while (commands.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(commands).toEqual([[{ name: 'Node Control/Rebirth', value: true, type: 'Boolean', timestamp: expect.anything() }]]);

    // The node drops without DISCONNECT: the broker sends its NDEATH.
    node.stream.destroy();
    const opsUrl = `http://127.0.0.1:${gateway.ports.ops}/sparkplug`;
    let nodes: { node: string; online: boolean; seqGaps: number; devices: { device: string; online: boolean }[] }[] = [];
    while (Date.now() < deadline + 5_000) {
      ({ nodes } = (await (await fetch(opsUrl)).json()) as { nodes: typeof nodes });
      if (nodes[0]?.online === false) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(nodes).toEqual([
      { group: 'plant-a', node: 'press-line-1', online: false, seqGaps: 1, devices: [{ device: 'press-3', online: false }] },
    ]);
    const metrics = await (await fetch(`http://127.0.0.1:${gateway.ports.ops}/metrics`)).text();
    expect(metrics).toContain('fogline_gateway_sparkplug_seq_gaps_total 1');

    expect(await stopProcess(gateway)).toBe(0);
    const api = async <T>(path: string) => (await (await fetch(`http://127.0.0.1:${cloud.ports.http}/api/v1/${path}`)).json()) as T;
    let fleet: { groups: Record<string, { count: number; sum: number; max: number }> } = { groups: {} };
    const arrived = Date.now() + 10_000;
    while (Date.now() < arrived) {
      fleet = await api('fleet?metric=Inputs.Temperature&groupBy=device');
      if (fleet.groups['press-line-1:press-3']?.count === 3) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(fleet.groups['press-line-1:press-3']).toMatchObject({ count: 3, sum: 186, max: 64 });
    const voltage = await api<{ groups: Record<string, { count: number; sum: number }> }>('fleet?metric=Supply.Voltage&groupBy=device');
    expect(voltage.groups['press-line-1']).toMatchObject({ count: 1, sum: 24 });
    // The dashboard's metric list (the page reads the same route).
    const { metrics: names } = await api<{ metrics: string[] }>('metric-names');
    expect(names).toEqual(expect.arrayContaining(['Inputs.Temperature', 'Supply.Voltage']));
  });
});
