import type { Sublevel } from '@fogline/shared';
import { type DeviceEntry, type GatewayStats, newGatewayStats, type RegistryStore } from '../cloud-store.js';

const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const parsed = <T>(bytes: Uint8Array): T => JSON.parse(Buffer.from(bytes).toString('utf8'));

/** Gateways (their intake stats and status records) and the devices their registries list. */
export class LevelRegistryStore implements RegistryStore {
  constructor(
    private readonly gateways: Sublevel,
    private readonly status: Sublevel,
    private readonly registry: Sublevel,
  ) {}

  async gatewayList(): Promise<GatewayStats[]> {
    const stats: GatewayStats[] = (await this.gateways.values().all()).map(parsed<GatewayStats>);
    const known = new Set(stats.map((g) => g.gatewayId));
    for (const gatewayId of await this.status.keys().all()) if (!known.has(gatewayId)) stats.push(newGatewayStats(gatewayId));
    return stats.sort((a, b) => (a.gatewayId < b.gatewayId ? -1 : 1));
  }

  async putStatus(gatewayId: string, status: Record<string, unknown>): Promise<void> {
    await this.status.put(gatewayId, json(status));
  }

  async statusOf(gatewayId: string): Promise<Record<string, unknown> | undefined> {
    const bytes = await this.status.get(gatewayId);
    return bytes ? parsed(bytes) : undefined;
  }

  async putDevices(gatewayId: string, devices: Record<string, Record<string, string>>): Promise<void> {
    const operations = Object.entries(devices).map(([deviceId, labels]) => ({
      type: 'put' as const,
      key: deviceId,
      value: json({ gatewayId, labels }),
    }));
    await this.registry.batch(operations as never);
  }

  async deviceOf(deviceId: string): Promise<DeviceEntry | undefined> {
    const bytes = await this.registry.get(deviceId);
    return bytes ? parsed(bytes) : undefined;
  }

  /** Keys only: the overview counts them every few seconds. */
  async deviceCount(): Promise<number> {
    let count = 0;
    for await (const _ of this.registry.keys()) count++;
    return count;
  }

  async devices(): Promise<Map<string, DeviceEntry>> {
    const out = new Map<string, DeviceEntry>();
    for await (const [key, value] of this.registry.iterator()) out.set(key, parsed(value));
    return out;
  }
}
