import type { RddContext } from '../rdd/index.js';
import type { DStream } from './dstream.js';
import { QueueInputDStream } from './queue-input-dstream.js';

/** Where a StreamingContext reads the time; tests and the simulator drive their own. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

interface OutputOperation {
  readonly stream: DStream<unknown>;
  readonly fn: (rdd: import('../rdd/index.js').RDD<unknown>, timeMs: number) => void | Promise<void>;
}

/**
 * Micro-batches in the Spark Streaming style: every batchIntervalMs, each output operation
 * (foreachRDD) gets the RDD its DStream generates for that batch time, and runs it.
 *
 * @example
 * const ssc = new StreamingContext(rddContext, 1000);
 * const readings = ssc.queueStream<Reading>();
 * readings.map((r) => [r.deviceId, r.value]).reduceByKeyAndWindow((a, b) => a + b, (a, b) => a - b, 60_000, 1000)
 *   .foreachRDD(async (rdd) => console.log(await rdd.collect()));
 * ssc.start();
 */
export class StreamingContext {
  private readonly outputs: OutputOperation[] = [];
  private readonly streams: DStream<unknown>[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private lastBatchMs: number | undefined;
  batchesRun = 0;

  constructor(
    readonly rddContext: RddContext,
    readonly batchIntervalMs: number,
    readonly clock: Clock = systemClock,
  ) {
    if (!Number.isInteger(batchIntervalMs) || batchIntervalMs < 1) {
      throw new RangeError(`StreamingContext: batchIntervalMs was ${batchIntervalMs}, expected a positive integer`);
    }
  }

  /** An input stream fed by push(); each batch takes what was pushed since the last one. */
  queueStream<T>(queuedItemsMax?: number): QueueInputDStream<T> {
    return new QueueInputDStream<T>(this, queuedItemsMax);
  }

  /** Runs a batch every batchIntervalMs until stop(). */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.running = this.running.then(() => this.runBatch()).catch(() => {});
    }, this.batchIntervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /**
   * Runs one batch for timeMs (default: the clock's time, aligned to the interval): every
   * output operation, in the order they were registered. Errors reject the call.
   */
  async runBatch(timeMs = this.alignedNow()): Promise<void> {
    if (this.lastBatchMs !== undefined && timeMs <= this.lastBatchMs) return;
    this.lastBatchMs = timeMs;
    for (const output of this.outputs) {
      const rdd = await output.stream.getOrCompute(timeMs);
      if (rdd) await output.fn(rdd, timeMs);
    }
    for (const stream of this.streams) stream.forgetBefore(timeMs);
    this.batchesRun++;
  }

  /** The batch time after `timeMs`, or after the last batch. */
  nextBatchMs(): number {
    return this.lastBatchMs === undefined ? this.alignedNow() : this.lastBatchMs + this.batchIntervalMs;
  }

  register(stream: DStream<unknown>): void {
    this.streams.push(stream);
  }

  addOutput(stream: DStream<unknown>, fn: OutputOperation['fn']): void {
    this.outputs.push({ stream, fn });
  }

  private alignedNow(): number {
    const now = this.clock.now();
    return now - (now % this.batchIntervalMs);
  }
}
