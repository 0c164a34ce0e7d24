import { OneParentRDD, type Partition, type RDD, type TaskContext, userFunctionError } from './internal.js';

/**
 * Applies a function to each whole partition of its parent: the node behind mapPartitions,
 * mapPartitionsWithIndex, glom, sample, randomSplit and zipWithUniqueId (element-wise steps
 * are ElementwiseRDDs). A narrow dependency, so it runs in the parent's stage.
 */
export class MapPartitionsRDD<T, U> extends OneParentRDD<T, U> {
  constructor(
    prev: RDD<T>,
    creationSite: string,
    private readonly f: (items: readonly T[], index: number) => U[],
    preservesPartitioning = false,
  ) {
    super(prev, creationSite, preservesPartitioning);
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
