import type { Partitioner, RDD } from './internal.js';

/** How an RDD's partition depends on its parents' partitions. */
export abstract class Dependency<T> {
  constructor(readonly rdd: RDD<T>) {}
}

/** Each child partition depends on a few parent partitions: no shuffle, same stage. */
export abstract class NarrowDependency<T> extends Dependency<T> {
  abstract getParents(partitionId: number): number[];
}

export class OneToOneDependency<T> extends NarrowDependency<T> {
  getParents(partitionId: number): number[] {
    return [partitionId];
  }
}

/** A union's child partitions [outStart, outStart + length) map to the parent's [inStart, ...). */
export class RangeDependency<T> extends NarrowDependency<T> {
  constructor(
    rdd: RDD<T>,
    readonly inStart: number,
    readonly outStart: number,
    readonly length: number,
  ) {
    super(rdd);
  }

  getParents(partitionId: number): number[] {
    if (partitionId >= this.outStart && partitionId < this.outStart + this.length) {
      return [partitionId - this.outStart + this.inStart];
    }
    return [];
  }
}

/**
 * How values of one key become a combined value; all three may mutate their first argument.
 * createCombiner is also given the key (Spark's is not): a combiner may then start from a
 * state kept elsewhere for that key, as a streaming aggregation's state store.
 */
export interface Aggregator<V, C, K = unknown> {
  createCombiner(value: V, key: K): C;
  mergeValue(combiner: C, value: V): C;
  mergeCombiners(a: C, b: C): C;
}

/**
 * Every child partition may need every parent partition: the scheduler cuts a stage here,
 * runs the parent side as a shuffle map stage (combining map-side when asked), and the child
 * reads the buckets addressed to it.
 */
export class ShuffleDependency<K, V, C> extends Dependency<readonly [K, V]> {
  readonly shuffleId: number;

  constructor(
    rdd: RDD<readonly [K, V]>,
    readonly partitioner: Partitioner,
    readonly operation: string,
    readonly aggregator?: Aggregator<V, C>,
    readonly mapSideCombine = false,
  ) {
    super(rdd);
    this.shuffleId = rdd.context.newShuffleId();
  }
}
