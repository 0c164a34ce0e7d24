import type { EventEmitter } from 'node:events';
import type { Sublevel } from '@fogline/shared';
import type { LiveEvents, ModelStore } from '../cloud-store.js';

const rankingKey = '\u0000ranking';

/** Maintenance models, one per kind of device, and the latest risk ranking (under a key no kind can have). */
export class LevelModelStore implements ModelStore {
  constructor(
    private readonly models: Sublevel,
    private readonly rankings: Sublevel,
    private readonly live: EventEmitter<LiveEvents>,
  ) {}

  async put(kind: string, model: unknown): Promise<void> {
    await this.models.put(kind, Buffer.from(JSON.stringify(model)));
  }

  async list<T>(): Promise<T[]> {
    return (await this.models.values().all()).map((v) => JSON.parse(Buffer.from(v).toString('utf8')) as T);
  }

  async putRanking(ranking: { scoredAtMs: number; devices: unknown[] }): Promise<void> {
    await this.rankings.put(rankingKey, Buffer.from(JSON.stringify(ranking)));
    this.live.emit('risk', { scoredAtMs: ranking.scoredAtMs });
  }

  async ranking<T>(): Promise<{ scoredAtMs: number; devices: T[] } | undefined> {
    const bytes = await this.rankings.get(rankingKey);
    return bytes ? JSON.parse(Buffer.from(bytes).toString('utf8')) : undefined;
  }
}
