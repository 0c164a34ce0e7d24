import { DStream, type RDD, type StreamingContext } from './internal.js';

/**
 * An input stream fed by push(). Each batch takes everything pushed since the previous one.
 * Bounded: past queuedItemsMax, push refuses the items and counts them in `refused`, so a
 * stalled job shows up in metrics instead of in the process's memory. What waits in the
 * queue is not in the checkpoint: its source (the gateway's log) feeds it again after a restart.
 */
export class QueueInputDStream<T> extends DStream<T> {
  private queue: T[] = [];
  refused = 0;

  constructor(
    ssc: StreamingContext,
    readonly queuedItemsMax = 1_000_000,
  ) {
    super(ssc);
  }

  /** Adds items for the next batch; returns how many were accepted. */
  push(items: readonly T[]): number {
    const room = Math.max(0, this.queuedItemsMax - this.queue.length);
    const accepted = items.length <= room ? items : items.slice(0, room);
    for (const item of accepted) this.queue.push(item);
    this.refused += items.length - accepted.length;
    return accepted.length;
  }

  protected async compute(): Promise<RDD<T>> {
    const batch = this.queue;
    this.queue = [];
    return this.ssc.rddContext.parallelize(batch);
  }
}
