import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { deserialize } from 'node:v8';
import { binarySublevel, type SourceCheckpoint, type StreamingCheckpoint, type Sublevel, type SublevelOperation } from '@fogline/shared';
import { Level } from 'level';
import { Packr } from 'msgpackr';

const packr = new Packr({ useRecords: false });

/** The resend memo as of a log offset: the log from `offset` on completes it. */
export interface StoredResendMemo {
  readonly offset: number;
  readonly devices: [deviceId: string, pairs: number[]][];
}

/** The gateway job's state as it was after a log offset (v8-serialized StreamingCheckpoint). */
export interface StoredJobState {
  readonly offset: number;
  readonly bytes: Buffer;
  /** The bytes read back (throws on bytes that are not a checkpoint). */
  checkpoint(): StreamingCheckpoint;
}

/** What survives a crash besides the log and the outbox: where replay starts, and counters. */
export interface Checkpoint {
  /** Log entries from here on rebuild every open window. */
  readonly replayFromOffset: number;
  /** Never reuse an offset, even after the log was compacted empty. */
  readonly nextOffset: number;
  /** The per-gateway monotonic envelope sequence. */
  readonly nextSeq: number;
  /**
   * Only read, from stores written before watermarks were kept per device: the one watermark
   * the gateway had then, the starting point of every device without its own.
   */
  readonly watermarkMs: number;
}

export const emptyCheckpoint: Checkpoint = { replayFromOffset: 0, nextOffset: 0, nextSeq: 0, watermarkMs: Number.NEGATIVE_INFINITY };

/** A device's event-time checkpoint (see PerSourceAggregator): what a restart needs to tell late and forwarded values. */
export interface StoredWatermark extends SourceCheckpoint {
  /** Set by readings stamped on arrival: by the gateway's clock, not the device's. */
  readonly gatewayClock: boolean;
}

/**
 * Who this gateway's store is: created with the store, so a gateway reinstalled with an empty
 * data folder (same id, same credentials) is a new incarnation whose seqs the cloud has not
 * seen, never a duplicate of the old one.
 */
export interface Incarnation {
  readonly id: string;
  readonly createdAtMs: number;
  /** The first seq this incarnation used: the cloud's dedup mark starts below it. */
  readonly firstSeq: number;
}

/** process: a write is in the operating system when acknowledged (survives a crash of the gateway); power: on disk (fsync; survives a power cut). */
export type Durability = 'process' | 'power';

/** One operation of the gateway's atomic writes. */
export type BatchOperation = SublevelOperation;

/**
 * The gateway's one level database. Its sublevels share one write-ahead log, so a single
 * batch can write outbox envelopes and the checkpoint together, atomically:
 *   log      ingest-log entries by offset (readings as received, for replay)
 *   outbox   partition envelopes by seq, waiting for the uplink
 *   alerts   alert records by seq, sent ahead of partitions
 *   dead     dead letters: what could not be decoded, with the reason
 *   late     readings that arrived after their window closed
 *   watermarks  each device's event-time watermark (a device's windows ending at or before it are closed)
 *   meta     the checkpoint, the incarnation, the resend memo's snapshot
 */
export class GatewayStore {
  readonly log: Sublevel;
  readonly outbox: Sublevel;
  readonly alerts: Sublevel;
  readonly dead: Sublevel;
  readonly late: Sublevel;
  readonly meta: Sublevel;
  readonly watermarks: Sublevel;

  /** Set by a write that failed on I/O (a full disk): the next write reopens the database first. */
  private needsReopen = false;
  private reopening: Promise<void> | undefined;

  private constructor(
    readonly db: Level<string, Uint8Array>,
    readonly durability: Durability,
  ) {
    this.log = binarySublevel(db, 'log');
    this.outbox = binarySublevel(db, 'outbox');
    this.alerts = binarySublevel(db, 'alerts');
    this.dead = binarySublevel(db, 'dead');
    this.late = binarySublevel(db, 'late');
    this.meta = binarySublevel(db, 'meta');
    this.watermarks = binarySublevel(db, 'watermarks');
  }

  static async open(dataDir: string, durability: Durability = 'process'): Promise<GatewayStore> {
    mkdirSync(dataDir, { recursive: true });
    const db = new Level<string, Uint8Array>(join(dataDir, 'gateway.db'), { valueEncoding: 'view' });
    await db.open();
    return new GatewayStore(db, durability);
  }

