import { type ClosedWindow, type MetricState, PerSourceAggregator, type RDD, type RddContext, type Reading } from '@fogline/shared';
import type { GatewayConfig } from '../config/gateway-config.js';
import { metricNamePattern } from '../ingest/decode-payload.js';
import type { BatchOperation, Checkpoint, GatewayStore, StoredWatermark } from '../store/gateway-store.js';
import type { Outbox, UnsequencedEnvelope } from '../store/outbox.js';
import { type OffsetReading, offsetOf } from './log-offset.js';
import type { Alert } from './rules.js';
import { WindowState } from './window-state.js';

export interface WindowPipelineEvents {
  onLate(reading: Reading): void;
  /** A device-stamped reading its open window already holds (counted once). */
  onDuplicate(reading: Reading): void;
  /** A reading a job forwarded that the windows cannot take (a non-finite value, say): why. */
  onRefused(reading: Reading, reason: string): void;
  onWindowsWritten(windows: readonly ClosedWindow<string, WindowState>[], envelopes: number): void;
}

/** One stream a job forwards into the windows, as this micro-batch's RDD. */
export interface ForwardedBatch {
  readonly rdd: RDD<OffsetReading>;
  /**
   * False: no reading of it is dropped as a duplicate of (device, metric, ts), as a rollup of
   * many devices under one name needs.
   */
  readonly distinct: boolean;
}

/** What a micro-batch is, for the windows. */
export interface BatchInfo {
  /** The highest log offset among the batch's readings (-Infinity when none was logged). */
  readonly logOffsetMax: number;
  /** Readings replayed from the log at start: their late ones were counted before the restart. */
  readonly replaying: boolean;
  readonly nowMs: number;
}

/**
 * What the job keeps across a restart, written with each checkpoint: the job's state as it
 * was after some log offset, and so how far back the log must be kept and replayed.
 */
export interface JobStateKeeper {
  /** The job's state now, after every reading up to appliedUpTo (called between batches). */
  snapshot(appliedUpTo: number): void;
  /** The state to store beside a checkpoint whose windows replay from replayFromOffset: the replay point it needs, and its write. */
  checkpointFor(replayFromOffset: number): { replayFromOffset: number; operations: BatchOperation[] };
}

/** Valid device ids and metric names remembered at most (see isName); past it each is checked again. */
export const namesKnownMax = 100_000;

/** Orders log offsets; Infinity (QoS 0, not logged) after every finite one. */
function compareOffsets(a: number, b: number): number {
  return a === b ? 0 : a < b ? -1 : 1;
}

/**
 * The gateway's reduction, as a stateful streaming aggregation on the RDD engine (Spark
 * Structured Streaming's, with a watermark): every device x metric in tumbling event-time
 * windows of windows.sizeMs, reduced into MetricStates.
 *
 * Each micro-batch is one engine job (reduceBatch):
 *   1. the batch's readings (an RDD, each stream the job forwards) go through the event-time
 *      step: a narrow mapPartitions that, per device, moves the watermark, drops late readings
 *      and duplicates, and keys each reading by the open window state it belongs to;
 *   2. combineByKey folds the values into MetricStates. The combiner of each key starts from
 *      the state store's own MetricState for that window (createCombiner is given the key),
 *      so merging the batch into the store costs nothing: a fresh partial per key and batch
 *      would allocate a sketch per reading at one reading per device per batch.
 *
 * Event time is per device: each device has its own watermark, so one device's clock never
 * makes another's readings late. When a device's watermark passes a window (or its window has
 * been idle for idleCloseMs, or a limit forces it), its states leave; what closes at one check
 * becomes, per window, an RDD of [[deviceId, metric], state], is hash-partitioned into
 * `partitions` partitions, and each non-empty partition becomes one envelope. The envelopes
 * and the checkpoint are written in ONE batch, so after a crash either both are on disk or
 * neither is. Batches, closes and drains run one at a time (exclusive): a window never closes
 * between a batch's two steps.
 */
