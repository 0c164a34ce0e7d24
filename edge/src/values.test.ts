import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import type { Gateway } from './gateway.js';
import { readDeadLetters, readOutbox, startTestGateway } from './test-support.js';

const running: Gateway[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((g) => g.stop()));
});

describe('values at the edges of the double range', () => {
  it('dead-letters values outside limits.valueAbsMax with the reason; every state it forwards stays finite', async () => {
    const g = await startTestGateway({ mqtt: { port: 0, allowAnonymous: true } });
    running.push(g);
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${g.ports.mqtt}`, { clientId: 'big', reconnectPeriod: 0 });
    const ts = Date.now() - 1_000;
    // Every publish is acknowledged; 1e200 and -1e200 in one window used to make m2 Infinity.
    for (const [i, value] of [1e200, -1e200, 1.7e308, -1.7e308, 5, 1e100, -1e100].entries())
      await client.publishAsync('telemetry/big/x', JSON.stringify({ ts: ts + i, value }), { qos: 1 });
    await client.endAsync();
    running.pop();
    await g.stop();
    const { states } = await readOutbox(g.config.dataDir);
    const state = states.get('big/x');
    expect(state?.count).toBe(3);
    expect(state?.finiteProblem()).toBeUndefined();
    expect(Number.isFinite(state?.variance)).toBe(true);
    const reasons = (await readDeadLetters(g.config.dataDir)).map((d) => d.reason);
    expect(reasons).toHaveLength(4);
    expect(reasons[0]).toBe('payload.x was 1e+200, expected a number within ±limits.valueAbsMax 1e+100');
  });
});
