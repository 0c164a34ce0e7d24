import { indexPartitions, OneToOneDependency, type Partition, RDD, type RddContext, RddError, type TaskContext } from './internal.js';

/** Pairs the i-th elements of two RDDs partition by partition; sizes must match, as in Spark. */
export class ZippedPartitionsRDD<T, U> extends RDD<[T, U]> {
  constructor(
    context: RddContext,
    private readonly left: RDD<T>,
    private readonly right: RDD<U>,
  ) {
    super(context, 'zip');
  }

  protected getPartitions(): Partition[] {
    const [a, b] = [this.left.getNumPartitions(), this.right.getNumPartitions()];
    if (a !== b) {
      throw new RddError('RDD_ZIP_MISMATCH', `zip: can only zip RDDs with the same number of partitions, got ${a} and ${b}`);
    }
    return indexPartitions(a);
  }

  protected override getDependencies() {
    return [new OneToOneDependency(this.left), new OneToOneDependency(this.right)];
  }

  async compute(split: Partition, task: TaskContext): Promise<readonly [T, U][]> {
    const lefts = await this.left.iterator(this.left.partitions()[split.index], task);
    const rights = await this.right.iterator(this.right.partitions()[split.index], task);
    if (lefts.length !== rights.length) {
      throw new RddError(
        'RDD_ZIP_MISMATCH',
        `zip: can only zip RDDs with the same number of elements in each partition; partition ${split.index} has ${lefts.length} and ${rights.length}`,
      );
    }
    return lefts.map((a, i): [T, U] => [a, rights[i]]);
  }
}
