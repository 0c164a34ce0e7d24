import { type Sublevel, sortableKey } from '@fogline/shared';
import type { CommandStore, StoredCommand } from '../cloud-store.js';

/**
 * Commands in level: by id, with a key per device (device/created/id) and one per gateway while
 * queued (gateway/created/id), so that a device's commands and a gateway's queue are key
 * ranges. All written in one batch.
 */
export class LevelCommandStore implements CommandStore {
  constructor(
    private readonly byId: Sublevel,
    private readonly byDevice: Sublevel,
    /** The commands still queued, by gateway: what a gateway coming online is sent, read as a key range. */
    private readonly queued: Sublevel,
    private readonly sync: boolean,
  ) {}

  async put(command: StoredCommand): Promise<void> {
    const value = Buffer.from(JSON.stringify(command));
    const queuedKey = `${command.gatewayId}/${sortableKey(command.createdAtMs)}/${command.id}`;
    await this.byId.db.batch(
      [
        { type: 'put', key: command.id, value, sublevel: this.byId },
        { type: 'put', key: deviceKey(command), value: Buffer.from(command.id), sublevel: this.byDevice },
        command.status === 'queued'
          ? { type: 'put', key: queuedKey, value: Buffer.from(command.id), sublevel: this.queued }
          : { type: 'del', key: queuedKey, sublevel: this.queued },
      ] as never,
      { sync: this.sync } as never,
    );
  }

  async get(id: string): Promise<StoredCommand | undefined> {
    const value = await this.byId.get(id);
    return value === undefined ? undefined : (JSON.parse(Buffer.from(value).toString('utf8')) as StoredCommand);
  }

  async ofDevice(deviceId: string, limit: number): Promise<StoredCommand[]> {
    const ids = await this.byDevice.values({ gt: `${deviceId}/`, lt: `${deviceId}0`, reverse: true, limit }).all();
    const commands = await Promise.all(ids.map((id) => this.get(Buffer.from(id).toString('utf8'))));
    return commands.filter((c) => c !== undefined);
  }

  async pendingFor(gatewayId: string, nowMs: number): Promise<StoredCommand[]> {
    const ids = await this.queued.values({ gt: `${gatewayId}/`, lt: `${gatewayId}0` }).all();
    const commands = await Promise.all(ids.map((id) => this.get(Buffer.from(id).toString('utf8'))));
    return commands.filter((c): c is StoredCommand => c !== undefined && c.status === 'queued' && c.expiresAtMs > nowMs);
  }
}

const deviceKey = (command: StoredCommand) => `${command.deviceId}/${sortableKey(command.createdAtMs)}/${command.id}`;
