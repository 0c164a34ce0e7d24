import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  cloneZero,
  compareKeys,
  invalidArgument,
  KeyMap,
  keysEqual,
  type RDD,
  RddError,
  randomSeed,
  StatCounter,
  seededRandom,
  shuffleInPlace,
  userFunctionError,
} from './internal.js';

/** Runs a user function on the driver side of an action, naming the action if it throws. */
export function onDriver<R>(operation: string, rdd: RDD<unknown>, fn: () => R): R {
  try {
    return fn();
  } catch (error) {
    throw userFunctionError(operation, rdd, error);
  }
}

function checkCount(operation: string, num: number): void {
  if (!Number.isInteger(num) || num < 0) invalidArgument(operation, 'num', num, 'an integer >= 0');
}

/** PySpark's take: one partition first, then more, guessing from how many rows came back. */
export async function take<T>(rdd: RDD<T>, num: number): Promise<T[]> {
  checkCount('take', num);
  const items: T[] = [];
  const totalParts = rdd.getNumPartitions();
  let scanned = 0;
  while (items.length < num && scanned < totalParts) {
    let toTry = 1;
    if (scanned > 0) {
      toTry =
        items.length === 0 ? scanned * 4 : Math.min(Math.max(Math.floor((1.5 * num * scanned) / items.length) - scanned, 1), scanned * 4);
    }
    const left = num - items.length;
    const ids = Array.from({ length: Math.min(toTry, totalParts - scanned) }, (_, i) => scanned + i);
    for (const part of await rdd.runJob((partition) => partition.slice(0, left), 'take', ids)) items.push(...part);
    scanned += toTry;
  }
  return items.slice(0, num);
}

export async function takeOrdered<T>(rdd: RDD<T>, num: number, key: ((item: T) => unknown) | undefined, descending: boolean): Promise<T[]> {
  checkCount(descending ? 'top' : 'takeOrdered', num);
  const keyOf = key ?? ((item: T) => item);
  const sign = descending ? -1 : 1;
  const smallest = (items: readonly T[]) =>
    items
      .slice()
      .sort((a, b) => sign * compareKeys(keyOf(a), keyOf(b)))
      .slice(0, num);
  const parts = await rdd.runJob(smallest, descending ? 'top' : 'takeOrdered');
  return onDriver(descending ? 'top' : 'takeOrdered', rdd, () => smallest(parts.flat(1) as T[]));
}

function fractionForSampleSize(lowerBound: number, total: number, withReplacement: boolean): number {
  const fraction = lowerBound / total;
  if (withReplacement) return fraction + (lowerBound < 12 ? 9 : 5) * Math.sqrt(fraction / total);
  const gamma = -Math.log(0.00005) / total;
  return Math.min(1, fraction + gamma + Math.sqrt(gamma * gamma + 2 * gamma * fraction));
}

/** PySpark's takeSample: sample with a fraction large enough to get num, retrying with new seeds until it does. */
export async function takeSample<T>(rdd: RDD<T>, withReplacement: boolean, num: number, seed = randomSeed()): Promise<T[]> {
  checkCount('takeSample', num);
  if (num === 0) return [];
  const total = await rdd.count();
  if (total === 0) return [];
  const random = seededRandom(seed);
  if (!withReplacement && num >= total) return shuffleInPlace(await rdd.collect(), random);
  const fraction = fractionForSampleSize(num, total, withReplacement);
  let samples = await rdd.sample(withReplacement, fraction, seed).collect();
  while (samples.length < num) {
    samples = await rdd.sample(withReplacement, fraction, Math.floor(random() * 0x100000000)).collect();
  }
  return shuffleInPlace(samples, random).slice(0, num);
}

/** PySpark's treeAggregate: partial results merged by reduceByKey rounds until few remain. */
export async function treeAggregate<T, U>(
  rdd: RDD<T>,
  zeroValue: U,
  seqOp: (acc: U, item: T) => U,
  combOp: (a: U, b: U) => U,
  depth: number,
): Promise<U> {
  if (!Number.isInteger(depth) || depth < 1) invalidArgument('treeAggregate', 'depth', depth, 'an integer >= 1');
  if (rdd.getNumPartitions() === 0) return cloneZero(zeroValue);
  let partial: RDD<U> = rdd.mapPartitions((items) => [items.reduce((acc, item) => seqOp(acc, item), cloneZero(zeroValue))]);
  let numPartitions = partial.getNumPartitions();
  const scale = Math.max(Math.ceil(numPartitions ** (1 / depth)), 2);
  while (numPartitions > scale + numPartitions / scale) {
    numPartitions /= scale;
    const current = Math.floor(numPartitions);
    partial = partial
      .mapPartitionsWithIndex((index, items) => items.map((item): [number, U] => [index % current, item]))
      .reduceByKey(combOp, current)
      .values();
  }
  return partial.reduce(combOp);
}

export async function treeReduce<T>(rdd: RDD<T>, f: (a: T, b: T) => T, depth: number): Promise<T> {
  type Slot = [T | null, boolean]; // [value, isEmpty]
  const op = (x: Slot, y: Slot): Slot => (x[1] ? y : y[1] ? x : [f(x[0] as T, y[0] as T), false]);
  const [value, empty] = await treeAggregate(
    rdd.map((item): Slot => [item, false]),
    [null, true] as Slot,
    op,
    op,
    depth,
  );
  if (empty) throw new RddError('RDD_EMPTY', `treeReduce: cannot reduce empty RDD ${rdd}`);
  return value as T;
}

