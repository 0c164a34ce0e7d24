import { NarrowDependency, type Partition, RDD, type RddContext, type TaskContext } from './internal.js';

interface CartesianPartition extends Partition {
  readonly left: Partition;
  readonly right: Partition;
}

/** Every pair of elements: one partition per pair of parent partitions. */
export class CartesianRDD<T, U> extends RDD<[T, U]> {
  constructor(
    context: RddContext,
    private readonly left: RDD<T>,
    private readonly right: RDD<U>,
  ) {
    super(context, 'cartesian');
  }

  protected getPartitions(): Partition[] {
    const rights = this.right.partitions();
    const out: CartesianPartition[] = [];
    for (const left of this.left.partitions()) {
      for (const right of rights) out.push({ index: out.length, left, right });
    }
    return out;
  }

  protected override getDependencies() {
    const width = this.right.getNumPartitions();
    return [
      new (class extends NarrowDependency<T> {
        getParents(id: number): number[] {
          return [Math.floor(id / width)];
        }
      })(this.left),
      new (class extends NarrowDependency<U> {
        getParents(id: number): number[] {
          return [id % width];
        }
      })(this.right),
    ];
  }

  async compute(split: Partition, task: TaskContext): Promise<readonly [T, U][]> {
    const { left, right } = split as CartesianPartition;
    const lefts = await this.left.iterator(left, task);
    const rights = await this.right.iterator(right, task);
    const out: [T, U][] = [];
    for (const a of lefts) for (const b of rights) out.push([a, b]);
    return out;
  }
}
