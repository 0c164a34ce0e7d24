import type { Reading } from '@fogline/shared';
import { sortableKey } from '@fogline/shared';
import { Packr } from 'msgpackr';
import type { BatchOperation, GatewayStore } from '../store/gateway-store.js';

const packr = new Packr({ useRecords: false });

/** The messageId of an entry that records a clean DISCONNECT (no readings): the device's resend memo is cleared there. */
export const cleanDisconnectMark = -1;

/** One publish as logged: who sent it (for retransmission dedup) and its readings. */
export interface LogEntry {
  readonly offset: number;
  readonly deviceId: string;
  /** The MQTT packet id (QoS 1), 0, or cleanDisconnectMark. */
  readonly messageId: number;
  readonly digest: number;
  readonly receivedAtMs: number;
  readonly readings: readonly Reading[];
}

type EntryArray = [deviceId: string, messageId: number, digest: number, receivedAtMs: number, flat: (string | number | null)[]];

/**
 * Readings are stored flat, [metric, ts, value, metric, ts, value, ...]: the device id once
 * per entry. A reading stamped on arrival stores null for its ts (it is the entry's
 * receivedAtMs), which keeps the flag that tells it from a device-stamped one.
 */
function entryToArray(entry: LogEntry): EntryArray {
  const flat: (string | number | null)[] = [];
  for (const r of entry.readings) flat.push(r.metric, r.arrival ? null : r.ts, r.value);
  return [entry.deviceId, entry.messageId, entry.digest, entry.receivedAtMs, flat];
}

function entryFromArray(offset: number, [deviceId, messageId, digest, receivedAtMs, flat]: EntryArray): LogEntry {
  const readings: Reading[] = [];
  for (let i = 0; i < flat.length; i += 3) {
    const ts = flat[i + 1] as number | null;
    const metric = flat[i] as string;
    const value = flat[i + 2] as number;
    readings.push(ts === null ? { deviceId, metric, ts: receivedAtMs, value, arrival: true } : { deviceId, metric, ts, value });
  }
  return { offset, deviceId, messageId, digest, receivedAtMs, readings };
}

/**
 * A segment: the entries of one group commit, consecutive offsets, stored as ONE level value
 * under the first offset. One put per commit instead of one per publish is what keeps the
 * commit short, and the commit's length is what a device waits for its PUBACK.
 */
export function encodeSegment(entries: readonly LogEntry[]): Uint8Array {
  return packr.pack(entries.map(entryToArray));
}

export function decodeSegment(firstOffset: number, bytes: Uint8Array): LogEntry[] {
  return (packr.unpack(bytes) as EntryArray[]).map((array, i) => entryFromArray(firstOffset + i, array));
}

interface Pending {
  readonly operations: BatchOperation[];
  readonly entry?: LogEntry;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
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
  private committedEndOffset: number;
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
    this.committedEndOffset = start.nextOffset;
  }

  /** Entries below this offset are on disk (or failed): their publishes have had their answer. */
  get committedEnd(): number {
    return this.committedEndOffset;
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

  /**
   * Appends an entry (and any extra operations, such as dead letters) durably; `committed`
   * is called once it is on disk. A callback, not a Promise: this runs once per publish.
   * Returns the entry's offset.
   */
  append(
    deviceId: string,
    messageId: number,
    digest: number,
    receivedAtMs: number,
    readings: readonly Reading[],
    extra: BatchOperation[],
    committed: (error?: Error) => void,
  ): number {
    const entry: LogEntry = { offset: this.nextOffsetValue++, deviceId, messageId, digest, receivedAtMs, readings };
    this.pending.push({ operations: extra, entry, resolve: committed, reject: committed });
    this.schedule();
    return entry.offset;
  }

  /** Records that a device disconnected cleanly, in order with its publishes, for the resend memo's replay. */
  appendCleanDisconnect(deviceId: string, failed: (error?: Error) => void): void {
    this.append(deviceId, cleanDisconnectMark, 0, Date.now(), [], [], failed);
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
      const entries = batch.flatMap((p) => (p.entry ? [p.entry] : []));
      const operations = batch.flatMap((p) => p.operations);
      // Offsets are handed out in append order, so a batch's entries are consecutive.
      const segment = entries.length > 0 ? encodeSegment(entries) : undefined;
      if (segment) operations.push({ type: 'put', sublevel: this.store.log, key: sortableKey(entries[0].offset), value: segment });
      try {
        await this.store.write(operations);
      } catch (error) {
        if (entries.length > 0) this.committedEndOffset = entries[entries.length - 1].offset + 1;
        for (const p of batch) p.reject(error as Error);
        continue;
      }
      if (entries.length > 0) this.committedEndOffset = entries[entries.length - 1].offset + 1;
      this.batchesWritten++;
      this.bytes += segment?.length ?? 0;
      this.entriesWritten += entries.length;
      this.onCommitted(entries);
      for (const p of batch) p.resolve();
    }
    this.flushing = false;
  }

  /** Where the log ends: the offset after the last entry on disk (0 when empty). */
  static async endOffset(store: GatewayStore): Promise<number> {
    for await (const [key, value] of store.log.iterator({ reverse: true, limit: 1 }))
      return Number(key) + decodeSegment(Number(key), value).length;
    return 0;
  }

  /** Resolves once every append made so far is on disk (or failed). */
  async settled(): Promise<void> {
    while (this.flushing || this.pending.length > 0) await new Promise((resolve) => setTimeout(resolve, 2));
  }

  /** The offset of the oldest entry still held. */
  get oldestHeld(): number {
    return this.oldestOffset;
  }

  /**
   * Deletes the segments wholly below `offset` (their readings are in closed windows). The
   * segment holding `offset` stays whole.
   */
  async compactBelow(offset: number): Promise<void> {
    if (offset <= this.oldestOffset) return;
    const holding = await this.store.log.keys({ lte: sortableKey(offset), reverse: true, limit: 1 }).all();
    if (holding.length === 0) return;
    let freed = 0;
    for await (const value of this.store.log.values({ lt: holding[0] })) freed += value.length;
    await this.store.log.clear({ lt: holding[0] });
    this.oldestOffset = Number(holding[0]);
    this.bytes -= freed;
  }

  /** Entries from `offset` on, in order, for replay. */
  async *readFrom(offset: number): AsyncGenerator<LogEntry> {
    const holding = await this.store.log.keys({ lte: sortableKey(offset), reverse: true, limit: 1 }).all();
    for await (const [key, value] of this.store.log.iterator({ gte: holding[0] ?? sortableKey(offset) })) {
      for (const entry of decodeSegment(Number(key), value)) if (entry.offset >= offset) yield entry;
    }
  }
}