export async function countByValue<T, K>(rdd: RDD<T>, operation: string, keyOf: (item: T) => K): Promise<Map<K, number>> {
  const count = (items: readonly T[]) => {
    const counts = new KeyMap<K, number>();
    for (const item of items) {
      const key = keyOf(item);
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return counts;
  };
  const total = new KeyMap<K, number>();
  for (const part of await rdd.runJob(count, operation))
    part.forEach((n, key) => {
      total.set(key, (total.get(key) ?? 0) + n);
    });
  return total.toMap();
}

export async function collectAsMap<K, V>(rdd: RDD<readonly [K, V]>): Promise<Map<K, V>> {
  const map = new KeyMap<K, V>();
  for (const [key, value] of await rdd.collect()) map.set(key, value);
  return map.toMap();
}

export async function lookup<K, V>(rdd: RDD<readonly [K, V]>, key: K): Promise<V[]> {
  const select = (items: readonly (readonly [K, V])[]) => items.filter((pair) => keysEqual(pair[0], key)).map((pair) => pair[1]);
  const ids = rdd.partitioner ? [rdd.partitioner.getPartition(key)] : undefined;
  return (await rdd.runJob(select, 'lookup', ids)).flat(1) as V[];
}

export async function extreme<T>(rdd: RDD<T>, operation: string, key: ((item: T) => unknown) | undefined, sign: number): Promise<T> {
  const keyOf = key ?? ((item: T) => item);
  const pick = (a: T, b: T) => (sign * compareKeys(keyOf(a), keyOf(b)) >= 0 ? a : b);
  const parts = await rdd.runJob((items) => (items.length === 0 ? [] : [items.reduce(pick)]), operation);
  const candidates = parts.flat(1) as T[];
  if (candidates.length === 0) throw new RddError('RDD_EMPTY', `${operation}: ${rdd} is empty`);
  return onDriver(operation, rdd, () => candidates.reduce(pick));
}

export async function stats(rdd: RDD<number>): Promise<StatCounter> {
  const parts = await rdd.runJob((items) => new StatCounter(items), 'stats');
  return parts.reduce((a, b) => a.merge(b), new StatCounter());
}

/** PySpark's histogram, with its rules: the last bucket is closed, values outside are ignored. */
export async function histogram(rdd: RDD<number>, spec: number | readonly number[]): Promise<[number[], number[]]> {
  const comparable = (x: number) => typeof x === 'number' && !Number.isNaN(x);
  let buckets: number[];
  let even = false;
  let inc = 0;
  if (typeof spec === 'number') {
    if (!Number.isInteger(spec) || spec < 1) invalidArgument('histogram', 'buckets', spec, 'an integer >= 1 or a sorted array');
    const filtered = rdd.filter(comparable);
    const s = await stats(filtered);
    if (s.count === 0) throw new RddError('RDD_EMPTY', `histogram: cannot generate buckets from empty ${rdd}`);
    if (s.min === s.max || spec === 1) return [[s.min, s.max], [s.count]];
    inc = (s.max - s.min) / spec;
    if (!Number.isFinite(inc)) invalidArgument('histogram', 'values', [s.min, s.max], 'finite values to make buckets from');
    buckets = Array.from({ length: spec }, (_, i) => i * inc + s.min);
    buckets.push(s.max);
    even = true;
  } else {
    buckets = [...spec];
    if (buckets.length < 2) invalidArgument('histogram', 'buckets', spec, 'at least two bounds');
    if (buckets.some((b) => !comparable(b))) invalidArgument('histogram', 'buckets', spec, 'bounds without NaN');
    for (let i = 1; i < buckets.length; i++) {
      if (!(buckets[i] > buckets[i - 1])) invalidArgument('histogram', 'buckets', spec, 'sorted bounds without duplicates');
    }
    const steps = buckets.slice(1).map((b, i) => b - buckets[i]);
    if (Math.max(...steps) - Math.min(...steps) < 1e-10) {
      even = true;
      inc = (buckets[buckets.length - 1] - buckets[0]) / (buckets.length - 1);
    }
  }
  const [low, high] = [buckets[0], buckets[buckets.length - 1]];
  const countPartition = (items: readonly number[]) => {
    const counters = new Array<number>(buckets.length).fill(0);
    for (const x of items) {
      if (!comparable(x) || x > high || x < low) continue;
      counters[even ? Math.floor((x - low) / inc) : bisectRight(buckets, x) - 1]++;
    }
    const last = counters.pop() as number;
    counters[counters.length - 1] += last;
    return counters;
  };
  const parts = await rdd.runJob(countPartition, 'histogram');
  const counts = parts.reduce((a, b) => a.map((n, i) => n + b[i]), new Array<number>(buckets.length - 1).fill(0));
  return [buckets, counts];
}

function bisectRight(sorted: readonly number[], x: number): number {
  let [low, high] = [0, sorted.length];
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (x < sorted[mid]) high = mid;
    else low = mid + 1;
  }
  return low;
}

/** One file per partition, part-00000 onward, then _SUCCESS; strings as they are, other values as JSON. */
export async function saveAsTextFile(rdd: RDD<unknown>, path: string): Promise<void> {
  if (existsSync(path)) throw new RddError('RDD_PATH_EXISTS', `saveAsTextFile: output directory ${path} already exists`);
  const texts = await rdd.runJob(
    (items) => items.map((item) => (typeof item === 'string' ? item : JSON.stringify(item))).join('\n'),
    'saveAsTextFile',
  );
  await mkdir(path, { recursive: true });
  await Promise.all(
    texts.map((text, i) => writeFile(join(path, `part-${String(i).padStart(5, '0')}`), text.length > 0 ? `${text}\n` : '')),
  );
  await writeFile(join(path, '_SUCCESS'), '');
}