  async readCheckpoint(): Promise<Checkpoint> {
    const bytes = await this.meta.get('checkpoint');
    if (!bytes) return emptyCheckpoint;
    const parsed = JSON.parse(Buffer.from(bytes).toString('utf8')) as Checkpoint & { watermarkMs: number | null };
    return { ...parsed, watermarkMs: parsed.watermarkMs ?? Number.NEGATIVE_INFINITY };
  }

  checkpointOperation(checkpoint: Checkpoint): BatchOperation {
    const json = JSON.stringify({ ...checkpoint, watermarkMs: Number.isFinite(checkpoint.watermarkMs) ? checkpoint.watermarkMs : null });
    return { type: 'put', sublevel: this.meta, key: 'checkpoint', value: Buffer.from(json) };
  }

  /** The job's stored state, if a checkpoint stored one. */
  async readJobState(): Promise<StoredJobState | undefined> {
    const bytes = await this.meta.get('job-state');
    if (!bytes) return undefined;
    const [offset, state] = packr.unpack(bytes) as [number, Uint8Array];
    const buffer = Buffer.from(state);
    return { offset, bytes: buffer, checkpoint: () => deserialize(buffer) as StreamingCheckpoint };
  }

  /** Written in the same batch as the checkpoint whose replay point it matches. */
  jobStateOperation({ offset, bytes }: { offset: number; bytes: Buffer }): BatchOperation {
    return { type: 'put', sublevel: this.meta, key: 'job-state', value: packr.pack([offset, bytes]) };
  }

  /** The store's incarnation, created on first use; `nextSeq` is where a new one starts. */
  async incarnation(nextSeq: number): Promise<Incarnation> {
    const bytes = await this.meta.get('incarnation');
    if (bytes) return JSON.parse(Buffer.from(bytes).toString('utf8')) as Incarnation;
    const created: Incarnation = { id: randomUUID(), createdAtMs: Date.now(), firstSeq: nextSeq };
    await this.meta.put('incarnation', Buffer.from(JSON.stringify(created)));
    return created;
  }

  /** Each device's stored event-time checkpoint. */
  async readWatermarks(): Promise<Map<string, StoredWatermark>> {
    const out = new Map<string, StoredWatermark>();
    for await (const [deviceId, bytes] of this.watermarks.iterator()) {
      const [watermarkMs, gatewayClock, closedEarly] = packr.unpack(bytes) as [number | null, boolean, StoredWatermark['closedEarly']];
      out.set(deviceId, { watermarkMs: watermarkMs ?? Number.NEGATIVE_INFINITY, gatewayClock, closedEarly });
    }
    return out;
  }

  watermarkOperations(changed: readonly [deviceId: string, watermark: StoredWatermark][]): BatchOperation[] {
    return changed.map(([deviceId, { watermarkMs, gatewayClock, closedEarly }]) => ({
      type: 'put',
      sublevel: this.watermarks,
      key: deviceId,
      value: packr.pack([Number.isFinite(watermarkMs) ? watermarkMs : null, gatewayClock, closedEarly]),
    }));
  }

  async readResendMemo(): Promise<StoredResendMemo> {
    const bytes = await this.meta.get('resend-memo');
    return bytes ? (packr.unpack(bytes) as StoredResendMemo) : { offset: 0, devices: [] };
  }

  resendMemoOperation(memo: StoredResendMemo): BatchOperation {
    return { type: 'put', sublevel: this.meta, key: 'resend-memo', value: packr.pack(memo) };
  }

  /**
   * One atomic write across sublevels; with durability 'power', on disk (fsync) before it
   * resolves, so a power cut cannot take what was acknowledged after it.
   *
   * After a write fails on I/O (a full disk), LevelDB goes on accepting writes once space
   * returns, but behind a torn record in its log, and a restart silently drops them. So the
   * database is reopened (a fresh log) before the next write; until that succeeds, writes
   * fail and are retried by their callers.
   */
  async write(operations: readonly BatchOperation[]): Promise<void> {
    if (this.needsReopen) await this.reopen();
    try {
      await this.db.batch(operations as never, { sync: this.durability === 'power' });
    } catch (error) {
      if ((error as { code?: string }).code === 'LEVEL_IO_ERROR') this.needsReopen = true;
      throw error;
    }
  }

  private reopen(): Promise<void> {
    this.reopening ??= (async () => {
      try {
        await this.db.close();
        await this.db.open();
        // Sublevels close with their database and do not reopen by themselves.
        for (const sublevel of [this.log, this.outbox, this.alerts, this.dead, this.late, this.meta, this.watermarks])
          await sublevel.open();
        this.needsReopen = false;
      } finally {
        this.reopening = undefined;
      }
    })();
    return this.reopening;
  }

  close(): Promise<void> {
    return this.db.close();
  }
}