export class WindowPipeline {
  readonly aggregator: PerSourceAggregator<string, OffsetReading, WindowState>;
  private appliedUpTo: number;
  private writes: Promise<void> = Promise.resolve();
  private persisted: Checkpoint;
  windowsClosed = 0;
  /** The last batch's reduction, for its lineage (the ops port's /jobs). */
  lastReduction: RDD<unknown> | undefined;
  /** Where the event-time step puts what it admits, while it runs (it is synchronous). */
  private placing: { out: [number, OffsetReading][]; states: Map<number, WindowState>; distinct: boolean } | undefined;
  private serial: Promise<unknown> = Promise.resolve();
  jobState: JobStateKeeper | undefined;

  constructor(
    private readonly store: GatewayStore,
    private readonly outbox: Outbox,
    private readonly rdd: RddContext,
    private readonly config: GatewayConfig,
    checkpoint: Checkpoint,
    private readonly events: WindowPipelineEvents,
    /** Each device's stored watermark. */
    storedWatermarks: ReadonlyMap<string, StoredWatermark> = new Map(),
  ) {
    for (const [deviceId, { gatewayClock }] of storedWatermarks) if (gatewayClock) this.onGatewayClock.add(deviceId);
    this.persisted = checkpoint;
    this.appliedUpTo = checkpoint.replayFromOffset - 1;
    this.aggregator = new PerSourceAggregator({
      window: { kind: 'tumbling', sizeMs: config.windows.sizeMs },
      allowedLatenessMs: config.windows.allowedLatenessMs,
      createState: () => new WindowState(),
      addValue: (state, reading) => {
        const placing = this.placing as NonNullable<typeof this.placing>;
        if (!state.admit(reading, placing.distinct)) this.events.onDuplicate(reading);
        else {
          placing.states.set(state.id, state);
          placing.out.push([state.id, reading]);
        }
        return state;
      },
      openStatesMax: config.windows.openStatesMax,
      restingSourcesMax: config.windows.restingDevicesMax,
      // A store from before per-device watermarks: its one watermark is every device's start.
      // Either way no further ahead than the gateway's clock allows (it may have run ahead).
      checkpointOf: (deviceId) => {
        const stored = storedWatermarks.get(deviceId);
        const watermarkMs = stored?.watermarkMs ?? checkpoint.watermarkMs;
        return {
          watermarkMs: Number.isFinite(watermarkMs) ? Math.min(watermarkMs, this.watermarkCeilingMs(deviceId, Date.now())) : undefined,
          closedEarly: stored?.closedEarly,
        };
      },
    });
  }

  /**
   * Runs fn after everything queued before it, alone: batches (the job and its reduction),
   * closes and drains never interleave, so a window never closes between a batch's steps and
   * a checkpoint always sees the job and the windows at the same offset.
   */
  exclusive<T>(fn: () => T | Promise<T>): Promise<T> {
    const run = this.serial.then(fn);
    this.serial = run.catch(() => {});
    return run;
  }

  /**
   * Reduces one micro-batch into the windows: the engine job described above. Readings
   * replayed for windows already closed were forwarded (or counted late) before the restart:
   * skipped. Resolves to the number of (window, device, metric) states the batch touched.
   * Call it inside exclusive().
   */
  async reduceBatch(forwarded: readonly ForwardedBatch[], batch: BatchInfo): Promise<number> {
    const states = new Map<number, WindowState>();
    if (forwarded.length === 0) return 0;
    const reduced = this.eventTimeStep(forwarded, states, batch)
      .combineByKey<number, OffsetReading, MetricState>(
        (reading, id) => (states.get(id) as WindowState).metric.add(reading.value, reading.ts),
        (state, reading) => state.add(reading.value, reading.ts),
        (a, b) => (a === b ? a : a.merge(b)),
        1,
      )
      .setName('aggregateByKey into the window state store');
    this.lastReduction = reduced;
    try {
      return await reduced.count();
    } finally {
      this.skipBatch(batch);
    }
  }

  /** The batch's log entries are applied: a batch with nothing forwarded still moves the replay point past them. */
  skipBatch(batch: BatchInfo): void {
    if (batch.logOffsetMax > this.appliedUpTo) this.appliedUpTo = batch.logOffsetMax;
  }

