import type { Reading } from '@fogline/shared';
import type { MicroBatch } from './gateway-job.js';
import { logOffset, type OffsetReading, tagOffsets } from './log-offset.js';

/** How readings are cut into micro-batches, and how many may wait. */
export interface BatchLimits {
  /** A batch runs at most this long after its first reading arrived. */
  readonly batchIntervalMs: number;
  /** A batch holds at most this many readings; a full one runs at once. */
  readonly batchReadingsMax: number;
  /** Readings waiting for the job at most; past it, publishes are refused (see hasRoomFor). */
  readonly queuedReadingsMax: number;
}

/**
 * The one place readings enter the gateway's job: committed log entries (QoS 1, and QoS 0
 * when durable) and QoS 0 on the fast path both hand their readings here, and a restart's
 * replay does too. Readings queue in arrival order, tagged with their log offset, and leave
 * as micro-batches, by time (batchIntervalMs) and by count (batchReadingsMax), one batch at a
 * time: under load each batch takes what queued while the last ran, as Spark Structured
 * Streaming's default trigger does.
 */
export class ReadingRouter {
  private queue: OffsetReading[] = [];
  private running: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private replayBatch: OffsetReading[] = [];
  private replayOffsetMax = Number.NEGATIVE_INFINITY;
  private replayAlertsWritten = false;

  constructor(
    private readonly runner: { run(batch: MicroBatch): Promise<void> },
    readonly limits: BatchLimits,
    /** Told of every reading routed live (metrics, processing-time pipelines). */
    private readonly onRouted: (readings: readonly Reading[]) => void = () => {},
  ) {}

  /** Readings waiting for the job. */
  get queued(): number {
    return this.queue.length;
  }

  /** Whether n more readings may queue now: ingest refuses a publish that would pass queuedReadingsMax. */
  hasRoomFor(n: number): boolean {
    return this.queue.length + n <= this.limits.queuedReadingsMax;
  }

  /** Live readings of one log entry (offset), or of a QoS 0 publish not logged (offset Infinity). */
  route(readings: readonly Reading[], offset: number): void {
    // A log entry can hold no reading (a clean disconnect's mark): nothing for the job.
    if (readings.length === 0) return;
    const queue = this.queue;
    for (const reading of tagOffsets(readings, offset)) queue.push(reading);
    this.onRouted(readings);
    this.kick(queue.length >= this.limits.batchReadingsMax ? 0 : this.limits.batchIntervalMs);
  }

  private kick(delayMs: number): void {
    if (this.running) return; // the running loop takes what queued
    if (delayMs === 0) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.startDrain();
    } else {
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.startDrain();
      }, delayMs);
    }
  }

  /**
   * Runs batches until the queue is empty, as `running`. Cleared when that very run ends (a
   * run's own finally would clear it before it was even set, if it found nothing to do).
   */
  private startDrain(): void {
    if (this.running || this.queue.length === 0) return;
    const run = this.drain();
    this.running = run;
    // The runner counts and reports a batch's failures itself; the loop only must not stop.
    void run
      .catch(() => {})
      .finally(() => {
        if (this.running === run) this.running = undefined;
      });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const readings = this.take();
      await this.runner.run({ readings, logOffsetMax: logOffsetMaxOf(readings), replaying: false, alertsWritten: false });
    }
  }

  private take(): OffsetReading[] {
    const max = this.limits.batchReadingsMax;
    if (this.queue.length <= max) {
      const all = this.queue;
      this.queue = [];
      return all;
    }
    // Never between two readings of one publish: a job pairs them within a batch (a derived
    // metric of two values sent together), and a replay, cut elsewhere, must pair them too.
    let cut = max;
    while (cut < this.queue.length && samePublish(this.queue[cut - 1], this.queue[cut])) cut++;
    const head = this.queue.slice(0, cut);
    this.queue = this.queue.slice(cut);
    return head;
  }

  /** Waits until every reading routed so far has been through the job. */
  async flushed(): Promise<void> {
    while (this.running || this.queue.length > 0) {
      this.kick(0);
      await this.running?.catch(() => {});
    }
  }

  /**
   * One log entry of a restart's replay, in offset order. `alertsWritten`: its alerts were
   * written before the restart (the entry is below the checkpoint's nextOffset), so the job
   * must not raise them again; a batch never mixes the two.
   */
  async replay(readings: readonly Reading[], offset: number, alertsWritten: boolean): Promise<void> {
    if (this.replayBatch.length > 0 && alertsWritten !== this.replayAlertsWritten) await this.endReplay();
    this.replayAlertsWritten = alertsWritten;
    for (const reading of tagOffsets(readings, offset)) this.replayBatch.push(reading);
    this.replayOffsetMax = offset;
    if (this.replayBatch.length >= this.limits.batchReadingsMax) await this.endReplay();
  }

  /** Runs what the replay has gathered. */
  async endReplay(): Promise<void> {
    if (this.replayBatch.length === 0) return;
    const batch: MicroBatch = {
      readings: this.replayBatch,
      logOffsetMax: this.replayOffsetMax,
      replaying: true,
      alertsWritten: this.replayAlertsWritten,
    };
    this.replayBatch = [];
    await this.runner.run(batch);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/** The highest log offset among raw readings (QoS 0 ones on the fast path carry Infinity and do not count). */
function logOffsetMaxOf(readings: readonly OffsetReading[]): number {
  // Log entries are routed in offset order: the last finite offset is the highest.
  for (let i = readings.length - 1; i >= 0; i--) {
    const offset = readings[i][logOffset] as number;
    if (Number.isFinite(offset)) return offset;
  }
  return Number.NEGATIVE_INFINITY;
}

/** Two readings of one publish: one log entry, or (QoS 0, not logged) one device at one time. */
function samePublish(a: OffsetReading, b: OffsetReading): boolean {
  const offset = a[logOffset] as number;
  if (offset !== b[logOffset]) return false;
  return Number.isFinite(offset) || (a.deviceId === b.deviceId && a.ts === b.ts);
}
