import { OneToOneDependency, type Partition, type Partitioner, RDD, type TaskContext, userFunctionError } from './internal.js';

/**
 * Applies a function to each partition of its parent: the node behind map, flatMap, filter,
 * mapPartitions, mapValues and friends. A narrow dependency, so it runs in the parent's stage.
 */
export class MapPartitionsRDD<T, U> extends RDD<U> {
  constructor(
    private readonly prev: RDD<T>,
    creationSite: string,
    private readonly f: (items: readonly T[], index: number) => U[],
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

  async compute(split: Partition, task: TaskContext): Promise<readonly U[]> {
    const items = await this.prev.iterator(split, task);
    try {
      return this.f(items, split.index);
    } catch (error) {
      throw userFunctionError(this.creationSite, this, error);
    }
  }
}