  /**
   * The event-time step, deciding late and duplicate readings per device in log-offset order,
   * as a replay decides them: so a restart, whose batches are cut differently, decides the
   * same. One stream (the default job's) is in that order already. Several are merged into
   * one partition and sorted by offset, stably: a reading a job derived comes right after the
   * one it came from, not after the whole batch has moved the watermark on.
   */
  private eventTimeStep(forwarded: readonly ForwardedBatch[], states: Map<number, WindowState>, batch: BatchInfo) {
    const name = 'event time: watermark, late, duplicates';
    if (forwarded.length === 1) {
      const { rdd, distinct } = forwarded[0];
      return rdd.mapPartitions((readings) => this.placeAll(readings, () => distinct, states, batch)).setName(name);
    }
    const tagged = forwarded.map(({ rdd, distinct }) => rdd.map((reading): [OffsetReading, boolean] => [reading, distinct]));
    const { logOffsetMax } = batch;
    return tagged[0].context
      .union(tagged)
      .coalesce(1)
      .mapPartitions((pairs) => {
        const sorted = pairs.slice().sort((a, b) => compareOffsets(offsetOf(a[0], logOffsetMax), offsetOf(b[0], logOffsetMax)));
        return this.placeAll(
          sorted.map((pair) => pair[0]),
          (i) => sorted[i][1],
          states,
          batch,
        );
      })
      .setName(name);
  }

  /** The event-time step of one partition: admitted readings, keyed by their window state's id. */
  private placeAll(
    readings: readonly OffsetReading[],
    distinctAt: (index: number) => boolean,
    states: Map<number, WindowState>,
    { logOffsetMax, replaying, nowMs }: BatchInfo,
  ): [number, OffsetReading][] {
    const out: [number, OffsetReading][] = [];
    const placing = { out, states, distinct: true };
    this.placing = placing;
    try {
      for (let i = 0; i < readings.length; i++) {
        const reading = readings[i];
        placing.distinct = distinctAt(i);
        const problem = this.problemOf(reading);
        if (problem !== undefined) {
          this.events.onRefused(reading, problem);
          continue;
        }
        if (reading.arrival) this.onGatewayClock.add(reading.deviceId);
        else if (this.onGatewayClock.size > 0) this.onGatewayClock.delete(reading.deviceId);
        const offset = offsetOf(reading, logOffsetMax);
        // Keyed by metric alone: each device has an aggregator of its own (the state knows both).
        const outcome = this.aggregator.add(reading.deviceId, reading.metric, reading.ts, reading, offset, nowMs);
        if (outcome === 'late' && !replaying) this.events.onLate(reading);
      }
    } finally {
      this.placing = undefined;
    }
    return out;
  }

  /**
   * Why the windows cannot take a reading, or undefined. Decoded readings always pass (the
   * decoder checks the same); a job's derived ones may not (a division by zero).
   */
  private problemOf(reading: Reading): string | undefined {
    if (reading === null || typeof reading !== 'object') return `reading was ${String(reading)}, expected a reading object`;
    const { deviceId, metric, value, ts } = reading;
    if (!this.isName(deviceId)) return `deviceId was ${JSON.stringify(deviceId)}, expected 1-64 letters, digits, _ . : -`;
    if (!this.isName(metric)) return `metric was ${JSON.stringify(metric)}, expected 1-64 letters, digits, _ . : -`;
    if (typeof value !== 'number' || !(Math.abs(value) <= this.config.limits.valueAbsMax))
      return `value was ${String(value)}, expected a finite number within limits.valueAbsMax (${this.config.limits.valueAbsMax})`;
    if (typeof ts !== 'number' || !Number.isFinite(ts)) return `ts was ${String(ts)}, expected epoch milliseconds`;
    return undefined;
  }

  /**
   * A device id or metric name as the device contract allows them (a job may make any string).
   * Names seen valid are remembered, up to namesKnownMax, so the usual reading costs a set
   * lookup rather than a regular expression.
   */
  private isName(name: unknown): boolean {
    if (typeof name !== 'string') return false;
    if (this.namesKnown.has(name)) return true;
    if (!metricNamePattern.test(name)) return false;
    if (this.namesKnown.size < namesKnownMax) this.namesKnown.add(name);
    return true;
  }

  private readonly namesKnown = new Set<string>();

