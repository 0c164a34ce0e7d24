import { type Partition, RDD, type RddContext } from './internal.js';

interface SlicePartition extends Partition {
  readonly items: readonly unknown[];
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
    return Array.from({ length: k }, (_, index): SlicePartition => ({
      index,
      items: this.data.slice(Math.floor((index * n) / k), Math.floor(((index + 1) * n) / k)),
    }));
  }

  async compute(split: Partition): Promise<readonly T[]> {
    return (split as SlicePartition).items as readonly T[];
  }
}
