import { type ClosedWindow, type MetricState, PerSourceAggregator, type RddContext, type Reading } from '@fogline/shared';
import type { GatewayConfig } from '../config/gateway-config.js';
import type { Checkpoint, GatewayStore, StoredWatermark } from '../store/gateway-store.js';
import type { Outbox, UnsequencedEnvelope } from '../store/outbox.js';
import type { Alert } from './rules.js';
import { WindowState } from './window-state.js';

export interface WindowPipelineEvents {
  onLate(reading: Reading): void;
  /** A device-stamped reading its open window already holds (counted once). */
  onDuplicate(reading: Reading): void;
  onWindowsWritten(windows: readonly ClosedWindow<string, WindowState>[], envelopes: number): void;
}

/**
 * The default pipeline: every device x metric in tumbling event-time windows of
 * windows.sizeMs, reduced into MetricStates. Event time is per device: each device has its
 * own watermark, so one device's clock never makes another's readings late. When a device's
 * watermark passes a window (or its window has been idle for idleCloseMs, or a limit forces
 * it), its states leave; what closes at one check becomes, per window, an RDD of
 * [[deviceId, metric], state], is hash-partitioned into `partitions` partitions, and each
 * non-empty partition becomes one envelope. The envelopes and the checkpoint are written in
 * ONE batch, so after a crash either both are on disk or neither is.
 */
export class WindowPipeline {
  readonly aggregator: PerSourceAggregator<string, Reading, WindowState>;
  private appliedUpTo: number;
  private writes: Promise<void> = Promise.resolve();
  private persisted: Checkpoint;
  windowsClosed = 0;

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
        if (!state.add(reading)) this.events.onDuplicate(reading);
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

  /**
   * Folds readings into the windows, in offset order. `offset` is their log entry's, or
   * Infinity for QoS 0 on the fast path (no log entry: lost if the gateway crashes before the
   * window closes). Replayed readings for windows already closed were forwarded (or counted
   * late) before the restart: skipped.
   */
  apply(readings: readonly Reading[], offset: number, replaying: boolean, nowMs = Date.now()): void {
    for (const reading of readings) this.applyReading(reading, offset, replaying, nowMs);
    if (Number.isFinite(offset) && offset > this.appliedUpTo) this.appliedUpTo = offset;
  }

  private applyReading(reading: Reading, offset: number, replaying: boolean, nowMs: number): void {
    if (reading.arrival) this.onGatewayClock.add(reading.deviceId);
    else if (this.onGatewayClock.size > 0) this.onGatewayClock.delete(reading.deviceId);
    const outcome = this.aggregator.add(reading.deviceId, `${reading.deviceId}/${reading.metric}`, reading.ts, reading, offset, nowMs);
    if (outcome === 'late' && !replaying) this.events.onLate(reading);
  }

  /** Closes what each device's watermark has passed and what has been idle; writes them. */
  closeReady(nowMs = Date.now()): Promise<void> {
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
    const oldest = this.aggregator.closeOldest();
    this.closingForRoom = this.write(oldest ? [oldest] : []).finally(() => {
      this.closingForRoom = undefined;
    });
    return this.closingForRoom;
  }

  private closingForRoom: Promise<void> | undefined;

  /** Closes everything (graceful shutdown): the outbox then holds every reading received. */
  drain(): Promise<void> {
    return this.write(this.aggregator.closeAll());
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
    return this.queueWrite(this.persisted.replayFromOffset);
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
    return this.queueWrite(replayFromOffset);
  }

  /**
   * One write at a time, in order. A write that fails (a full disk) keeps what it held for the
   * next attempt, leaves the outbox as it was, and is counted; the chain goes on, so windows
   * resume by themselves when space returns. The failure reaches the caller of this attempt.
   */
  private queueWrite(replayFromOffset: number): Promise<void> {
    const attempt = this.writes.then(() => this.writePending(replayFromOffset));
    this.writes = attempt.catch(() => {});
    return attempt;
  }

  private async writePending(replayFromOffset: number): Promise<void> {
    const { windows, alerts, watermarks } = this.pending;
    this.pending = { windows: [], alerts: [], watermarks: new Map() };
    this.outbox.begin();
    try {
      const envelopes: UnsequencedEnvelope[] = [];
      for (const window of windows) envelopes.push(...(await this.envelopesOf(window)));
      const operations = [...(await this.outbox.alertOperations(alerts)), ...(await this.outbox.partitionOperations(envelopes))];
      const checkpoint: Checkpoint = {
        // Windows that failed to write before are in this write: the replay point may move past them.
        replayFromOffset: Math.max(replayFromOffset, this.persisted.replayFromOffset),
        nextOffset: Math.max(this.appliedUpTo + 1, this.persisted.nextOffset),
        nextSeq: this.outbox.nextSeq,
        watermarkMs: Number.NEGATIVE_INFINITY, // kept per device now
      };
      await this.store.write([
        ...operations,
        ...this.store.watermarkOperations([...watermarks]),
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
      .map(([key, state]): [[string, string], MetricState] => {
        const slash = key.indexOf('/');
        return [[key.slice(0, slash), key.slice(slash + 1)], state.metric];
      })
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
