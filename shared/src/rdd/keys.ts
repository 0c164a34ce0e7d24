import { describeValue, RddError } from './errors.js';

/**
 * Key semantics, as PySpark's: keys compare by value. A key is a string, number, bigint,
 * boolean, null or undefined, or an array of keys (a tuple key). Primitive keys go straight
 * into a JS Map, whose SameValueZero equality is already value equality for them; only tuple
 * keys pay for building a canonical string, and they live in a map of their own so that an
 * encoded tuple can never collide with a user's string key.
 */
export type Key = string | number | bigint | boolean | null | undefined | readonly Key[];

function isPrimitiveKey(key: unknown): boolean {
  return typeof key !== 'object' || key === null;
}

/**
 * Canonical text of a tuple key. Strings are quoted and numbers are not, so `["1"]` and
 * `[1]` differ; -0 is written as 0 because the two are equal keys.
 */
export function encodeTupleKey(key: unknown): string {
  if (Array.isArray(key)) {
    let text = '[';
    for (let i = 0; i < key.length; i++) text += (i === 0 ? '' : ',') + encodeTupleKey(key[i]);
    return `${text}]`;
  }
  switch (typeof key) {
    case 'string':
      return JSON.stringify(key);
    case 'number':
      return Object.is(key, -0) ? '0' : String(key);
    case 'bigint':
      return `${key}n`;
    case 'boolean':
      return key ? 't' : 'f';
    case 'undefined':
      return 'u';
    default:
      if (key === null) return 'n';
      throw invalidKey(key);
  }
}

export function invalidKey(key: unknown): RddError {
  return new RddError(
    'RDD_INVALID_KEY',
    `key ${describeValue(key)} (${typeof key}) is not a valid key: expected a string, number, bigint, boolean, null, or an array of these`,
  );
}

/**
 * A Map whose keys compare by value, tuples included. Insertion order is kept for primitive
 * keys and for tuple keys separately; callers that need an order sort.
 */
export class KeyMap<K, V> {
  // Created on first use: a gateway holds one KeyMap per device and window, most of them
  // with a few primitive keys and no tuple key at all.
  private primitives: Map<unknown, V> | undefined;
  private tuples: Map<string, [K, V]> | undefined;

  get size(): number {
    return (this.primitives?.size ?? 0) + (this.tuples?.size ?? 0);
  }

  get(key: K): V | undefined {
    if (isPrimitiveKey(key)) return this.primitives?.get(key);
    return this.tuples?.get(encodeTupleKey(key))?.[1];
  }

  has(key: K): boolean {
    if (isPrimitiveKey(key)) return this.primitives?.has(key) ?? false;
    return this.tuples?.has(encodeTupleKey(key)) ?? false;
  }

  set(key: K, value: V): this {
    if (isPrimitiveKey(key)) {
      this.primitives ??= new Map();
      this.primitives.set(key, value);
    } else {
      this.tuples ??= new Map();
      this.tuples.set(encodeTupleKey(key), [key, value]);
    }
    return this;
  }

  delete(key: K): boolean {
    if (isPrimitiveKey(key)) return this.primitives?.delete(key) ?? false;
    return this.tuples?.delete(encodeTupleKey(key)) ?? false;
  }

  /** Calls fn for every entry; tuple keys are passed as first inserted. */
  forEach(fn: (value: V, key: K) => void): void {
    if (this.primitives) for (const [key, value] of this.primitives) fn(value, key as K);
    if (this.tuples) for (const [key, value] of this.tuples.values()) fn(value, key);
  }

  /** The entries as `[key, value]` pairs, a fresh array. */
  toPairs(): [K, V][] {
    const pairs: [K, V][] = [];
    if (this.primitives) for (const [key, value] of this.primitives) pairs.push([key as K, value]);
    if (this.tuples) for (const entry of this.tuples.values()) pairs.push([entry[0], entry[1]]);
    return pairs;
  }

