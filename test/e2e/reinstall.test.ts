import { rmSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { cloudAndGatewayConfig, gatewayCli, killedAfterEachTest, stopProcess } from './processes.js';

const { start } = killedAfterEachTest();

interface GatewayRow {
  gatewayId: string;
  readings: number;
  duplicates: number;
  incarnation?: string;
  incarnations?: { id: string }[];
}

describe('a gateway reinstalled with an empty data folder', () => {
  it('is a new incarnation: the cloud merges everything it forwards (same id, same credentials, seq from 0 again)', async () => {
    const { cloud, gatewayDir, gatewayConfig } = await cloudAndGatewayConfig(start, 'gw-reinstalled', {
      gateway: (dir) => ({
        dataDir: join(dir, 'data'),
        mqtt: { port: 0, allowAnonymous: true },
        windows: { sizeMs: 1_000, allowedLatenessMs: 0 },
      }),
    });
    const gatewaysRow = async () =>
      ((await (await fetch(`http://127.0.0.1:${cloud.ports.http}/api/v1/gateways`)).json()) as { gateways: GatewayRow[] }).gateways.find(
        (g) => g.gatewayId === 'gw-reinstalled',
      );
    const base = Date.now() - 3_600_000;
    let acknowledged = 0;
    // One life of the gateway: a device publishes, the gateway stops (draining its windows to the cloud).
    const life = async (readings: number, firstTs: number) => {
      const gateway = await start(gatewayCli, ['-c', gatewayConfig], 'gateway ready');
      const device = await mqtt.connectAsync(`mqtt://127.0.0.1:${gateway.ports.mqtt}`, { clientId: 'atm-1', reconnectPeriod: 0 });
      for (let i = 0; i < readings; i++) {
        await device.publishAsync('telemetry/atm-1/temp', JSON.stringify({ ts: firstTs + i * 100, value: i }), { qos: 1 });
        acknowledged++;
      }
      await device.endAsync();
      expect(await stopProcess(gateway)).toBe(0);
    };
    await life(50, base);
    await expect.poll(async () => (await gatewaysRow())?.readings, { timeout: 15_000 }).toBe(50);
    // Reinstalled: the data folder is gone (outbox, seq, incarnation), the config and secret stay.
    rmSync(join(gatewayDir, 'data'), { recursive: true, force: true });
    await life(70, base + 60_000);
    await expect.poll(async () => (await gatewaysRow())?.readings, { timeout: 15_000 }).toBe(acknowledged);
    const row = await gatewaysRow();
    expect(row?.duplicates).toBe(0);
    expect(row?.incarnations).toHaveLength(2);
    expect(row?.incarnation).toBe(row?.incarnations?.[1].id);
  });
});
