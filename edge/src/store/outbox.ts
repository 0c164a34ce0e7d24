import { decodeEnvelope, encodeEnvelope, measureSublevel, type PartitionEnvelope, sortableKey } from '@fogline/shared';
import type { Alert } from '../pipeline/rules.js';
import type { BatchOperation, GatewayStore, Incarnation } from './gateway-store.js';

/** What the pipeline hands the outbox: an envelope without the fields the outbox stamps. */
export type UnsequencedEnvelope = Omit<PartitionEnvelope, 'seq' | 'incarnation' | 'firstSeq'>;

/** The readings a stored envelope summarises (0 if it cannot be read: it is dropped all the same). */
function readingsIn(bytes: Uint8Array): number {
  try {
    return decodeEnvelope(bytes).records.reduce((n, [, state]) => n + state.count, 0);
  } catch {
    return 0;
  }
}

export interface OutboxRecord {
  /** Unique across both kinds: "alert:<key>" or "partition:<key>". */
  readonly id: string;
  readonly kind: 'alert' | 'partition';
  readonly key: string;
  readonly seq: number;
  readonly partition?: number;
  readonly bytes: Uint8Array;
}

const seqOf = (key: string): number => Number(key.slice(0, 16));

/** Ids of records dropped at bytesMax remembered, so a snapshot read before their delete committed never sends them. */
export const droppedIdsRememberedMax = 100_000;

/** What one write changes in the outbox before it is committed, so that a failed write can be undone. */
export interface OutboxChange {
  readonly nextSeq: number;
  readonly droppedThrough: { partition?: string; alert?: string };
  readonly bytesAdded: { total: number; partitions: number };
  readonly drops: { id: string; kind: 'partition' | 'alert'; bytes: number; readings: number }[];
  readonly written: { envelopes: number; alerts: number };
}

/**
 * Partition envelopes and alerts waiting for the uplink, keyed by the gateway's monotonic
 * seq. Bounded by outboxBytesMax; at the limit the oldest partitions are dropped first and
 * alerts only when no partition is left (alerts and aggregates are kept before raw data, and
 * an alert outweighs one minute of one partition). Every drop is counted.
 */
export class Outbox {
  private bytes = 0;
  private partitionBytes = 0;
  private nextSeqValue: number;
  /** Stamped on every envelope and alert; set by init(). */
  private incarnation: Incarnation = { id: '', createdAtMs: 0, firstSeq: 0 };
  partitionsDropped = 0;
  /**
   * Whether a record must be kept at bytesMax: the uplink holds it to send, or has sent it
   * and had no acknowledgement (the cloud may have merged it: dropping it would count as
   * dropped what arrived). The uplink sets it.
   */
  keeps: (id: string) => boolean = () => false;
  /** The last key makeRoom dropped, per sublevel. */
  private droppedThrough: { partition?: string; alert?: string } = {};
  /** Recently dropped record ids (see droppedIdsRememberedMax); a Set's order is insertion order. */
  private readonly droppedIds = new Set<string>();
  /** The change the current write makes, until it is committed or rolled back. */
  private change: OutboxChange | undefined;
  alertsDropped = 0;
  envelopesWritten = 0;
  alertsWritten = 0;

  constructor(
    private readonly store: GatewayStore,
    readonly bytesMax: number,
    readonly compressAboveBytes: number,
    nextSeq: number,
    /** Told of every record dropped at bytesMax, with the readings a partition summarised: for the metrics. */
    private readonly onDropped: (kind: 'partition' | 'alert', readings: number) => void = () => {},
  ) {
    this.nextSeqValue = nextSeq;
  }

  async init(): Promise<void> {
    const partitions = await measureSublevel(this.store.outbox);
    const alerts = await measureSublevel(this.store.alerts);
    this.partitionBytes = partitions.bytes;
    this.bytes = partitions.bytes + alerts.bytes;
    // The checkpoint's seq is authoritative, but never go below what is stored.
    for (const last of [partitions.lastKey, alerts.lastKey])
      if (last !== undefined) this.nextSeqValue = Math.max(this.nextSeqValue, seqOf(last) + 1);
    this.incarnation = await this.store.incarnation(this.nextSeqValue);
  }