  /** The entries as a plain Map (tuple keys are the first-seen array instances). */
  toMap(): Map<K, V> {
    const map = new Map<K, V>((this.primitives ?? []) as Map<K, V>);
    if (this.tuples) for (const [key, value] of this.tuples.values()) map.set(key, value);
    return map;
  }
}

/** A set of keys compared by value. */
export class KeySet<K> {
  private readonly map = new KeyMap<K, true>();

  get size(): number {
    return this.map.size;
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  add(key: K): this {
    this.map.set(key, true);
    return this;
  }
}

function typeRank(value: unknown): number {
  if (value === null || value === undefined) return 0;
  switch (typeof value) {
    case 'boolean':
      return 1;
    case 'number':
    case 'bigint':
      return 2;
    case 'string':
      return 3;
    default:
      if (Array.isArray(value)) return 4;
      throw invalidKey(value);
  }
}

/**
 * The total order used by sortByKey, takeOrdered, top, max and min: null < booleans <
 * numbers < strings < tuples; numbers numerically (NaN last), strings by UTF-16 code units,
 * tuples element by element and then by length. Python refuses to compare mixed types;
 * fogline orders them instead so that a sort never throws half-way through a partition.
 */
export function compareKeys(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') {
    if (a < b) return -1;
    if (a > b) return 1;
    if (a === b) return 0;
    return Number.isNaN(a) ? (Number.isNaN(b) ? 0 : 1) : -1;
  }
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  const rankA = typeRank(a);
  const rankB = typeRank(b);
  if (rankA !== rankB) return rankA - rankB;
  switch (rankA) {
    case 0:
      return 0;
    case 1:
      return Number(a) - Number(b);
    case 2:
      return a! < b! ? -1 : a! > b! ? 1 : 0;
    case 3:
      return (a as string) < (b as string) ? -1 : (a as string) > (b as string) ? 1 : 0;
    default: {
      const x = a as unknown[];
      const y = b as unknown[];
      const n = Math.min(x.length, y.length);
      for (let i = 0; i < n; i++) {
        const c = compareKeys(x[i], y[i]);
        if (c !== 0) return c;
      }
      return x.length - y.length;
    }
  }
}

// FNV-1a, 32 bits: fast, no allocation, and the same on every gateway and cloud, which a
// partitioner needs so that partition p means the same keys everywhere.
function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

const floatView = new DataView(new ArrayBuffer(8));

/**
 * A 32-bit hash of a key, equal for equal keys. Integers hash to themselves, negative ones
 * included (as in Python, so partitionBy places integer keys as PySpark does: -3 of 4
 * partitions goes to 1); every other key hashes to a non-negative number.
 */
export function hashKey(key: unknown): number {
  switch (typeof key) {
    case 'string':
      return hashString(key);
    case 'number':
      if (Number.isSafeInteger(key)) return key % 0x80000000;
      floatView.setFloat64(0, key);
      return (Math.imul(floatView.getUint32(0) ^ floatView.getUint32(4), 0x9e3779b1) >>> 0) & 0x7fffffff;
    case 'bigint':
      return hashString(key.toString());
    case 'boolean':
      return key ? 1 : 0;
    case 'undefined':
      return 0;
    default: {
      if (key === null) return 0;
      if (!Array.isArray(key)) throw invalidKey(key);
      let hash = 0x345678;
      for (const element of key) hash = (Math.imul(hash, 1000003) ^ hashKey(element)) >>> 0;
      return hash & 0x7fffffff;
    }
  }
}

/** Value equality of two keys, as KeyMap uses it. */
export function keysEqual(a: unknown, b: unknown): boolean {
  if (isPrimitiveKey(a) || isPrimitiveKey(b)) return a === b || (Number.isNaN(a) && Number.isNaN(b));
  return encodeTupleKey(a) === encodeTupleKey(b);
}
