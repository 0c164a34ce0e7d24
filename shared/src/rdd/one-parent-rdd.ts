import { OneToOneDependency, type Partition, type Partitioner, RDD } from './internal.js';

/**
 * A node with one parent and the same partitions, partition i reading the parent's partition
 * i (a one-to-one narrow dependency): what map-like node classes share.
 */
export abstract class OneParentRDD<T, U> extends RDD<U> {
  constructor(
    protected readonly prev: RDD<T>,
    creationSite: string,
    private readonly preservesPartitioning = false,
  ) {
    super(prev.context, creationSite);
  }

  protected getPartitions(): Partition[] {
    return this.prev.partitions().slice();
  }

  protected override getDependencies() {
    return [new OneToOneDependency(this.prev)];
  }

  override get partitioner(): Partitioner | undefined {
    return this.preservesPartitioning ? this.prev.partitioner : undefined;
  }
}
