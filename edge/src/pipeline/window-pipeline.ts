import { type ClosedWindow, MetricState, PerSourceAggregator, type RddContext, type Reading } from '@fogline/shared';
import type { GatewayConfig } from '../config/gateway-config.js';
import type { Checkpoint, GatewayStore, StoredWatermark } from '../store/gateway-store.js';
import type { Outbox, UnsequencedEnvelope } from '../store/outbox.js';

export interface WindowPipelineEvents {
  onLate(reading: Reading): void;
  onWindowsWritten(windows: readonly ClosedWindow<string, MetricState>[], envelopes: number): void;
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
  readonly aggregator: PerSourceAggregator<string, Reading, MetricState>;
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
      createState: () => MetricState.empty(),
      addValue: (state, reading, ts) => state.add(reading.value, ts),
      openStatesMax: config.windows.openStatesMax,
      restingSourcesMax: config.windows.restingDevicesMax,
      // A store from before per-device watermarks: its one watermark is every device's start.
      // Either way no further ahead than the gateway's clock allows (it may have run ahead).
      watermarkOf: (deviceId) => {
        const stored = storedWatermarks.get(deviceId)?.watermarkMs ?? checkpoint.watermarkMs;
        return Number.isFinite(stored) ? Math.min(stored, this.watermarkCeilingMs(deviceId, Date.now())) : undefined;
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
    const closed = [...this.aggregator.closeReady(), ...this.aggregator.closeIdle(this.config.windows.idleCloseMs, nowMs)];
    return this.write(closed);
  }

  /** Closes the oldest open window now: the policy when the ingest log is full. */
  closeOldest(): Promise<void> {
    const oldest = this.aggregator.closeOldest();
    return this.write(oldest ? [oldest] : []);
  }

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

  /**
   * Queues alert records (or anything else for the outbox) behind the window writes, with a
   * checkpoint that only moves the seq forward, so a seq is never reused after a crash.
   */
  writeAlerts(alerts: Parameters<Outbox['alertOperations']>[0]): Promise<void> {
    if (alerts.length === 0) return this.writes;
    this.writes = this.writes.then(async () => {
      const operations = await this.outbox.alertOperations(alerts);
      const checkpoint = { ...this.persisted, nextSeq: this.outbox.nextSeq };
      await this.store.write([...operations, this.store.checkpointOperation(checkpoint)]);
      this.persisted = checkpoint;
    });
    return this.writes;
  }

  private write(closed: ClosedWindow<string, MetricState>[]): Promise<void> {
    // The replay point is taken now, when these windows leave the aggregator: a window
    // closed later is still counted as open by this checkpoint.
    const replayFromOffset = Math.min(this.aggregator.minOpenOffset() ?? Number.POSITIVE_INFINITY, this.appliedUpTo + 1);
    // Each no further than just before the device's oldest open window: never ahead of one.
    const watermarks = this.aggregator
      .takeChangedWatermarks()
      .map(([deviceId, watermarkMs]): [string, StoredWatermark] => [
        deviceId,
        { watermarkMs, gatewayClock: this.onGatewayClock.has(deviceId) },
      ]);
    if (closed.length === 0 && watermarks.length === 0 && replayFromOffset === this.persisted.replayFromOffset) return this.writes;
    this.writes = this.writes.then(async () => {
      const envelopes: UnsequencedEnvelope[] = [];
      for (const window of closed) envelopes.push(...(await this.envelopesOf(window)));
      const operations = await this.outbox.partitionOperations(envelopes);
      const checkpoint: Checkpoint = {
        replayFromOffset: Math.max(replayFromOffset, this.persisted.replayFromOffset),
        nextOffset: Math.max(this.appliedUpTo + 1, this.persisted.nextOffset),
        nextSeq: this.outbox.nextSeq,
        watermarkMs: Number.NEGATIVE_INFINITY, // kept per device now
      };
      await this.store.write([...operations, ...this.store.watermarkOperations(watermarks), this.store.checkpointOperation(checkpoint)]);
      this.persisted = checkpoint;
      this.windowsClosed += closed.length;
      this.events.onWindowsWritten(closed, envelopes.length);
    });
    return this.writes;
  }

  /** A closed window as envelopes: the RDD engine partitions its [key, state] records. */
  private async envelopesOf(window: ClosedWindow<string, MetricState>): Promise<UnsequencedEnvelope[]> {
    const partitionCount = this.config.windows.partitions;
    const parts = await this.rdd
      .parallelize(window.entries, 1)
      .map(([key, state]): [[string, string], MetricState] => {
        const slash = key.indexOf('/');
        return [[key.slice(0, slash), key.slice(slash + 1)], state];
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
