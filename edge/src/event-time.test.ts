import mqtt from 'mqtt';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { Gateway } from './gateway.js';
import { GatewayStore } from './store/gateway-store.js';
import { readOutbox, testConfig } from './test-support.js';

const running: Gateway[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((g) => g.stop()));
});

const publish = (client: mqtt.MqttClient, device: string, ts: number, value: number) =>
  client.publishAsync(`telemetry/${device}/x`, JSON.stringify({ ts, value }), { qos: 1 });

describe('event time per device', () => {
  it("a device stamped minutes ahead cannot make another device's readings late", async () => {
    const config = testConfig({ mqtt: { port: 0, allowAnonymous: true }, windows: { sizeMs: 60_000, allowedLatenessMs: 5_000 } });
    const g = await Gateway.start(config, pino({ level: 'silent' }));
    running.push(g);
    const url = `mqtt://127.0.0.1:${g.ports.mqtt}`;
    const [ahead, honest] = await Promise.all(
      ['ahead', 'honest'].map((clientId) => mqtt.connectAsync(url, { clientId, reconnectPeriod: 0 })),
    );
    const now = Date.now();
    const start = now - (now % 60_000) + 60_000 - 30_000; // mid-window: its end is 30 s away
    await publish(honest, 'honest', start, 1);
    await publish(ahead, 'ahead', now + 4 * 60_000, 1); // within futureSkewMsMax
    await new Promise((resolve) => setTimeout(resolve, 1_500)); // a window check runs
    for (let i = 1; i <= 5; i++) await publish(honest, 'honest', start + i * 1000, 1);
    await Promise.all([ahead.endAsync(), honest.endAsync()]);
    running.pop();
    await g.stop();
    const { states } = await readOutbox(config.dataDir);
    expect(states.get('honest/x')?.count).toBe(6);
    expect(states.get('ahead/x')?.count).toBe(1);
  });

  it('watermarks checkpointed while the gateway clock ran a day ahead do not make later readings late', async () => {
    const config = testConfig({ mqtt: { port: 0, allowAnonymous: true } });
    const store = await GatewayStore.open(config.dataDir);
    const dayAhead = Date.now() + 86_400_000;
    // What the stores of earlier versions held (one watermark for the gateway), and what this
    // one holds for a device whose readings the wrong clock stamped on arrival.
    await store.write([
      store.checkpointOperation({ replayFromOffset: 0, nextOffset: 0, nextSeq: 0, watermarkMs: dayAhead }),
      ...store.watermarkOperations([['plain', { watermarkMs: dayAhead, gatewayClock: true, closedEarly: [] }]]),
    ]);
    await store.close();
    const g = await Gateway.start(config, pino({ level: 'silent' }));
    running.push(g);
    const url = `mqtt://127.0.0.1:${g.ports.mqtt}`;
    const plain = await mqtt.connectAsync(url, { clientId: 'plain', reconnectPeriod: 0 });
    for (let i = 0; i < 3; i++) await plain.publishAsync('telemetry/plain/x', String(i), { qos: 1 }); // stamped on arrival
    await plain.endAsync();
    running.pop();
    await g.stop();
    const { states } = await readOutbox(config.dataDir);
    expect(states.get('plain/x')?.count).toBe(3);
  });
});
