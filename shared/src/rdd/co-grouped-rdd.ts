import {
  type Dependency,
  indexPartitions,
  KeyMap,
  OneToOneDependency,
  type Partition,
  type Partitioner,
  parentPartition,
  RDD,
  ShuffleDependency,
  type TaskContext,
} from './internal.js';

/**
 * For each key, the values from every parent: [key, [vs0, vs1, ...]]. A parent already
 * partitioned like the result is read through a narrow dependency, so a join of
 * co-partitioned RDDs runs without a shuffle.
 */
export class CoGroupedRDD<K> extends RDD<[K, unknown[][]]> {
  constructor(
    private readonly rdds: readonly RDD<readonly [K, unknown]>[],
    private readonly part: Partitioner,
    creationSite: string,
  ) {
    super(rdds[0].context, creationSite);
  }

  protected getPartitions(): Partition[] {
    return indexPartitions(this.part.numPartitions);
  }

  protected override getDependencies(): Dependency<unknown>[] {
    return this.rdds.map((rdd) =>
      this.part.equals(rdd.partitioner) ? new OneToOneDependency(rdd) : new ShuffleDependency(rdd, this.part, this.creationSite),
    ) as Dependency<unknown>[];
  }

  override get partitioner(): Partitioner {
    return this.part;
  }

  async compute(split: Partition, task: TaskContext): Promise<readonly [K, unknown[][]][]> {
    const width = this.rdds.length;
    const groups = new KeyMap<K, unknown[][]>();
    const dependencies = this.dependencies();
    for (let side = 0; side < width; side++) {
      const dependency = dependencies[side];
      const records =
        dependency instanceof ShuffleDependency
          ? ((await this.context.readShuffle(dependency, split.index)).flat(1) as (readonly [K, unknown])[])
          : await parentPartition(dependency.rdd as RDD<readonly [K, unknown]>, split.index, task);
      for (let i = 0; i < records.length; i++) {
        const key = records[i][0];
        let group = groups.get(key);
        if (group === undefined) {
          group = Array.from({ length: width }, () => []);
          groups.set(key, group);
        }
        group[side].push(records[i][1]);
      }
    }
    return groups.toPairs();
  }
}
