import { serialize } from 'node:v8';
import { type DStream, type QueueInputDStream, type RDD, RddContext, type Reading, StreamingContext } from '@fogline/shared';
import type { Logger } from 'pino';
import type { GatewayStore, StoredJobState } from '../store/gateway-store.js';
import type { OffsetReading } from './log-offset.js';
import type { Alert } from './rules.js';
import type { ForwardedBatch, JobStateKeeper, WindowPipeline } from './window-pipeline.js';

/** What a job's function is given beside its stream of readings. */
export interface JobApi {
  /**
   * Sends this stream's readings into the gateway's windows: reduced per device, metric and
   * window, and forwarded to the cloud, which merges them like any partition. A reading made
   * with `{ ...reading, metric, value }` keeps its log offset, so a restart replays it exactly.
   * `distinct: false` when many readings share a device, metric and time on purpose (a
   * rollup of many devices under one name): none is then taken for a duplicate.
   */
  forward(stream: DStream<Reading>, options?: { distinct?: boolean }): void;
  /** Runs the gateway's configured alert rules over this stream (the default job does). */
  checkRules(stream: DStream<Reading>): void;
  /** Raises an alert: on the gateway's broker at alerts/{deviceId}, and forwarded to the cloud. */
  emitAlert(alert: Omit<Alert, 'gatewayId' | 'id'>): void;
  /** Sends a command to one of this gateway's devices (closed-loop control); returns its id. */
  sendCommand(deviceId: string, name: string, args?: Record<string, unknown>, expiresInMs?: number): string;
  /** A device's labels from the credentials file (site, model...); {} for one without. */
  labelsOf(deviceId: string): Readonly<Record<string, string>>;
  readonly logger: Logger;
  /** The micro-batch interval, for processing-time windows (window, reduceByKeyAndWindow). */
  readonly batchIntervalMs: number;
}

/** What a job module exports by default. @example export default (readings, { forward }) => forward(readings); */
export type GatewayJob = (readings: DStream<Reading>, api: JobApi) => void;

/** One micro-batch of readings from the router. */
export interface MicroBatch {
  readonly readings: OffsetReading[];
  readonly logOffsetMax: number;
  readonly replaying: boolean;
  /** Replayed readings whose alerts were written before the restart: raising them again would repeat them. */
  readonly alertsWritten: boolean;
}

/** What the runner reports to the gateway. */
export interface JobSinks {
  readonly gatewayId: string;
  raise(alerts: readonly Alert[]): void;
  /** False when the config has no rules: checkRules then adds no step at all. */
  readonly rulesEnabled: boolean;
  checkRules(readings: readonly Reading[], nowMs: number): Alert[];
  sendCommand: JobApi['sendCommand'];
  labelsOf: JobApi['labelsOf'];
  /** A record a job's function threw on (skipped), or a reading of a batch that failed as a whole. */
  deadLetter(record: unknown, reason: string): void;
  batchFailed(error: Error, batchMs: number): void;
}

/** Job-state snapshots kept between checkpoints at most; past it every other middle one goes (counted). */
export const jobSnapshotsMax = 64;

/** Batches remembered for the ops port's /jobs. */
export const recentBatchesMax = 20;

interface Snapshot {
  readonly offset: number;
  readonly bytes: Buffer;
  written: boolean;
}

interface BatchRecord {
  readonly batchMs: number;
  readonly readings: number;
  readonly forwarded: number;
  readonly states: number;
  readonly durationMs: number;
  readonly replaying: boolean;
  readonly error?: string;
}

/**
 * The gateway's job: the modules named by `job:` wired onto one StreamingContext, fed one
 * micro-batch at a time by the reading router. Each batch runs the job's streams, then
 * reduces what the job forwarded into the windows (WindowPipeline.reduceBatch), alone on the
 * data path. The job's state (its stateful streams) is snapshotted between batches and
 * stored with the gateway's checkpoint, as it was before the windows' replay point: a restart
 * restores it and replays the log from there, so the job sees every reading exactly once.
 */
export class JobRunner implements JobStateKeeper {
  readonly rdd: RddContext;
  private readonly ssc: StreamingContext;
  private readonly input: QueueInputDStream<Reading>;
  private forwardedNow: ForwardedBatch[] = [];
  private alertsWritten = false;
  private snapshots: Snapshot[] = [];
  private readonly recent: BatchRecord[] = [];
  batchesRun = 0;
  batchesFailed = 0;
  recordErrors = 0;
  snapshotsThinned = 0;
  lastError: { readonly message: string; readonly batchMs: number } | undefined;

