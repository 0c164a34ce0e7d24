import { type Sublevel, sortableKey } from '@fogline/shared';
import type { CommandStore, StoredCommand } from '../cloud-store.js';

/**
 * Commands in level: by id, and a second key per device (device/created/id) so that a
 * device's commands are one key range. Both written in one batch.
 */
export class LevelCommandStore implements CommandStore {
  constructor(
    private readonly byId: Sublevel,
    private readonly byDevice: Sublevel,
    private readonly sync: boolean,
  ) {}

  async put(command: StoredCommand): Promise<void> {
    const value = Buffer.from(JSON.stringify(command));
    await this.byId.db.batch(
      [
        { type: 'put', key: command.id, value, sublevel: this.byId },
        { type: 'put', key: deviceKey(command), value: Buffer.from(command.id), sublevel: this.byDevice },
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
    const out: StoredCommand[] = [];
    for await (const value of this.byId.values()) {
      const command = JSON.parse(Buffer.from(value).toString('utf8')) as StoredCommand;
      if (command.gatewayId === gatewayId && command.status === 'queued' && command.expiresAtMs > nowMs) out.push(command);
    }
    return out.sort((a, b) => a.createdAtMs - b.createdAtMs);
  }
}

const deviceKey = (command: StoredCommand) => `${command.deviceId}/${sortableKey(command.createdAtMs)}/${command.id}`;