  get incarnationId(): string {
    return this.incarnation.id;
  }

  get nextSeq(): number {
    return this.nextSeqValue;
  }

  get bytesHeld(): number {
    return this.bytes;
  }

  /** Operations that store envelopes (seq assigned here), making room first if needed. */
  async partitionOperations(envelopes: readonly UnsequencedEnvelope[]): Promise<BatchOperation[]> {
    const { id: incarnation, firstSeq } = this.incarnation;
    const encoded = envelopes.map((e) => {
      const seq = this.nextSeqValue++;
      const envelope = { ...e, incarnation, firstSeq, seq };
      return { seq, partition: e.partition, bytes: encodeEnvelope(envelope, { compressAboveBytes: this.compressAboveBytes }) };
    });
    const incoming = encoded.reduce((n, e) => n + e.bytes.length, 0);
    const operations = await this.makeRoom(incoming);
    // The key carries the partition (for the uplink's topic) after the seq that orders it.
    for (const { seq, partition, bytes } of encoded) {
      operations.push({ type: 'put', sublevel: this.store.outbox, key: `${sortableKey(seq)}/${partition}`, value: bytes });
    }
    this.bytes += incoming;
    this.partitionBytes += incoming;
    this.envelopesWritten += encoded.length;
    if (this.change) {
      this.change.bytesAdded.total += incoming;
      this.change.bytesAdded.partitions += incoming;
      this.change.written.envelopes += encoded.length;
    }
    return operations;
  }

  async alertOperations(alerts: readonly Alert[]): Promise<BatchOperation[]> {
    const encoded = alerts.map((alert) => {
      const seq = this.nextSeqValue++;
      const { id: incarnation, firstSeq } = this.incarnation;
      return { seq, bytes: Buffer.from(JSON.stringify({ ...alert, incarnation, firstSeq, seq })) };
    });
    const incoming = encoded.reduce((n, e) => n + e.bytes.length, 0);
    const operations = await this.makeRoom(incoming);
    for (const { seq, bytes } of encoded)
      operations.push({ type: 'put', sublevel: this.store.alerts, key: sortableKey(seq), value: bytes });
    this.bytes += incoming;
    this.alertsWritten += encoded.length;
    if (this.change) {
      this.change.bytesAdded.total += incoming;
      this.change.written.alerts += encoded.length;
    }
    return operations;
  }

  private async makeRoom(incoming: number): Promise<BatchOperation[]> {
    const operations: BatchOperation[] = [];
    if (this.bytes + incoming <= this.bytesMax) return operations;
    for (const [sublevel, isPartition] of [
      [this.store.outbox, true],
      [this.store.alerts, false],
    ] as const) {
      // Past what earlier calls dropped: their deletes may not be committed yet, and a record
      // must not be dropped (and counted) twice. Keys grow with the seq, so this is a prefix.
      const kind = isPartition ? 'partition' : 'alert';
      const after = this.droppedThrough[kind];
      for await (const [key, value] of sublevel.iterator(after === undefined ? {} : { gt: after })) {
        if (this.bytes + incoming <= this.bytesMax) return operations;
        const id = `${kind}:${key}`;
        // Read by the uplink to be sent (it reserves what it reads), in flight, or sent without
        // an acknowledgement: the cloud may merge it, so it is not dropped. The check and the
        // mark below run without an await between them, as does the uplink's reservation, so a
        // record is either sent or dropped, never both.
        if (this.keeps(id)) continue;
        this.rememberDropped(id);
        operations.push({ type: 'del', sublevel, key });
        this.droppedThrough[kind] = key;
        this.bytes -= value.length;
        if (isPartition) this.partitionBytes -= value.length;
        const drop = { id, kind, bytes: value.length, readings: isPartition ? readingsIn(value) : 0 } as const;
        if (this.change) this.change.drops.push(drop);
        else this.countDrop(drop);
      }
    }
    return operations;
  }

  /** True when the record was dropped at bytesMax (recently: see droppedIdsRememberedMax). */
  wasDropped(id: string): boolean {
    return this.droppedIds.has(id);
  }