  private constructor(
    private readonly pipeline: WindowPipeline,
    private readonly store: GatewayStore,
    private readonly sinks: JobSinks,
    readonly batchIntervalMs: number,
  ) {
    this.rdd = new RddContext({
      defaultParallelism: 1,
      onRecordError: (error, record) => {
        this.recordErrors++;
        this.sinks.deadLetter(record, `job: ${error.message}`);
      },
    });
    this.ssc = new StreamingContext(this.rdd, batchIntervalMs);
    this.input = this.ssc.queueStream<Reading>(Number.POSITIVE_INFINITY); // bounded by the router
  }

  /** Loads the job modules, wires them, and restores their stored state (if the job is built the same way). */
  static async start(
    modules: readonly string[],
    pipeline: WindowPipeline,
    store: GatewayStore,
    sinks: JobSinks,
    batchIntervalMs: number,
    logger: Logger,
    stored: StoredJobState | undefined,
    replayFromOffset: number,
  ): Promise<JobRunner> {
    const runner = new JobRunner(pipeline, store, sinks, batchIntervalMs);
    for (const module of modules) {
      const loaded = (await import(module)) as { default?: GatewayJob };
      if (typeof loaded.default !== 'function')
        throw new Error(`job ${module}: expected a default export function (readings, api) => void, found ${typeof loaded.default}`);
      loaded.default(runner.input, runner.api(logger.child({ job: module })));
    }
    runner.restore(stored, replayFromOffset, logger);
    pipeline.jobState = runner;
    return runner;
  }

  private api(logger: Logger): JobApi {
    return {
      forward: (stream, options = {}) => {
        const distinct = options.distinct ?? true;
        stream.foreachRDD((rdd) => {
          this.forwardedNow.push({ rdd: rdd as RDD<OffsetReading>, distinct });
        });
      },
      checkRules: (stream) => {
        if (!this.sinks.rulesEnabled) return;
        stream.foreachRDD(async (rdd) => {
          const alerts = this.sinks.checkRules(await rdd.collect(), Date.now());
          if (!this.alertsWritten) this.sinks.raise(alerts);
        });
      },
      emitAlert: (alert) => {
        if (this.alertsWritten) return;
        const { gatewayId } = this.sinks;
        this.sinks.raise([{ ...alert, gatewayId, id: `${gatewayId}/${alert.rule}/${alert.deviceId}/${alert.metric}/${alert.ts}` }]);
      },
      sendCommand: (...args) => (this.alertsWritten ? '' : this.sinks.sendCommand(...args)),
      labelsOf: (deviceId) => this.sinks.labelsOf(deviceId),
      logger,
      batchIntervalMs: this.batchIntervalMs,
    };
  }

  /**
   * Runs one micro-batch: the job's streams, then the reduction of what it forwarded, alone
   * on the data path. A record a job's function throws on is dead-lettered and skipped (the
   * context's policy); a batch that fails as a whole is counted, logged and shown on /healthz,
   * and its readings the job had not yet forwarded are dead-lettered, never lost silently.
   */
  run(batch: MicroBatch): Promise<void> {
    return this.pipeline.exclusive(() => this.runNow(batch));
  }

  private async runNow(batch: MicroBatch): Promise<void> {
    const startedMs = Date.now();
    const batchMs = this.nextBatchMs(startedMs);
    this.forwardedNow = [];
    this.alertsWritten = batch.alertsWritten;
    this.input.push(batch.readings);
    let failure: Error | undefined;
    try {
      await this.ssc.runBatch(batchMs);
    } catch (error) {
      failure = error as Error;
    }
    const forwarded = this.forwardedNow;
    this.forwardedNow = [];
    const info = { logOffsetMax: batch.logOffsetMax, replaying: batch.replaying, nowMs: startedMs };
    let states = 0;
    try {
      if (forwarded.length > 0) states = await this.pipeline.reduceBatch(forwarded, info);
      else this.pipeline.skipBatch(info);
    } catch (error) {
      failure ??= error as Error;
    }
    this.batchesRun++;
    if (failure) this.failed(failure, batchMs, batch, forwarded.length === 0);
    this.remember({
      batchMs,
      readings: batch.readings.length,
      forwarded: forwarded.length,
      states,
      durationMs: Date.now() - startedMs,
      replaying: batch.replaying,
      error: failure?.message,
    });
  }

