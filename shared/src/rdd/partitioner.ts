import { checkPartitionCount, describeValue, RddError } from './errors.js';
import { compareKeys, hashKey } from './keys.js';

/** Decides which partition a key goes to. Equal partitioners let joins skip a shuffle. */
export abstract class Partitioner {
  constructor(readonly numPartitions: number) {
    checkPartitionCount('Partitioner', 'numPartitions', numPartitions);
  }

  abstract getPartition(key: unknown): number;

  /** True when both send every key to the same partition. */
  abstract equals(other: Partitioner | undefined): boolean;
}

/**
 * Spreads keys by hash: PySpark's default, with an optional partitionFunc (key -> integer)
 * as in `partitionBy(n, partitionFunc)`.
 */
export class HashPartitioner extends Partitioner {
  constructor(
    numPartitions: number,
    readonly partitionFunc?: (key: unknown) => number,
  ) {
    super(numPartitions);
  }

  getPartition(key: unknown): number {
    const hash = this.partitionFunc ? this.partitionFunc(key) : hashKey(key);
    if (!Number.isSafeInteger(hash)) {
      throw new RddError(
        'RDD_INVALID_ARGUMENT',
        `partitionFunc returned ${describeValue(hash)} for key ${describeValue(key)}, expected an integer`,
      );
    }
    const p = hash % this.numPartitions;
    return p < 0 ? p + this.numPartitions : p;
  }

  equals(other: Partitioner | undefined): boolean {
    return other instanceof HashPartitioner && other.numPartitions === this.numPartitions && other.partitionFunc === this.partitionFunc;
  }
}

/**
 * Sends sorted ranges of keys to consecutive partitions, for sortByKey. Its bounds come
 * from a sample of the keys taken in the shuffle's map stage (`prepare`), since transformations
 * here are synchronous and may not run a job, as PySpark's sortByKey does at call time.
 */
export class RangePartitioner extends Partitioner {
  private bounds: unknown[] = [];
  private prepared = false;

  constructor(
    numPartitions: number,
    readonly ascending: boolean,
    readonly keyfunc: (key: unknown) => unknown = (key) => key,
  ) {
    super(numPartitions);
  }

  /** Upper bound on sampled keys: enough for even ranges, small enough to sort quickly. */
  static readonly sampleSizeMax = 20 * 1000;

  get needsPreparation(): boolean {
    return !this.prepared;
  }

  /** Sets the bounds from the keys the map stage produced (a sample of them when many). */
  prepare(keys: readonly unknown[]): void {
    const step = Math.max(1, Math.floor(keys.length / RangePartitioner.sampleSizeMax));
    const sample: unknown[] = [];
    for (let i = 0; i < keys.length; i += step) sample.push(this.keyfunc(keys[i]));
    sample.sort(compareKeys);
    this.bounds = [];
    for (let i = 1; i < this.numPartitions && sample.length > 0; i++) {
      this.bounds.push(sample[Math.min(sample.length - 1, Math.floor((i * sample.length) / this.numPartitions))]);
    }
    this.prepared = true;
  }

  getPartition(key: unknown): number {
    const k = this.keyfunc(key);
    let low = 0;
    let high = this.bounds.length;
    // The first bound greater than or equal to the key: keys equal to a bound stay together.
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (compareKeys(this.bounds[mid], k) < 0) low = mid + 1;
      else high = mid;
    }
    return this.ascending ? low : this.numPartitions - 1 - low;
  }

  equals(other: Partitioner | undefined): boolean {
    return other === this;
  }
}
