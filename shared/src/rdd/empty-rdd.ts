import { type Partition, RDD, type RddContext } from './internal.js';

/** An RDD with no partitions. */
export class EmptyRDD<T> extends RDD<T> {
  constructor(context: RddContext) {
    super(context, 'emptyRDD');
  }

  protected getPartitions(): Partition[] {
    return [];
  }

  async compute(): Promise<readonly T[]> {
    return [];
  }
}