  private failed(error: Error, batchMs: number, batch: MicroBatch, nothingForwarded: boolean): void {
    this.batchesFailed++;
    this.lastError = { message: error.message, batchMs };
    this.sinks.batchFailed(error, batchMs);
    // Replayed readings were dead-lettered (or reduced) before the restart.
    if (nothingForwarded && !batch.replaying)
      for (const reading of batch.readings)
        this.sinks.deadLetter(reading, `job batch ${batchMs} failed before forwarding: ${error.message}`);
  }

  /** Batch times move on by at least the interval: processing-time windows need distinct, aligned times. */
  private nextBatchMs(nowMs: number): number {
    const aligned = nowMs - (nowMs % this.batchIntervalMs);
    return Math.max(aligned, this.ssc.nextBatchMs());
  }

  private remember(record: BatchRecord): void {
    this.recent.push(record);
    if (this.recent.length > recentBatchesMax) this.recent.shift();
  }

  // --- the job's state across restarts (JobStateKeeper) ---

  snapshot(appliedUpTo: number): void {
    const last = this.snapshots[this.snapshots.length - 1];
    if (last && last.offset >= appliedUpTo) return;
    this.snapshots.push({ offset: appliedUpTo, bytes: serialize(this.ssc.checkpoint()), written: false });
    if (this.snapshots.length > jobSnapshotsMax) this.thin();
  }

  /** Keeps the first and the last, and every other one between: replays may start a little earlier, never wrong. */
  private thin(): void {
    const kept = this.snapshots.filter((_, i) => i === 0 || i === this.snapshots.length - 1 || i % 2 === 0);
    this.snapshotsThinned += this.snapshots.length - kept.length;
    this.snapshots = kept;
  }

  checkpointFor(replayFromOffset: number): { replayFromOffset: number; operations: ReturnType<GatewayStore['jobStateOperation']>[] } {
    // The newest state from before the replay point; older ones are no longer needed. The
    // first kept is always below it: it was chosen for an earlier, lower replay point (or is
    // the state the job started from), and the windows' replay point only moves on.
    let chosen = 0;
    for (let i = 0; i < this.snapshots.length; i++) if (this.snapshots[i].offset < replayFromOffset) chosen = i;
    this.snapshots = this.snapshots.slice(chosen);
    const snapshot = this.snapshots[0];
    if (!snapshot) return { replayFromOffset, operations: [] };
    const operations = snapshot.written ? [] : [this.store.jobStateOperation({ offset: snapshot.offset, bytes: snapshot.bytes })];
    snapshot.written = true;
    return { replayFromOffset: snapshot.offset + 1, operations };
  }

  private restore(stored: StoredJobState | undefined, replayFromOffset: number, logger: Logger): void {
    const start = { offset: replayFromOffset - 1, bytes: serialize(this.ssc.checkpoint()), written: false };
    if (stored) {
      try {
        this.ssc.restore(stored.checkpoint());
        this.snapshots = [{ offset: stored.offset, bytes: stored.bytes, written: true }];
        logger.info({ offset: stored.offset }, 'job state restored');
        return;
      } catch (error) {
        logger.error({ error: (error as Error).message }, 'job state not restored (was the job changed?): the job starts afresh');
      }
    }
    this.snapshots = [start];
  }

  /** For the ops port's /jobs: the running job's lineage, its recent batches and engine jobs. */
  describe(): Record<string, unknown> {
    return {
      batchIntervalMs: this.batchIntervalMs,
      batchesRun: this.batchesRun,
      batchesFailed: this.batchesFailed,
      recordErrors: this.recordErrors,
      lastError: this.lastError ?? null,
      snapshotsHeld: this.snapshots.length,
      snapshotsThinned: this.snapshotsThinned,
      lineage: this.pipeline.lastReduction?.toDebugString() ?? null,
      recentBatches: [...this.recent].reverse(),
      recentJobs: this.rdd
        .jobs()
        .slice(-recentBatchesMax)
        .reverse()
        .map(({ jobId, operation, status, stages }) => ({ jobId, operation, status, stages })),
    };
  }

  async stop(): Promise<void> {
    await this.rdd.stop();
  }
}