  private rememberDropped(id: string): void {
    this.droppedIds.add(id);
    if (this.droppedIds.size > droppedIdsRememberedMax) this.droppedIds.delete(this.droppedIds.values().next().value as string);
  }

  private countDrop(drop: OutboxChange['drops'][number]): void {
    if (drop.kind === 'partition') this.partitionsDropped++;
    else this.alertsDropped++;
    this.onDropped(drop.kind, drop.readings);
  }

  /**
   * Starts recording what the next operations change, so that a write that fails can be
   * undone (rollback) and only a committed one counts its drops (commit). Writes are one at
   * a time (the window pipeline queues them), so there is one change at a time.
   */
  begin(): void {
    this.change = {
      nextSeq: this.nextSeqValue,
      droppedThrough: { ...this.droppedThrough },
      bytesAdded: { total: 0, partitions: 0 },
      drops: [],
      written: { envelopes: 0, alerts: 0 },
    };
  }

  /** The write is on disk: its drops happened, and are counted. */
  commit(): void {
    const change = this.change;
    this.change = undefined;
    for (const drop of change?.drops ?? []) this.countDrop(drop);
  }

  /** The write failed: its seqs are handed out again, its drops did not happen. */
  rollback(): void {
    const change = this.change;
    this.change = undefined;
    if (!change) return;
    this.nextSeqValue = change.nextSeq;
    this.droppedThrough = change.droppedThrough;
    this.bytes -= change.bytesAdded.total;
    this.partitionBytes -= change.bytesAdded.partitions;
    this.envelopesWritten -= change.written.envelopes;
    this.alertsWritten -= change.written.alerts;
    for (const drop of change.drops) {
      this.droppedIds.delete(drop.id);
      this.bytes += drop.bytes;
      if (drop.kind === 'partition') this.partitionBytes += drop.bytes;
    }
  }

  /** Every stored envelope in seq order (the uplink's source, and the tests'). */
  async *envelopes(): AsyncGenerator<[seq: number, bytes: Uint8Array]> {
    for await (const [key, value] of this.store.outbox.iterator()) yield [seqOf(key), value];
  }

  /**
   * Up to `limit` records to send, alerts first (they are few and urgent), then partitions,
   * each in seq order, skipping the ids in `reserved` (in flight) and adding the ones returned
   * to it, in the same synchronous step that leaves out what was dropped meanwhile.
   */
  async next(limit: number, reserved: Set<string>): Promise<OutboxRecord[]> {
    const records: OutboxRecord[] = [];
    for (const [sublevel, kind] of [
      [this.store.alerts, 'alert'],
      [this.store.outbox, 'partition'],
    ] as const) {
      for await (const [key, bytes] of sublevel.iterator({ limit: limit + reserved.size })) {
        if (records.length >= limit) break;
        const id = `${kind}:${key}`;
        if (reserved.has(id)) continue;
        records.push({ id, kind, key, seq: seqOf(key), partition: kind === 'partition' ? Number(key.slice(17)) : undefined, bytes });
      }
    }
    const kept = records.filter((r) => !this.droppedIds.has(r.id));
    for (const record of kept) reserved.add(record.id);
    return kept;
  }

  /** Deletes a record the cloud has acknowledged. */
  async remove(record: OutboxRecord): Promise<void> {
    const sublevel = record.kind === 'alert' ? this.store.alerts : this.store.outbox;
    if ((await sublevel.get(record.key)) === undefined) return; // dropped at the limit meanwhile
    await this.store.write([{ type: 'del', sublevel, key: record.key }]);
    this.bytes -= record.bytes.length;
    if (record.kind === 'partition') this.partitionBytes -= record.bytes.length;
  }

  /** How many records wait, for health and tests. */
  async size(): Promise<number> {
    return (await this.store.outbox.keys().all()).length + (await this.store.alerts.keys().all()).length;
  }

  async *alerts(): AsyncGenerator<Alert & { seq: number }> {
    for await (const value of this.store.alerts.values()) yield JSON.parse(Buffer.from(value).toString('utf8'));
  }
}
