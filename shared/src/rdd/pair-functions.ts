import {
  type Aggregator,
  CoGroupedRDD,
  checkPartitionCount,
  combineByKeyLocally,
  HashPartitioner,
  MapPartitionsRDD,
  type Partitioner,
  RangePartitioner,
  type RDD,
  ShuffledRDD,
} from './internal.js';

/**
 * The partitioner a key-value operation uses when the caller names none, as Spark's
 * defaultPartitioner: an existing partitioner of a parent (the widest), so that data already
 * partitioned is not shuffled again; otherwise hash partitioning over as many partitions as
 * the widest parent has.
 */
export function defaultPartitioner(
  rdds: readonly RDD<unknown>[],
  operation: string,
  numPartitions?: number,
  partitionFunc?: (key: never) => number,
): Partitioner {
  const func = partitionFunc as ((key: unknown) => number) | undefined;
  if (numPartitions !== undefined) return new HashPartitioner(checkPartitionCount(operation, 'numPartitions', numPartitions), func);
  if (!func) {
    const existing = rdds
      .map((rdd) => rdd.partitioner)
      .filter((p): p is Partitioner => p !== undefined)
      .sort((a, b) => b.numPartitions - a.numPartitions)[0];
    if (existing) return existing;
  }
  return new HashPartitioner(Math.max(1, ...rdds.map((rdd) => rdd.getNumPartitions())), func);
}

/**
 * combineByKey and everything built on it. When the parent is already partitioned this way,
 * values are combined inside each partition with no shuffle; otherwise a shuffle with
 * map-side combining.
 */
export function combineByKey<K, V, C>(
  rdd: RDD<readonly [K, V]>,
  operation: string,
  aggregator: Aggregator<V, C>,
  numPartitions?: number,
  partitionFunc?: (key: K) => number,
  mapSideCombine = true,
): RDD<[K, C]> {
  const partitioner = defaultPartitioner([rdd], operation, numPartitions, partitionFunc);
  if (partitioner.equals(rdd.partitioner)) {
    return new MapPartitionsRDD<readonly [K, V], [K, C]>(rdd, operation, (items) => combineByKeyLocally(items, aggregator).toPairs(), true);
  }
  return new ShuffledRDD<K, V, C>(rdd, partitioner, operation, aggregator, mapSideCombine);
}

export function groupByKey<K, V>(rdd: RDD<readonly [K, V]>, numPartitions?: number, partitionFunc?: (key: K) => number): RDD<[K, V[]]> {
  const aggregator: Aggregator<V, V[]> = {
    createCombiner: (v) => [v],
    mergeValue: (list, v) => {
      list.push(v);
      return list;
    },
    mergeCombiners: (a, b) => {
      for (const v of b) a.push(v);
      return a;
    },
  };
  // As Spark: combining map-side would only copy values into lists, so groupByKey skips it.
  return combineByKey(rdd, 'groupByKey', aggregator, numPartitions, partitionFunc, false);
}

export function cogroup<K>(rdds: readonly RDD<readonly [K, unknown]>[], operation: string, numPartitions?: number): RDD<[K, unknown[][]]> {
  return new CoGroupedRDD<K>(rdds, defaultPartitioner(rdds, operation, numPartitions), operation);
}

/** The joins, from a cogroup: the cross product of both sides' values per key, null where a kept side is empty. */
export function join<K, V, W>(
  left: RDD<readonly [K, V]>,
  right: RDD<readonly [K, W]>,
  operation: string,
  keepLeft: boolean,
  keepRight: boolean,
  numPartitions?: number,
): RDD<[K, [V | null, W | null]]> {
  return cogroup<K>([left, right], operation, numPartitions).flatMapValues(([vs, ws]) => {
    const lefts = (vs.length === 0 && keepRight ? [null] : vs) as (V | null)[];
    const rights = (ws.length === 0 && keepLeft ? [null] : ws) as (W | null)[];
    const out: [V | null, W | null][] = [];
    for (const v of lefts) for (const w of rights) out.push([v, w]);
    return out;
  });
}

export function sortByKey<K, V>(
  rdd: RDD<readonly [K, V]>,
  ascending: boolean,
  numPartitions: number,
  keyfunc?: (key: K) => unknown,
): RDD<[K, V]> {
  const func = keyfunc as ((key: unknown) => unknown) | undefined;
  const partitioner = new RangePartitioner(checkPartitionCount('sortByKey', 'numPartitions', Math.max(1, numPartitions)), ascending, func);
  return new ShuffledRDD<K, V, V>(rdd, partitioner, 'sortByKey', undefined, false, { ascending, keyfunc: func });
}

export function partitionBy<K, V>(rdd: RDD<readonly [K, V]>, partitioner: Partitioner): RDD<[K, V]> {
  if (partitioner.equals(rdd.partitioner)) return rdd as RDD<[K, V]>;
  return new ShuffledRDD<K, V, V>(rdd, partitioner, 'partitionBy');
}