  /** Devices whose newest readings were stamped on arrival: their event time is the gateway's clock. */
  private readonly onGatewayClock = new Set<string>();

  /**
   * The highest watermark a device can rightly have: readings stamped on arrival are never
   * ahead of the gateway's clock, and a device's own stamps never more than futureSkewMsMax
   * (further ones are dead-lettered). One beyond came from a clock that ran ahead and was set
   * right, the gateway's own included: it is pulled back, so it cannot make the readings that
   * follow late.
   */
  private watermarkCeilingMs(deviceId: string, nowMs: number): number {
    const { futureSkewMsMax } = this.config.limits;
    const { allowedLatenessMs } = this.config.windows;
    if (this.onGatewayClock.has(deviceId)) return nowMs - allowedLatenessMs;
    return futureSkewMsMax > 0 ? nowMs + futureSkewMsMax - allowedLatenessMs : Number.POSITIVE_INFINITY;
  }

  /** Closes what each device's watermark has passed and what has been idle; writes them. */
  closeReady(nowMs = Date.now()): Promise<void> {
    return this.exclusive(() => ({ written: this.closeReadyNow(nowMs) })).then(({ written }) => written);
  }

  private closeReadyNow(nowMs: number): Promise<void> {
    this.aggregator.clampWatermarks((deviceId) => this.watermarkCeilingMs(deviceId, nowMs));
    const closed = this.aggregator.closeReady();
    // While the gateway itself could not take readings (a failed ingest write), devices only
    // look idle: their resends are on the way, so idle windows wait a full idleCloseMs after.
    const { idleCloseMs } = this.config.windows;
    if (nowMs - this.lastIngestFailureMs >= idleCloseMs) closed.push(...this.aggregator.closeIdle(idleCloseMs, nowMs));
    return this.write(closed);
  }

  /** When an ingest-log write last failed (see closeReady). */
  lastIngestFailureMs = Number.NEGATIVE_INFINITY;

  /**
   * The policy when the ingest log is full: close the oldest open window early, so that its
   * log entries can go once it is written. One at a time: the refusals of a burst must not
   * close every window. Nothing is lost: a later reading for it opens it again (see
   * EventTimeAggregator.closeOldest).
   */
  closeOldest(): Promise<void> {
    if (this.closingForRoom) return this.closingForRoom;
    this.closingForRoom = this.exclusive(() => {
      const oldest = this.aggregator.closeOldest();
      return { written: this.write(oldest ? [oldest] : []) };
    })
      .then(({ written }) => written)
      .finally(() => {
        this.closingForRoom = undefined;
      });
    return this.closingForRoom;
  }

  private closingForRoom: Promise<void> | undefined;

  /** Closes everything (graceful shutdown): the outbox then holds every reading received. */
  drain(): Promise<void> {
    return this.exclusive(() => ({ written: this.write(this.aggregator.closeAll()) })).then(({ written }) => written);
  }

  /** Waits for every write queued so far. */
  flushed(): Promise<void> {
    return this.writes;
  }

  /** The checkpoint last written. */
  get checkpoint(): Checkpoint {
    return this.persisted;
  }

  /** Queues alert records for the outbox behind the window writes, in the same retried write. */
  writeAlerts(alerts: readonly Alert[]): Promise<void> {
    if (alerts.length === 0) return this.writes;
    this.pending.alerts.push(...alerts);
    return this.queueWrite(this.persisted.replayFromOffset, this.appliedUpTo);
  }

  /** Closed windows, alerts and watermarks waiting for a write that succeeds, with the number of failed attempts. */
  private pending = {
    windows: [] as ClosedWindow<string, WindowState>[],
    alerts: [] as Alert[],
    watermarks: new Map<string, StoredWatermark>(),
  };
  writeFailures = 0;

  /** Windows and alerts whose write failed and waits for the next attempt (every window check). */
  get pendingWrites(): number {
    return this.pending.windows.length + this.pending.alerts.length;
  }

