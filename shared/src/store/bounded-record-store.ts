import { Packr } from 'msgpackr';
import { measureSublevel, type Sublevel, type SublevelOperation, sortableKey } from './level-helpers.js';

const packr = new Packr({ useRecords: false });

/**
 * A sublevel kept to at most `recordsMax` records (MessagePack), at the limit the oldest going
 * first. Used for dead letters and late readings, on the gateway and in the cloud: what an
 * operator reads to find a broken device, and what must never grow without bound on disk.
 * Every drop is counted. append() returns operations for the caller's atomic batch.
 */
export class BoundedRecordStore<T> {
  private nextId = 0;
  private count = 0;
  dropped = 0;

  constructor(
    private readonly sublevel: Sublevel,
    readonly recordsMax: number,
  ) {}

  async init(): Promise<void> {
    // Keys are consecutive (only the oldest is ever deleted), so the oldest is nextId - count.
    const { count, lastKey } = await measureSublevel(this.sublevel);
    this.count = count;
    this.nextId = lastKey === undefined ? 0 : Number(lastKey) + 1;
  }

  /** The operations that append one record (and drop the oldest past the limit). */
  append(record: T): SublevelOperation[] {
    const operations: SublevelOperation[] = [
      { type: 'put', sublevel: this.sublevel, key: sortableKey(this.nextId), value: packr.pack(record) },
    ];
    this.nextId++;
    this.count++;
    if (this.count > this.recordsMax) {
      operations.push({ type: 'del', sublevel: this.sublevel, key: sortableKey(this.nextId - this.count) });
      this.count--;
      this.dropped++;
    }
    return operations;
  }

  get size(): number {
    return this.count;
  }

  /** Every record, oldest first. */
  async all(): Promise<T[]> {
    return (await this.sublevel.values().all()).map((value) => packr.unpack(value) as T);
  }

  /**
   * Records with their ids, oldest first: those after `afterId`, or without it the newest
   * `limit`. A reader that passes the last id it saw follows the store like `tail -f`.
   */
  async page(afterId: number | undefined, limit = 100): Promise<{ id: number; record: T }[]> {
    const range = afterId === undefined ? { reverse: true, limit } : { gt: sortableKey(afterId), limit };
    const out: { id: number; record: T }[] = [];
    for await (const [key, value] of this.sublevel.iterator(range)) out.push({ id: Number(key), record: packr.unpack(value) as T });
    return afterId === undefined ? out.reverse() : out;
  }

  /** The newest `limit` records, newest first. */
  async latest(limit = 100): Promise<T[]> {
    const out: T[] = [];
    for await (const value of this.sublevel.values({ reverse: true, limit })) out.push(packr.unpack(value) as T);
    return out;
  }
}
