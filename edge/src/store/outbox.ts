import { encodeEnvelope, type PartitionEnvelope } from '@fogline/shared';
import type { Alert } from '../pipeline/rules.js';
import { type BatchOperation, GatewayStore, offsetKey } from './gateway-store.js';

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
  partitionsDropped = 0;
  alertsDropped = 0;
  envelopesWritten = 0;
  alertsWritten = 0;

  constructor(
    private readonly store: GatewayStore,
    readonly bytesMax: number,
    readonly compressAboveBytes: number,
    nextSeq: number,
  ) {
    this.nextSeqValue = nextSeq;
  }

  async init(): Promise<void> {
    const partitions = await GatewayStore.measure(this.store.outbox);
    const alerts = await GatewayStore.measure(this.store.alerts);
    this.partitionBytes = partitions.bytes;
    this.bytes = partitions.bytes + alerts.bytes;
    // The checkpoint's seq is authoritative, but never go below what is stored.
    for (const last of [partitions.lastKey, alerts.lastKey])
      if (last !== undefined) this.nextSeqValue = Math.max(this.nextSeqValue, Number(last) + 1);
  }

  get nextSeq(): number {
    return this.nextSeqValue;
  }

  get bytesHeld(): number {
    return this.bytes;
  }

  /** Operations that store envelopes (seq assigned here), making room first if needed. */
  async partitionOperations(envelopes: readonly Omit<PartitionEnvelope, 'seq'>[]): Promise<BatchOperation[]> {
    const encoded = envelopes.map((e) => {
      const seq = this.nextSeqValue++;
      return { seq, bytes: encodeEnvelope({ ...e, seq }, { compressAboveBytes: this.compressAboveBytes }) };
    });
    const incoming = encoded.reduce((n, e) => n + e.bytes.length, 0);
    const operations = await this.makeRoom(incoming);
    for (const { seq, bytes } of encoded) operations.push({ type: 'put', sublevel: this.store.outbox, key: offsetKey(seq), value: bytes });
    this.bytes += incoming;
    this.partitionBytes += incoming;
    this.envelopesWritten += encoded.length;
    return operations;
  }

  async alertOperations(alerts: readonly Alert[]): Promise<BatchOperation[]> {
    const encoded = alerts.map((alert) => {
      const seq = this.nextSeqValue++;
      return { seq, bytes: Buffer.from(JSON.stringify({ ...alert, seq })) };
    });
    const incoming = encoded.reduce((n, e) => n + e.bytes.length, 0);
    const operations = await this.makeRoom(incoming);
    for (const { seq, bytes } of encoded) operations.push({ type: 'put', sublevel: this.store.alerts, key: offsetKey(seq), value: bytes });
    this.bytes += incoming;
    this.alertsWritten += encoded.length;
    return operations;
  }

  private async makeRoom(incoming: number): Promise<BatchOperation[]> {
    const operations: BatchOperation[] = [];
    if (this.bytes + incoming <= this.bytesMax) return operations;
    for (const [sublevel, isPartition] of [
      [this.store.outbox, true],
      [this.store.alerts, false],
    ] as const) {
      for await (const [key, value] of sublevel.iterator()) {
        if (this.bytes + incoming <= this.bytesMax) return operations;
        operations.push({ type: 'del', sublevel, key });
        this.bytes -= value.length;
        if (isPartition) {
          this.partitionBytes -= value.length;
          this.partitionsDropped++;
        } else this.alertsDropped++;
      }
    }
    return operations;
  }

  /** Every stored envelope in seq order (the uplink's source, and the tests'). */
  async *envelopes(): AsyncGenerator<[seq: number, bytes: Uint8Array]> {
    for await (const [key, value] of this.store.outbox.iterator()) yield [Number(key), value];
  }

  async *alerts(): AsyncGenerator<Alert & { seq: number }> {
    for await (const value of this.store.alerts.values()) yield JSON.parse(Buffer.from(value).toString('utf8'));
  }
}
