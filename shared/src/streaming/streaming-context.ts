import type { RddContext } from '../rdd/index.js';
import { type DStream, QueueInputDStream, type RDD, UnionDStream } from './internal.js';

/** Where a StreamingContext reads the time; tests and the simulator drive their own. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

interface OutputOperation {
  readonly stream: DStream<unknown>;
  readonly fn: (rdd: RDD<unknown>, timeMs: number) => void | Promise<void>;
}

/**
 * What a StreamingContext carries across a restart: the last batch time and every stateful
 * stream's state, by the order the job created its streams (a job must be built the same way
 * to be restored, as in Spark). Plain data: v8's serialize or MessagePack can store it.
 */
export interface StreamingCheckpoint {
  readonly version: 1;
  readonly lastBatchMs: number | undefined;
  readonly batchesRun: number;
  readonly streams: readonly { readonly index: number; readonly state: unknown }[];
}

/** What a failed batch is reported with, when the context runs its own batches (start()). */
export type BatchErrorHandler = (error: Error, timeMs: number) => void;

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

  /** Every element of every stream's batches. @example ssc.union([lisbon, porto]) */
  union<T>(streams: readonly DStream<T>[]): DStream<T> {
    return new UnionDStream(streams);
  }

  /** Batches that failed while the context ran them itself (start()), and the last error. */
  batchesFailed = 0;
  lastError: { readonly message: string; readonly timeMs: number } | undefined;

  /**
   * Runs a batch every batchIntervalMs until stop(). A batch that fails is counted
   * (batchesFailed, lastError) and given to onError (by default written to stderr): never
   * swallowed. The next batch runs as usual.
   */
  start(onError: BatchErrorHandler = (error, timeMs) => console.error(`streaming batch ${timeMs} failed: ${error.message}`)): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      const timeMs = this.nextBatchMs();
      this.running = this.running
        .then(() => this.runBatch(timeMs))
        .catch((error: Error) => {
          this.batchesFailed++;
          this.lastError = { message: error.message, timeMs };
          onError(error, timeMs);
        });
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

  /** The job's state now: take it between batches (after runBatch resolves). */
  checkpoint(): StreamingCheckpoint {
    const streams = this.streams.flatMap((stream, index) => {
      const state = stream.checkpointState();
      return state === undefined ? [] : [{ index, state }];
    });
    return { version: 1, lastBatchMs: this.lastBatchMs, batchesRun: this.batchesRun, streams };
  }

  /**
   * Takes back a checkpoint into a job built the same way, before its first batch: each
   * stateful stream gets its state, and batch times go on after the checkpoint's last.
   */
  restore(checkpoint: StreamingCheckpoint): void {
    if (checkpoint.version !== 1) throw new Error(`checkpoint: version was ${checkpoint.version}, expected 1`);
    for (const { index, state } of checkpoint.streams) {
      const stream = this.streams[index];
      if (!stream)
        throw new Error(
          `checkpoint: stream ${index} has state, but this job has ${this.streams.length} streams: is it built the same way?`,
        );
      stream.restoreState(state);
    }
    this.lastBatchMs = checkpoint.lastBatchMs;
    this.batchesRun = checkpoint.batchesRun;
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
