import { Packr } from 'msgpackr';
import { type BatchOperation, GatewayStore, offsetKey, type Sublevel } from './gateway-store.js';

const packr = new Packr({ useRecords: false });

/**
 * A sublevel kept to at most `recordsMax` records: at the limit the oldest goes first. Used
 * for dead letters and late readings, which an operator reads to find a broken device, and
 * which must never grow without bound on a gateway's disk. Every drop is counted.
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
    const { count, lastKey } = await GatewayStore.measure(this.sublevel);
    this.count = count;
    this.nextId = lastKey === undefined ? 0 : Number(lastKey) + 1;
  }

  /** The operations that append one record (and drop the oldest past the limit). */
  append(record: T): BatchOperation[] {
    const operations: BatchOperation[] = [{ type: 'put', sublevel: this.sublevel, key: offsetKey(this.nextId), value: packr.pack(record) }];
    this.nextId++;
    this.count++;
    if (this.count > this.recordsMax) {
      operations.push({ type: 'del', sublevel: this.sublevel, key: offsetKey(this.nextId - this.count) });
      this.count--;
      this.dropped++;
    }
    return operations;
  }

  get size(): number {
    return this.count;
  }

  /** The newest `limit` records, newest first. */
  async latest(limit = 100): Promise<T[]> {
    const out: T[] = [];
    for await (const value of this.sublevel.values({ reverse: true, limit })) out.push(packr.unpack(value) as T);
    return out;
  }
}
