import { indexPartitions, type Partition, type Partitioner, RDD, type RddContext } from './internal.js';

/** Reads a checkpointed RDD's partitions back from the context's disk store; it has no parents. */
export class CheckpointRDD<T> extends RDD<T> {
  constructor(
    context: RddContext,
    private readonly checkpointedRddId: number,
    private readonly numPartitions: number,
    private readonly part: Partitioner | undefined,
  ) {
    super(context, 'checkpoint');
  }

  protected getPartitions(): Partition[] {
    return indexPartitions(this.numPartitions);
  }

  override get partitioner(): Partitioner | undefined {
    return this.part;
  }

  compute(split: Partition): Promise<readonly T[]> {
    return this.context.blockManager.getCheckpoint(this.checkpointedRddId, split.index) as Promise<readonly T[]>;
  }
}
