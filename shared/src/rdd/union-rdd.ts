import { type Dependency, type Partition, RangeDependency, RDD, type RddContext, type TaskContext } from './internal.js';

interface UnionPartition extends Partition {
  readonly parent: RDD<unknown>;
  readonly parentSplit: Partition;
}

/** The partitions of all parents, one after another; narrow, no shuffle. */
export class UnionRDD<T> extends RDD<T> {
  constructor(
    context: RddContext,
    private readonly rdds: readonly RDD<T>[],
  ) {
    super(context, 'union');
  }

  protected getPartitions(): Partition[] {
    const out: UnionPartition[] = [];
    for (const parent of this.rdds) {
      for (const parentSplit of parent.partitions()) out.push({ index: out.length, parent, parentSplit });
    }
    return out;
  }

  protected override getDependencies(): Dependency<unknown>[] {
    let outStart = 0;
    return this.rdds.map((rdd) => {
      const dependency = new RangeDependency<unknown>(rdd, 0, outStart, rdd.getNumPartitions());
      outStart += rdd.getNumPartitions();
      return dependency;
    });
  }

  compute(split: Partition, task: TaskContext): Promise<readonly T[]> {
    const { parent, parentSplit } = split as UnionPartition;
    return parent.iterator(parentSplit, task) as Promise<readonly T[]>;
  }
}
