import { OneParentRDD, type Partition, type RDD, type TaskContext } from './internal.js';

/**
 * Pairs each element with its global index. Spark counts the partitions eagerly when
 * zipWithIndex is called; transformations here are synchronous, so the count job runs the
 * first time a partition is computed, and its offsets are kept.
 */
export class ZippedWithIndexRDD<T> extends OneParentRDD<T, [T, number]> {
  private startIndices: Promise<number[]> | undefined;

  constructor(prev: RDD<T>) {
    super(prev, 'zipWithIndex');
  }

  private offsets(): Promise<number[]> {
    this.startIndices ??= this.prev
      .runJob((items) => items.length, 'zipWithIndex')
      .then((counts) => {
        const starts = [0];
        for (const count of counts) starts.push(starts[starts.length - 1] + count);
        return starts;
      });
    this.startIndices.catch(() => {
      this.startIndices = undefined;
    });
    return this.startIndices;
  }

  async compute(split: Partition, task: TaskContext): Promise<readonly [T, number][]> {
    const start = (await this.offsets())[split.index];
    const items = await this.prev.iterator(split, task);
    return items.map((item, i): [T, number] => [item, start + i]);
  }
}
