import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { cloudAndGatewayConfig, gatewayCli, killedAfterEachTest } from './processes.js';

const { start } = killedAfterEachTest();

interface Received {
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
  readonly status: number;
}

describe('alerts to webhooks', () => {
  it('a receiver gets signed alerts of its severities, retried with the same delivery id through its outage', async () => {
    const secret = 'a-webhook-secret-of-32-characters';
    const received: Received[] = [];
    let outage = 2; // the first two attempts find the receiver down
    const receiver = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => {
        body += chunk;
      });
      request.on('end', () => {
        const status = outage-- > 0 ? 503 : 204;
        received.push({ headers: request.headers, body, status });
        response.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', () => resolve()));
    try {
      const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
      const { gatewayConfig } = await cloudAndGatewayConfig(start, 'gw-hooks', {
        cloud: {
          alerting: {
            webhookSecret: secret,
            webhooks: [{ name: 'on-call', url, severities: ['critical'], backoffMsMin: 200, backoffMsMax: 1000 }],
          },
        },
        gateway: () => ({
          mqtt: { port: 0, allowAnonymous: true },
          rules: [
            { kind: 'threshold', name: 'cabinet-hot', metric: 'cabinetTemperature', above: 35, severity: 'critical' },
            { kind: 'threshold', name: 'cabinet-warm', metric: 'cabinetTemperature', above: 30, severity: 'info' },
          ],
        }),
      });
      const gateway = await start(gatewayCli, ['-c', gatewayConfig], 'gateway ready');
      const device = await mqtt.connectAsync(`mqtt://127.0.0.1:${gateway.ports.mqtt}`, { clientId: 'atm-1', reconnectPeriod: 0 });
      await device.publishAsync('telemetry/atm-1', JSON.stringify({ cabinetTemperature: 41 }), { qos: 1 });
      await device.endAsync();
      const deadline = Date.now() + 15_000;
      while (!received.some((r) => r.status === 204) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));

      // Three attempts of one delivery: two into the outage, one through.
      expect(received.map((r) => [r.status, r.headers['x-fogline-attempt']])).toEqual([
        [503, '1'],
        [503, '2'],
        [204, '3'],
      ]);
      expect(new Set(received.map((r) => r.headers['x-fogline-delivery'])).size).toBe(1);
      for (const { headers, body } of received) {
        const expected = createHmac('sha256', secret).update(`${headers['x-fogline-timestamp']}.${body}`).digest('hex');
        expect(headers['x-fogline-signature']).toBe(`sha256=${expected}`);
      }
      // Only the critical alert: the info one is not this webhook's.
      expect(JSON.parse(received[2].body)).toMatchObject({ rule: 'cabinet-hot', severity: 'critical', deviceId: 'atm-1', value: 41 });
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(received).toHaveLength(3);
    } finally {
      receiver.close();
    }
  });
});
