import { type Partition, RDD, type RddContext } from './internal.js';

interface SlicePartition extends Partition {
  readonly start: number;
  readonly end: number;
}

/**
 * The data given to parallelize, sliced as Spark slices it: partition i holds elements
 * floor(i*n/k) up to floor((i+1)*n/k).
 */
export class ParallelCollectionRDD<T> extends RDD<T> {
  constructor(
    context: RddContext,
    private readonly data: readonly T[],
    private readonly numSlices: number,
  ) {
    super(context, 'parallelize');
  }

  protected getPartitions(): Partition[] {
    const n = this.data.length;
    const k = this.numSlices;
    return Array.from(
      { length: k },
      (_, index): SlicePartition => ({
        index,
        start: Math.floor((index * n) / k),
        end: Math.floor(((index + 1) * n) / k),
      }),
    );
  }

  async compute(split: Partition): Promise<readonly T[]> {
    const { start, end } = split as SlicePartition;
    return this.data.slice(start, end);
  }

  // Streams straight from the data, with no copy of the slice.
  protected override async streamCompute(split: Partition, _task: unknown, emit: (item: T) => void): Promise<void> {
    const { start, end } = split as SlicePartition;
    const data = this.data;
    for (let i = start; i < end; i++) emit(data[i]);
  }
}
