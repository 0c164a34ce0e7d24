import { NarrowDependency, type Partition, RDD, type TaskContext } from './internal.js';

interface CoalescedPartition extends Partition {
  readonly parentIndices: readonly number[];
}

/**
 * Fewer partitions without a shuffle: each child partition reads a contiguous range of parent
 * partitions. It cannot add partitions; asking for more keeps the parent's count, as in Spark.
 */
export class CoalescedRDD<T> extends RDD<T> {
  private readonly target: number;

  constructor(
    private readonly prev: RDD<T>,
    numPartitions: number,
  ) {
    super(prev.context, 'coalesce');
    this.target = Math.min(numPartitions, prev.getNumPartitions());
  }

  protected getPartitions(): Partition[] {
    const parents = this.prev.getNumPartitions();
    return Array.from({ length: this.target }, (_, index): CoalescedPartition => {
      const from = Math.floor((index * parents) / this.target);
      const to = Math.floor(((index + 1) * parents) / this.target);
      return { index, parentIndices: Array.from({ length: to - from }, (_, i) => from + i) };
    });
  }

  protected override getDependencies() {
    const partitions = () => this.partitions() as readonly CoalescedPartition[];
    return [
      new (class extends NarrowDependency<T> {
        getParents(partitionId: number): number[] {
          return [...partitions()[partitionId].parentIndices];
        }
      })(this.prev),
    ];
  }

  async compute(split: Partition, task: TaskContext): Promise<readonly T[]> {
    const parentSplits = this.prev.partitions();
    const out: T[] = [];
    for (const i of (split as CoalescedPartition).parentIndices) {
      for (const item of await this.prev.iterator(parentSplits[i], task)) out.push(item);
    }
    return out;
  }
}
