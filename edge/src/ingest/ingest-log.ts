import type { Reading } from '@fogline/shared';
import { Packr } from 'msgpackr';
import { type BatchOperation, type GatewayStore, offsetKey } from '../store/gateway-store.js';

const packr = new Packr({ useRecords: false });

/** One publish as logged: who sent it (for retransmission dedup) and its readings. */
export interface LogEntry {
  readonly offset: number;
  readonly deviceId: string;
  /** The MQTT packet id (QoS 1), or 0. */
  readonly messageId: number;
  readonly digest: number;
  readonly receivedAtMs: number;
  readonly readings: readonly Reading[];
}

/** Readings are stored flat, [metric, ts, value, metric, ts, value, ...]: the device id once per entry. */
export function encodeLogEntry(entry: LogEntry): Uint8Array {
  const flat: (string | number)[] = [];
  for (const r of entry.readings) flat.push(r.metric, r.ts, r.value);
  return packr.pack([entry.deviceId, entry.messageId, entry.digest, entry.receivedAtMs, flat]);
}

export function decodeLogEntry(offset: number, bytes: Uint8Array): LogEntry {
  const [deviceId, messageId, digest, receivedAtMs, flat] = packr.unpack(bytes) as [string, number, number, number, (string | number)[]];
  const readings: Reading[] = [];
  for (let i = 0; i < flat.length; i += 3)
    readings.push({ deviceId, metric: flat[i] as string, ts: flat[i + 1] as number, value: flat[i + 2] as number });
  return { offset, deviceId, messageId, digest, receivedAtMs, readings };
}

interface Pending {
  readonly operations: BatchOperation[];
  readonly entry?: LogEntry;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * The durable ingest log, group-committed: appends that arrive while a write is in flight
 * (every publish of a socket read, from every device) go to disk together in the next batch,
 * so thousands of readings share one write. An append resolves when its batch is on disk,
 * and only then does the gateway send PUBACK.
 *
 * Committed entries are handed to onCommitted in offset order, batch by batch.
 * Bounded by logBytesMax: the caller asks hasRoomFor() first and applies the policy.
 */
export class IngestLog {
  private pending: Pending[] = [];
  private flushing = false;
  private nextOffsetValue: number;
  private bytes: number;
  private oldestOffset: number;
  onCommitted: (entries: readonly LogEntry[]) => void = () => {};
  batchesWritten = 0;
  entriesWritten = 0;

  constructor(
    private readonly store: GatewayStore,
    readonly logBytesMax: number,
    start: { nextOffset: number; bytes: number; oldestOffset: number },
  ) {
    this.nextOffsetValue = start.nextOffset;
    this.bytes = start.bytes;
    this.oldestOffset = start.oldestOffset;
  }

  get nextOffset(): number {
    return this.nextOffsetValue;
  }

  get bytesHeld(): number {
    return this.bytes;
  }

  hasRoomFor(bytes: number): boolean {
    return this.bytes + bytes <= this.logBytesMax;
  }

  /** Appends an entry (and any extra operations, such as dead letters) durably. */
  append(entry: Omit<LogEntry, 'offset'>, extra: BatchOperation[] = []): Promise<LogEntry> {
    const logged: LogEntry = { ...entry, offset: this.nextOffsetValue++ };
    const value = encodeLogEntry(logged);
    this.bytes += value.length;
    return new Promise((resolve, reject) => {
      this.pending.push({
        operations: [{ type: 'put', sublevel: this.store.log, key: offsetKey(logged.offset), value }, ...extra],
        entry: logged,
        resolve: () => resolve(logged),
        reject,
      });
      this.schedule();
    });
  }

  /** Writes operations through the same group commit, without a log entry (dead letters of a wholly bad publish). */
  writeOnly(operations: BatchOperation[]): Promise<void> {
    if (operations.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.pending.push({ operations, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.flushing) return;
    this.flushing = true;
    // Wait one turn of the event loop so every publish of the current socket reads joins this batch.
    setImmediate(() => void this.flush());
  }

  private async flush(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      try {
        await this.store.write(batch.flatMap((p) => p.operations));
      } catch (error) {
        for (const p of batch) p.reject(error);
        continue;
      }
      this.batchesWritten++;
      const entries = batch.flatMap((p) => (p.entry ? [p.entry] : []));
      this.entriesWritten += entries.length;
      this.onCommitted(entries);
      for (const p of batch) p.resolve();
    }
    this.flushing = false;
  }

  /** Resolves once every append made so far is on disk (or failed). */
  async settled(): Promise<void> {
    while (this.flushing || this.pending.length > 0) await new Promise((resolve) => setTimeout(resolve, 2));
  }

  /** Deletes entries below `offset` (their readings are in closed windows), freeing their bytes. */
  async compactBelow(offset: number): Promise<void> {
    if (offset <= this.oldestOffset) return;
    let freed = 0;
    for await (const value of this.store.log.values({ lt: offsetKey(offset) })) freed += value.length;
    await this.store.log.clear({ lt: offsetKey(offset) });
    this.oldestOffset = offset;
    this.bytes -= freed;
  }

  /** Entries from `offset` on, in order, for replay. */
  async *readFrom(offset: number): AsyncGenerator<LogEntry> {
    for await (const [key, value] of this.store.log.iterator({ gte: offsetKey(offset) })) yield decodeLogEntry(Number(key), value);
  }
}