  private write(closed: ClosedWindow<string, WindowState>[]): Promise<void> {
    // The replay point is taken now, when these windows leave the aggregator: a window
    // closed later is still counted as open by this checkpoint.
    const replayFromOffset = Math.min(this.aggregator.minOpenOffset() ?? Number.POSITIVE_INFINITY, this.appliedUpTo + 1);
    // Each no further than just before the device's oldest open window: never ahead of one.
    for (const [deviceId, checkpoint] of this.aggregator.takeChangedCheckpoints())
      this.pending.watermarks.set(deviceId, { ...checkpoint, gatewayClock: this.onGatewayClock.has(deviceId) });
    this.pending.windows.push(...closed);
    const idle = this.pendingWrites === 0 && this.pending.watermarks.size === 0;
    if (idle && replayFromOffset === this.persisted.replayFromOffset) return this.writes;
    // Called between batches: the job's state now goes with this offset.
    this.jobState?.snapshot(this.appliedUpTo);
    return this.queueWrite(replayFromOffset, this.appliedUpTo);
  }

  /**
   * One write at a time, in order. A write that fails (a full disk) keeps what it held for the
   * next attempt, leaves the outbox as it was, and is counted; the chain goes on, so windows
   * resume by themselves when space returns. The failure reaches the caller of this attempt.
   */
  private queueWrite(replayFromOffset: number, appliedUpTo: number): Promise<void> {
    const attempt = this.writes.then(() => this.writePending(replayFromOffset, appliedUpTo));
    this.writes = attempt.catch(() => {});
    return attempt;
  }

  /** appliedUpTo: the offset every alert queued so far came from (taken when the write was queued). */
  private async writePending(replayFromOffset: number, appliedUpTo: number): Promise<void> {
    const { windows, alerts, watermarks } = this.pending;
    this.pending = { windows: [], alerts: [], watermarks: new Map() };
    this.outbox.begin();
    try {
      const envelopes: UnsequencedEnvelope[] = [];
      for (const window of windows) envelopes.push(...(await this.envelopesOf(window)));
      const operations = [...(await this.outbox.alertOperations(alerts)), ...(await this.outbox.partitionOperations(envelopes))];
      // Windows that failed to write before are in this write: the replay point may move past them.
      const windowsReplayFrom = Math.max(replayFromOffset, this.persisted.replayFromOffset);
      // The job's state is stored as it was before that point: the replay goes back to it.
      const job = this.jobState?.checkpointFor(windowsReplayFrom) ?? { replayFromOffset: windowsReplayFrom, operations: [] };
      const checkpoint: Checkpoint = {
        replayFromOffset: Math.min(windowsReplayFrom, job.replayFromOffset),
        nextOffset: Math.max(appliedUpTo + 1, this.persisted.nextOffset),
        nextSeq: this.outbox.nextSeq,
        watermarkMs: Number.NEGATIVE_INFINITY, // kept per device now
      };
      await this.store.write([
        ...operations,
        ...this.store.watermarkOperations([...watermarks]),
        ...job.operations,
        this.store.checkpointOperation(checkpoint),
      ]);
      this.outbox.commit();
      this.persisted = checkpoint;
      this.windowsClosed += windows.length;
      this.events.onWindowsWritten(windows, envelopes.length);
    } catch (error) {
      this.outbox.rollback();
      this.pending.windows.unshift(...windows);
      this.pending.alerts.unshift(...alerts);
      for (const [deviceId, watermark] of watermarks)
        if (!this.pending.watermarks.has(deviceId)) this.pending.watermarks.set(deviceId, watermark);
      this.writeFailures++;
      throw error;
    }
  }

  /** A closed window as envelopes: the RDD engine partitions its [key, state] records. */
  private async envelopesOf(window: ClosedWindow<string, WindowState>): Promise<UnsequencedEnvelope[]> {
    const partitionCount = this.config.windows.partitions;
    const parts = await this.rdd
      .parallelize(window.entries, 1)
      .map(([, state]): [[string, string], MetricState] => [[state.deviceId, state.metricName], state.metric])
      .partitionBy(partitionCount)
      .glom()
      .collect();
    const createdAtMs = Date.now();
    return parts.flatMap((records, partition) =>
      records.length === 0
        ? []
        : [
            {
              gatewayId: this.config.gatewayId,
              windowStartMs: window.startMs,
              windowEndMs: window.endMs,
              partition,
              partitionCount,
              createdAtMs,
              records,
            },
          ],
    );
  }
}
