import {
  type Aggregator,
  compareKeys,
  indexPartitions,
  KeyMap,
  type Partition,
  type Partitioner,
  RDD,
  ShuffleDependency,
  type TaskContext,
  userFunctionError,
} from './internal.js';

/** Sorts each reduce partition by key, for sortByKey. */
export interface KeyOrdering {
  readonly ascending: boolean;
  readonly keyfunc?: (key: unknown) => unknown;
}

/**
 * The result of a shuffle: partition r holds the records the partitioner sends to r, merged
 * per key when an aggregator is given (reduceByKey, combineByKey, groupByKey), sorted by key
 * when an ordering is given (sortByKey), as they came otherwise (partitionBy).
 */
export class ShuffledRDD<K, V, C> extends RDD<[K, C]> {
  readonly dependency: ShuffleDependency<K, V, C>;

  constructor(
    prev: RDD<readonly [K, V]>,
    private readonly part: Partitioner,
    creationSite: string,
    private readonly aggregator?: Aggregator<V, C>,
    mapSideCombine = false,
    private readonly keyOrdering?: KeyOrdering,
  ) {
    super(prev.context, creationSite);
    this.dependency = new ShuffleDependency(prev, part, creationSite, aggregator, mapSideCombine);
  }

  protected getPartitions(): Partition[] {
    return indexPartitions(this.part.numPartitions);
  }

  protected override getDependencies() {
    return [this.dependency];
  }

  override get partitioner(): Partitioner {
    return this.part;
  }

  async compute(split: Partition): Promise<readonly [K, C][]> {
    const buckets = (await this.context.readShuffle(this.dependency, split.index)) as (readonly [K, unknown])[][];
    let records: [K, C][];
    try {
      records = this.aggregator ? this.merge(buckets, this.aggregator) : (buckets.flat(1) as [K, C][]);
    } catch (error) {
      throw userFunctionError(this.creationSite, this, error);
    }
    return this.keyOrdering ? sortRecords(records, this.keyOrdering) : records;
  }

  private merge(buckets: (readonly [K, unknown])[][], aggregator: Aggregator<V, C>): [K, C][] {
    const combined = new KeyMap<K, C>();
    const combinersCame = this.dependency.mapSideCombine;
    for (const bucket of buckets) {
      for (let i = 0; i < bucket.length; i++) {
        const key = bucket[i][0];
        const value = bucket[i][1];
        const current = combined.get(key);
        if (current === undefined && !combined.has(key)) {
          combined.set(key, combinersCame ? (value as C) : aggregator.createCombiner(value as V, key));
        } else {
          const next = combinersCame
            ? aggregator.mergeCombiners(current as C, value as C)
            : aggregator.mergeValue(current as C, value as V);
          if (next !== current) combined.set(key, next);
        }
      }
    }
    return combined.toPairs();
  }
}

function sortRecords<K, C>(records: [K, C][], ordering: KeyOrdering): [K, C][] {
  const keyOf = ordering.keyfunc ?? ((key: unknown) => key);
  const sign = ordering.ascending ? 1 : -1;
  return records.sort((a, b) => sign * compareKeys(keyOf(a[0]), keyOf(b[0])));
}

/**
 * A sink that combines [key, value] records into one combiner per key (map-side combine),
 * mutating combiners in place when the aggregator returns the same object.
 */
export function keyCombiner<K, V, C>(aggregator: Aggregator<V, C>): { combined: KeyMap<K, C>; add: (pair: readonly [K, V]) => void } {
  const combined = new KeyMap<K, C>();
  const { createCombiner, mergeValue } = aggregator;
  const add = (pair: readonly [K, V]) => {
    const key = pair[0];
    const current = combined.get(key);
    if (current === undefined && !combined.has(key)) {
      combined.set(key, createCombiner(pair[1], key));
    } else {
      const next = mergeValue(current as C, pair[1]);
      // Mutable combiners return themselves: skip the second hash lookup.
      if (next !== current) combined.set(key, next);
    }
  };
  return { combined, add };
}

/** Map-side combine of a materialized partition. */
export function combineByKeyLocally<K, V, C>(items: readonly (readonly [K, V])[], aggregator: Aggregator<V, C>): KeyMap<K, C> {
  const { combined, add } = keyCombiner<K, V, C>(aggregator);
  for (let i = 0; i < items.length; i++) add(items[i]);
  return combined;
}

/** The parent's partition i, for node classes whose dependency is narrow. */
export function parentPartition<T>(rdd: RDD<T>, index: number, task: TaskContext): Promise<readonly T[]> {
  return rdd.iterator(rdd.partitions()[index], task);
}
