import { type Sublevel, sortableKey } from '@fogline/shared';
import { Packr } from 'msgpackr';
import type { ArchivedEnvelope, EnvelopeArchive } from '../cloud-store.js';

const packr = new Packr({ useRecords: false });
const deleteBatchKeys = 10_000;

/** The archive key: arrival time first, so a scan reads in arrival order and retention deletes a prefix. */
export const archiveKey = (receivedAtMs: number, gatewayId: string, incarnation: string, seq: number) =>
  `${sortableKey(receivedAtMs)}/${gatewayId}/${incarnation}/${sortableKey(seq)}`;
export const encodeArchived = (topic: string, bytes: Uint8Array) => packr.pack([topic, bytes]);

/** The archive on the embedded store: one sublevel, written in each merge's batch. */
export class LevelArchive implements EnvelopeArchive {
  constructor(
    readonly enabled: boolean,
    private readonly entries: Sublevel,
    /** What clearDerived empties: the merged states, gateways' stats and dedup records. */
    private readonly derived: readonly Sublevel[],
  ) {}

  async *scan(fromMs: number, toMs: number): AsyncGenerator<ArchivedEnvelope> {
    for await (const [key, value] of this.entries.iterator({ gte: sortableKey(fromMs), lt: sortableKey(toMs) })) {
      const [topic, bytes] = packr.unpack(value) as [string, Uint8Array];
      yield { receivedAtMs: Number(key.slice(0, key.indexOf('/'))), topic, bytes };
    }
  }

  async oldestMs(): Promise<number | undefined> {
    const [key] = await this.entries.keys({ limit: 1 }).all();
    return key === undefined ? undefined : Number(key.slice(0, key.indexOf('/')));
  }

  async applyRetention(cutoffMs: number): Promise<number> {
    let deleted = 0;
    for (;;) {
      const keys = await this.entries.keys({ lt: sortableKey(cutoffMs), limit: deleteBatchKeys }).all();
      if (keys.length === 0) return deleted;
      await this.entries.batch(keys.map((key) => ({ type: 'del' as const, key })) as never);
      deleted += keys.length;
    }
  }

  async clearDerived(): Promise<void> {
    for (const sublevel of this.derived) await sublevel.clear();
  }
}
