import {
  actions,
  CartesianRDD,
  CheckpointRDD,
  CoalescedRDD,
  checkPartitionCount,
  cloneZero,
  type Dependency,
  debugString,
  ElementwiseRDD,
  HashPartitioner,
  invalidArgument,
  MapPartitionsRDD,
  OneToOneDependency,
  type Partition,
  type Partitioner,
  pairs,
  partitionSeed,
  poisson,
  type RddContext,
  RddError,
  randomSeed,
  type StatCounter,
  StorageLevel,
  seededRandom,
  type TaskContext,
  UnionRDD,
  ZippedPartitionsRDD,
  ZippedWithIndexRDD,
} from './internal.js';

/**
 * A Resilient Distributed Dataset, as Spark's: partitions, a compute function per partition,
 * dependencies on parent RDDs (narrow or shuffle), and an optional partitioner. Transformations
 * are lazy and synchronous and return a new RDD; actions are async and run a job.
 *
 * Pairs are `[key, value]` arrays; keys compare by value (see `keys.ts`).
 *
 * @example
 * const ctx = new RddContext({ defaultParallelism: 4 });
 * const counts = await ctx.parallelize(['a', 'b', 'a']).map((w) => [w, 1]).reduceByKey((a, b) => a + b).collect();
 * // [['a', 2], ['b', 1]]
 */
export abstract class RDD<T> {
  readonly context: RddContext;
  readonly rddId: number;
  /** The operation that created this RDD, shown by toString and toDebugString. */
  readonly creationSite: string;
  private rddName: string | null = null;
  private storageLevel = StorageLevel.NONE;
  private checkpointState: 'none' | 'marked' | 'running' | 'done' = 'none';
  private checkpointRdd: CheckpointRDD<T> | undefined;
  private partitionsMemo: readonly Partition[] | undefined;
  private dependenciesMemo: readonly Dependency<unknown>[] | undefined;

  constructor(context: RddContext, creationSite: string) {
    this.context = context;
    this.creationSite = creationSite;
    this.rddId = context.newRddId();
  }

  // ---- The five properties, as Spark's RDD: subclasses implement these hooks. ----

  protected abstract getPartitions(): Partition[];

  protected getDependencies(): Dependency<unknown>[] {
    return [];
  }

  /** Computes one partition from the parents; called only when no cached or checkpointed copy exists. */
  abstract compute(split: Partition, task: TaskContext): Promise<readonly T[]>;

  /** How the keys of a pair RDD are spread over its partitions, if known. */
  get partitioner(): Partitioner | undefined {
    return undefined;
  }

  /** The partitions, computed once (a checkpointed RDD takes its checkpoint's). */
  partitions(): readonly Partition[] {
    if (this.checkpointRdd) return this.checkpointRdd.partitions();
    this.partitionsMemo ??= this.getPartitions();
    return this.partitionsMemo;
  }

  /** The dependencies; after a checkpoint, only the checkpoint itself. */
  dependencies(): readonly Dependency<unknown>[] {
    if (this.checkpointRdd) return [new OneToOneDependency(this.checkpointRdd)];
    this.dependenciesMemo ??= this.getDependencies();
    return this.dependenciesMemo;
  }

  /** A partition's records: from the block manager when persisted, else computed. */
  iterator(split: Partition, task: TaskContext): Promise<readonly T[]> {
    if (this.storageLevel !== StorageLevel.NONE) {
      return this.context.blockManager.getOrCompute(this, split, this.storageLevel, () => this.computeOrReadCheckpoint(split, task));
    }
    return this.computeOrReadCheckpoint(split, task);
  }

  /**
   * Calls emit with each record of a partition. Nodes that can produce records one by one
   * (streamCompute) pass them straight on, so chains of element-wise steps build no arrays;
   * a persisted or checkpointed RDD is read through iterator() so its stored copy is used.
   */
  async forEachInPartition(split: Partition, task: TaskContext, emit: (item: T) => void): Promise<void> {
    if (this.storageLevel === StorageLevel.NONE && !this.checkpointRdd) return this.streamCompute(split, task, emit);
    const items = await this.iterator(split, task);
    for (let i = 0; i < items.length; i++) emit(items[i]);
  }

  /** Streams a computed partition's records into emit; nodes that can, override it. */
  protected streamCompute(split: Partition, task: TaskContext, emit: (item: T) => void): Promise<void> {
    return this.compute(split, task).then((items) => {
      for (let i = 0; i < items.length; i++) emit(items[i]);
    });
  }

  private computeOrReadCheckpoint(split: Partition, task: TaskContext): Promise<readonly T[]> {
    return this.checkpointRdd ? this.checkpointRdd.iterator(split, task) : this.compute(split, task);
  }

  /** The first parent, for node classes with one. */
  protected firstParent<U>(): RDD<U> {
    return this.dependencies()[0].rdd as RDD<U>;
  }

  // ---- Identity and persistence ----

  /** The RDD's id, unique within its context. @example rdd.id() // 7 */
  id(): number {
    return this.rddId;
  }

  /** The name set by setName, or null. @example rdd.setName('readings').name() // 'readings' */
  name(): string | null {
    return this.rddName;
  }

  /** Names the RDD in toString, toDebugString and errors; returns the RDD. @example rdd.setName('readings') */
  setName(name: string): this {
    this.rddName = name;
    return this;
  }

  /** The number of partitions, synchronously. @example ctx.parallelize([1, 2, 3], 2).getNumPartitions() // 2 */
  getNumPartitions(): number {
    return this.partitions().length;
  }

  /** Keeps the partitions in memory once computed: persist(MEMORY_ONLY). @example rdd.cache() */
  cache(): this {
    return this.persist(StorageLevel.MEMORY_ONLY);
  }

  /**
   * Keeps computed partitions at the given level (MEMORY_ONLY by default). A level, once set,
   * can only be changed after unpersist(), as in PySpark.
   * @example rdd.persist(StorageLevel.DISK_ONLY)
   */
  persist(level: StorageLevel = StorageLevel.MEMORY_ONLY): this {
    if (this.storageLevel !== StorageLevel.NONE && this.storageLevel !== level) {
      throw new RddError(
        'RDD_STORAGE_LEVEL_LOCKED',
        `Cannot change storage level of ${this} from ${this.storageLevel.description()} to ${level.description()}: call unpersist() first`,
      );
    }
    this.storageLevel = level;
    return this;
  }

  /** Drops the stored partitions and resets the level to NONE; returns the RDD. @example rdd.unpersist() */
  unpersist(): this {
    this.storageLevel = StorageLevel.NONE;
    this.context.blockManager.removeRdd(this.rddId);
    return this;
  }

  /** The current storage level; StorageLevel.NONE if never persisted. @example rdd.getStorageLevel() */
  getStorageLevel(): StorageLevel {
    return this.storageLevel;
  }

  /**
   * Marks the RDD for checkpointing: after the next job that computes it, its partitions are
   * saved to the context's disk store and its lineage is cut there. Cache it first, or it is
   * computed twice, as in Spark.
   * @example rdd.checkpoint(); await rdd.count(); rdd.isCheckpointed() // true
   */
  checkpoint(): void {
    if (this.checkpointState === 'none') this.checkpointState = 'marked';
  }

  /** True once the checkpoint has been written. @example rdd.isCheckpointed() */
  isCheckpointed(): boolean {
    return this.checkpointState === 'done';
  }

  /** Writes the checkpoint if marked; otherwise looks further up the lineage. Called after each job. */
  async doCheckpoint(): Promise<void> {
    if (this.checkpointState === 'marked') {
      this.checkpointState = 'running';
      try {
        const numPartitions = this.getNumPartitions();
        await this.context
          .runJob(this, (items, index) => this.context.blockManager.putCheckpoint(this.rddId, index, items), 'checkpoint')
          .then((writes) => Promise.all(writes));
        this.checkpointRdd = new CheckpointRDD<T>(this.context, this.rddId, numPartitions, this.partitioner);
        this.checkpointState = 'done';
      } catch (error) {
        this.checkpointState = 'marked';
        throw error;
      }
      return;
    }
    if (this.checkpointState === 'none') {
      for (const dependency of this.dependencies()) await dependency.rdd.doCheckpoint();
    }
  }

  /** The lineage with shuffle boundaries and storage levels, in Spark's layout. @example console.log(rdd.toDebugString()) */
  toDebugString(): string {
    return debugString(this);
  }

  toString(): string {
    return `${this.rddName ? `${this.rddName} ` : ''}${this.constructor.name}[${this.rddId}] at ${this.creationSite}`;
  }

  // ---- Transformations ----

  /** Applies f to every element. @example ctx.parallelize([1, 2]).map((x) => x * 2) // [2, 4] */
  map<K, V>(f: (item: T) => [K, V]): RDD<[K, V]>;
  map<U>(f: (item: T) => U): RDD<U>;
  map<U>(f: (item: T) => U): RDD<U> {
    return new ElementwiseRDD<T, U>(this, 'map', (item, emit) => emit(f(item)));
  }

  /** Applies f and flattens the results. @example ctx.parallelize(['a b']).flatMap((s) => s.split(' ')) // ['a', 'b'] */
  flatMap<K, V>(f: (item: T) => Iterable<[K, V]>): RDD<[K, V]>;
  flatMap<U>(f: (item: T) => Iterable<U>): RDD<U>;
  flatMap<U>(f: (item: T) => Iterable<U>): RDD<U> {
    return new ElementwiseRDD<T, U>(this, 'flatMap', (item, emit) => {
      for (const result of f(item)) emit(result);
    });
  }

  /** Keeps the elements for which f is true. @example ctx.parallelize([1, 2, 3]).filter((x) => x % 2 === 1) // [1, 3] */
  filter(f: (item: T) => boolean): RDD<T> {
    return new ElementwiseRDD<T, T>(
      this,
      'filter',
      (item, emit) => {
        if (f(item)) emit(item);
      },
      true,
    );
  }

  /** Applies f to each whole partition. @example rdd.mapPartitions((items) => [items.length]) */
  mapPartitions<U>(f: (items: readonly T[]) => Iterable<U>, preservesPartitioning = false): RDD<U> {
    return new MapPartitionsRDD<T, U>(this, 'mapPartitions', (items) => toArray(f(items)), preservesPartitioning);
  }

  /** Applies f to each partition with its index. @example rdd.mapPartitionsWithIndex((i, items) => [[i, items.length]]) */
  mapPartitionsWithIndex<U>(f: (index: number, items: readonly T[]) => Iterable<U>, preservesPartitioning = false): RDD<U> {
    return new MapPartitionsRDD<T, U>(this, 'mapPartitionsWithIndex', (items, index) => toArray(f(index, items)), preservesPartitioning);
  }

  /** Turns each partition into one array. @example ctx.parallelize([1, 2, 3], 2).glom() // [[1], [2, 3]] */
  glom(): RDD<T[]> {
    return new MapPartitionsRDD<T, T[]>(this, 'glom', (items) => [items.slice()]);
  }

  /** Removes duplicate elements (compared by value). @example ctx.parallelize([1, 1, 2]).distinct() // [1, 2] */
  distinct(numPartitions?: number): RDD<T> {
    return this.map((item): [T, null] => [item, null])
      .reduceByKey((a) => a, numPartitions)
      .map(([item]) => item);
  }

  /**
   * A random sample: each element kept with probability `fraction`, or, with replacement, a
   * Poisson(fraction) number of times. Seeded per partition, so a seed gives the same sample.
   * @example rdd.sample(false, 0.1, 42)
   */
  sample(withReplacement: boolean, fraction: number, seed: number = randomSeed()): RDD<T> {
    if (!(fraction >= 0)) invalidArgument('sample', 'fraction', fraction, 'a number >= 0');
    return new MapPartitionsRDD<T, T>(
      this,
      'sample',
      (items, index) => {
        const random = seededRandom(partitionSeed(seed, index));
        const out: T[] = [];
        for (const item of items) {
          if (!withReplacement) {
            if (random() < fraction) out.push(item);
          } else {
            for (let n = poisson(random, fraction); n > 0; n--) out.push(item);
          }
        }
        return out;
      },
      true,
    );
  }

  /** The elements of both RDDs, duplicates kept. @example a.union(b) */
  union(other: RDD<T>): RDD<T> {
    return new UnionRDD<T>(this.context, [this, other]);
  }

  /** The distinct elements present in both. @example ctx.parallelize([1, 2, 2]).intersection(ctx.parallelize([2, 3])) // [2] */
  intersection(other: RDD<T>): RDD<T> {
    const mark = (item: T): [T, null] => [item, null];
    return this.map(mark)
      .cogroup(other.map(mark))
      .filter(([, [left, right]]) => left.length > 0 && right.length > 0)
      .keys();
  }

  /** The elements not present in other, duplicates kept. @example ctx.parallelize([1, 2, 2]).subtract(ctx.parallelize([1])) // [2, 2] */
  subtract(other: RDD<T>, numPartitions?: number): RDD<T> {
    const mark = (item: T): [T, true] => [item, true];
    return this.map(mark).subtractByKey(other.map(mark), numPartitions).keys();
  }

  /** Every pair [a, b] of this and other. @example ctx.parallelize([1, 2]).cartesian(ctx.parallelize(['x'])) // [[1,'x'],[2,'x']] */
  cartesian<U>(other: RDD<U>): RDD<[T, U]> {
    return new CartesianRDD<T, U>(this.context, this, other);
  }

  /** Groups elements by f(element): [key, elements[]]. @example rdd.groupBy((x) => x % 2) */
  groupBy<K>(f: (item: T) => K, numPartitions?: number): RDD<[K, T[]]> {
    return this.map((item): [K, T] => [f(item), item]).groupByKey(numPartitions);
  }

  /** Pairs each element with a key: [f(x), x]. @example ctx.parallelize(['ab']).keyBy((s) => s.length) // [[2, 'ab']] */
  keyBy<K>(f: (item: T) => K): RDD<[K, T]> {
    return new ElementwiseRDD<T, [K, T]>(this, 'keyBy', (item, emit) => emit([f(item), item]));
  }

  /** Sorts by f(element). @example rdd.sortBy((r) => r.ts, false) */
  sortBy<K>(keyfunc: (item: T) => K, ascending = true, numPartitions?: number): RDD<T> {
    return this.keyBy(keyfunc).sortByKey(ascending, numPartitions).values();
  }

  /** Pairs the i-th elements of two RDDs with the same partition sizes. @example a.zip(b) // [[a0, b0], ...] */
  zip<U>(other: RDD<U>): RDD<[T, U]> {
    return new ZippedPartitionsRDD<T, U>(this.context, this, other);
  }

  /** Pairs each element with its global index; runs a job to count the partitions first. @example rdd.zipWithIndex() // [[x, 0], ...] */
  zipWithIndex(): RDD<[T, number]> {
    return new ZippedWithIndexRDD<T>(this);
  }

  /** Pairs each element with a unique id: partition k gets k, n+k, 2n+k... @example rdd.zipWithUniqueId() */
  zipWithUniqueId(): RDD<[T, number]> {
    const n = this.getNumPartitions();
    return new MapPartitionsRDD<T, [T, number]>(this, 'zipWithUniqueId', (items, k) =>
      items.map((item, i): [T, number] => [item, i * n + k]),
    );
  }

  /** Fewer partitions without a shuffle, or any number with `shuffle`. @example rdd.coalesce(1) */
  coalesce(numPartitions: number, shuffle = false): RDD<T> {
    checkPartitionCount('coalesce', 'numPartitions', numPartitions);
    if (!shuffle) return new CoalescedRDD<T>(this, numPartitions);
    // As Spark: spread each partition's elements round-robin from a seeded start position.
    return this.mapPartitionsWithIndex((index, items) => {
      let position = Math.floor(seededRandom(partitionSeed(index, numPartitions))() * numPartitions);
      return items.map((item): [number, T] => [position++ % numPartitions, item]);
    })
      .partitionBy(numPartitions)
      .values();
  }

  /** Exactly numPartitions partitions, through a shuffle. @example rdd.repartition(8) */
  repartition(numPartitions: number): RDD<T> {
    return this.coalesce(numPartitions, true);
  }

  /** Splits randomly by weights into disjoint RDDs that together hold every element. @example const [train, test] = rdd.randomSplit([0.8, 0.2], 7) */
  randomSplit(weights: readonly number[], seed: number = randomSeed()): RDD<T>[] {
    if (weights.length === 0 || weights.some((w) => !(w >= 0))) {
      invalidArgument('randomSplit', 'weights', weights, 'a non-empty array of numbers >= 0');
    }
    const total = weights.reduce((a, b) => a + b, 0);
    if (!(total > 0)) invalidArgument('randomSplit', 'weights', weights, 'weights with a positive sum');
    const bounds = [0];
    for (const weight of weights) bounds.push(bounds[bounds.length - 1] + weight / total);
    return weights.map((_, s) => {
      const [low, high] = [bounds[s], s === weights.length - 1 ? 1.0000001 : bounds[s + 1]];
      // Every split draws the same numbers (same seed), so each element lands in exactly one.
      return new MapPartitionsRDD<T, T>(
        this,
        'randomSplit',
        (items, index) => {
          const random = seededRandom(partitionSeed(seed, index));
          return items.filter(() => {
            const r = random();
            return r >= low && r < high;
          });
        },
        true,
      );
    });
  }

  // ---- Key-value transformations (PairRDDFunctions), on RDDs of [key, value] ----

  /** Applies f to each value, keeping keys and partitioning. @example pairs.mapValues((v) => v * 2) */
  mapValues<K, V, U>(this: RDD<readonly [K, V]>, f: (value: V) => U): RDD<[K, U]> {
    return new ElementwiseRDD<readonly [K, V], [K, U]>(this, 'mapValues', (pair, emit) => emit([pair[0], f(pair[1])]), true);
  }

  /** Applies f to each value and flattens, keeping keys. @example pairs.flatMapValues((v) => v.split(',')) */
  flatMapValues<K, V, U>(this: RDD<readonly [K, V]>, f: (value: V) => Iterable<U>): RDD<[K, U]> {
    return new ElementwiseRDD<readonly [K, V], [K, U]>(
      this,
      'flatMapValues',
      (pair, emit) => {
        for (const u of f(pair[1])) emit([pair[0], u]);
      },
      true,
    );
  }

  /** The keys. @example pairs.keys() */
  keys<K>(this: RDD<readonly [K, unknown]>): RDD<K> {
    return new ElementwiseRDD<readonly [K, unknown], K>(this, 'keys', (pair, emit) => emit(pair[0]));
  }

  /** The values. @example pairs.values() */
  values<V>(this: RDD<readonly [unknown, V]>): RDD<V> {
    return new ElementwiseRDD<readonly [unknown, V], V>(this, 'values', (pair, emit) => emit(pair[1]));
  }

  /** Merges the values of each key with f, combining map-side first. @example pairs.reduceByKey((a, b) => a + b) */
  reduceByKey<K, V>(
    this: RDD<readonly [K, V]>,
    f: (a: V, b: V) => V,
    numPartitions?: number,
    partitionFunc?: (key: K) => number,
  ): RDD<[K, V]> {
    return pairs.combineByKey(
      this,
      'reduceByKey',
      { createCombiner: (v) => v, mergeValue: f, mergeCombiners: f },
      numPartitions,
      partitionFunc,
    );
  }

  /** Like reduceByKey, starting each key from a copy of zero. @example pairs.foldByKey(0, (a, b) => a + b) */
  foldByKey<K, V>(
    this: RDD<readonly [K, V]>,
    zeroValue: V,
    f: (a: V, b: V) => V,
    numPartitions?: number,
    partitionFunc?: (key: K) => number,
  ): RDD<[K, V]> {
    const aggregator = { createCombiner: (v: V) => f(cloneZero(zeroValue), v), mergeValue: f, mergeCombiners: f };
    return pairs.combineByKey(this, 'foldByKey', aggregator, numPartitions, partitionFunc);
  }

  /**
   * Aggregates each key's values into a U: seqOp folds a value in, combOp merges two Us. Both
   * may mutate and return their first argument, which starts as a copy of zeroValue.
   * @example pairs.aggregateByKey(MetricState.empty(), (s, v) => s.add(v), (a, b) => a.merge(b))
   */
  aggregateByKey<K, V, U>(
    this: RDD<readonly [K, V]>,
    zeroValue: U,
    seqOp: (acc: U, value: V) => U,
    combOp: (a: U, b: U) => U,
    numPartitions?: number,
    partitionFunc?: (key: K) => number,
  ): RDD<[K, U]> {
    const aggregator = { createCombiner: (v: V) => seqOp(cloneZero(zeroValue), v), mergeValue: seqOp, mergeCombiners: combOp };
    return pairs.combineByKey(this, 'aggregateByKey', aggregator, numPartitions, partitionFunc);
  }

  /** The general per-key aggregation the others are built on. @example pairs.combineByKey((v) => [v], (c, v) => [...c, v], (a, b) => a.concat(b)) */
  combineByKey<K, V, C>(
    this: RDD<readonly [K, V]>,
    createCombiner: (value: V, key: K) => C,
    mergeValue: (combiner: C, value: V) => C,
    mergeCombiners: (a: C, b: C) => C,
    numPartitions?: number,
    partitionFunc?: (key: K) => number,
  ): RDD<[K, C]> {
    return pairs.combineByKey(this, 'combineByKey', { createCombiner, mergeValue, mergeCombiners }, numPartitions, partitionFunc);
  }

  /** Groups each key's values into an array. @example pairs.groupByKey() // [['a', [1, 2]]] */
  groupByKey<K, V>(this: RDD<readonly [K, V]>, numPartitions?: number, partitionFunc?: (key: K) => number): RDD<[K, V[]]> {
    return pairs.groupByKey(this, numPartitions, partitionFunc);
  }

  /** For each key, the values from this and from other: [key, [vs, ws]]. @example a.cogroup(b) */
  cogroup<K, V, W>(this: RDD<readonly [K, V]>, other: RDD<readonly [K, W]>, numPartitions?: number): RDD<[K, [V[], W[]]]> {
    return pairs.cogroup([this, other], 'cogroup', numPartitions) as RDD<[K, [V[], W[]]]>;
  }

  /** cogroup over several RDDs: [key, [vs, ws, ...]]. @example a.groupWith(b, c) */
  groupWith<K>(this: RDD<readonly [K, unknown]>, ...others: RDD<readonly [K, unknown]>[]): RDD<[K, unknown[][]]> {
    return pairs.cogroup([this, ...others], 'groupWith');
  }

  /** Inner join: [key, [v, w]] for every matching pair. @example a.join(b) */
  join<K, V, W>(this: RDD<readonly [K, V]>, other: RDD<readonly [K, W]>, numPartitions?: number): RDD<[K, [V, W]]> {
    return pairs.join(this, other, 'join', false, false, numPartitions) as RDD<[K, [V, W]]>;
  }

  /** Left outer join: w is null where other lacks the key. @example a.leftOuterJoin(b) */
  leftOuterJoin<K, V, W>(this: RDD<readonly [K, V]>, other: RDD<readonly [K, W]>, numPartitions?: number): RDD<[K, [V, W | null]]> {
    return pairs.join(this, other, 'leftOuterJoin', true, false, numPartitions) as RDD<[K, [V, W | null]]>;
  }

  /** Right outer join: v is null where this lacks the key. @example a.rightOuterJoin(b) */
  rightOuterJoin<K, V, W>(this: RDD<readonly [K, V]>, other: RDD<readonly [K, W]>, numPartitions?: number): RDD<[K, [V | null, W]]> {
    return pairs.join(this, other, 'rightOuterJoin', false, true, numPartitions) as RDD<[K, [V | null, W]]>;
  }

  /** Full outer join: null on the side that lacks the key. @example a.fullOuterJoin(b) */
  fullOuterJoin<K, V, W>(this: RDD<readonly [K, V]>, other: RDD<readonly [K, W]>, numPartitions?: number): RDD<[K, [V | null, W | null]]> {
    return pairs.join(this, other, 'fullOuterJoin', true, true, numPartitions);
  }

  /** The pairs whose key is not in other. @example a.subtractByKey(b) */
  subtractByKey<K, V>(this: RDD<readonly [K, V]>, other: RDD<readonly [K, unknown]>, numPartitions?: number): RDD<[K, V]> {
    return pairs
      .cogroup([this, other], 'subtractByKey', numPartitions)
      .filter(([, [left, right]]) => left.length > 0 && right.length === 0)
      .flatMapValues(([left]) => left as V[]);
  }

  /** Sorts by key, range-partitioned; keyfunc maps a key to what is compared. @example pairs.sortByKey(false) */
  sortByKey<K, V>(this: RDD<readonly [K, V]>, ascending = true, numPartitions?: number, keyfunc?: (key: K) => unknown): RDD<[K, V]> {
    return pairs.sortByKey(this, ascending, numPartitions ?? this.getNumPartitions(), keyfunc);
  }

  /** Hash-partitions by key (or partitionFunc); a no-op when already so partitioned. @example pairs.partitionBy(4) */
  partitionBy<K, V>(this: RDD<readonly [K, V]>, numPartitions: number, partitionFunc?: (key: K) => number): RDD<[K, V]> {
    return pairs.partitionBy(this, new HashPartitioner(numPartitions, partitionFunc as ((key: unknown) => number) | undefined));
  }

  // ---- Actions ----

  /** Runs func on each computed partition and returns its results, one per partition. */
  runJob<R>(func: (items: readonly T[], index: number) => R, operation: string, partitionIds?: readonly number[]): Promise<R[]> {
    return this.context.runJob(this, func, operation, partitionIds);
  }

  /** All elements, in partition order. @example await ctx.parallelize([1, 2]).collect() // [1, 2] */
  async collect(): Promise<T[]> {
    return (await this.runJob((items) => items, 'collect')).flat(1) as T[];
  }

  /** The number of elements. @example await rdd.count() */
  async count(): Promise<number> {
    return (await this.runJob((items) => items.length, 'count')).reduce((a, b) => a + b, 0);
  }

  /** The first element; rejects on an empty RDD. @example await rdd.first() */
  async first(): Promise<T> {
    const items = await this.take(1);
    if (items.length === 0) throw new RddError('RDD_EMPTY', `first: ${this} is empty`);
    return items[0];
  }

  /** The first num elements, scanning as few partitions as it can. @example await rdd.take(3) */
  take(num: number): Promise<T[]> {
    return actions.take(this, num);
  }

  /** The num smallest elements (by key(x) if given). @example await rdd.takeOrdered(3) */
  takeOrdered(num: number, key?: (item: T) => unknown): Promise<T[]> {
    return actions.takeOrdered(this, num, key, false);
  }

  /** The num largest elements, largest first. @example await rdd.top(3) */
  top(num: number, key?: (item: T) => unknown): Promise<T[]> {
    return actions.takeOrdered(this, num, key, true);
  }

  /** A random sample of exactly num elements (fewer if the RDD is smaller and without replacement). @example await rdd.takeSample(false, 10, 1) */
  takeSample(withReplacement: boolean, num: number, seed?: number): Promise<T[]> {
    return actions.takeSample(this, withReplacement, num, seed);
  }

  /** True if the RDD has no elements. @example await ctx.emptyRDD().isEmpty() // true */
  async isEmpty(): Promise<boolean> {
    return this.getNumPartitions() === 0 || (await this.take(1)).length === 0;
  }

  /** Merges the elements with an associative, commutative f; rejects on an empty RDD. @example await rdd.reduce((a, b) => a + b) */
  async reduce(f: (a: T, b: T) => T): Promise<T> {
    const partials = await this.runJob((items) => (items.length === 0 ? NOTHING : items.reduce((a, b) => f(a, b))), 'reduce');
    const values = partials.filter((v) => v !== NOTHING) as T[];
    if (values.length === 0) throw new RddError('RDD_EMPTY', `reduce: cannot reduce() empty RDD ${this}`);
    return actions.onDriver('reduce', this, () => values.reduce((a, b) => f(a, b)));
  }

  /** Folds each partition from a copy of zero, then the results. @example await rdd.fold(0, (a, b) => a + b) */
  async fold(zeroValue: T, op: (a: T, b: T) => T): Promise<T> {
    const partials = await this.runJob((items) => items.reduce((a, b) => op(a, b), cloneZero(zeroValue)), 'fold');
    return actions.onDriver('fold', this, () => partials.reduce((a, b) => op(a, b), cloneZero(zeroValue)));
  }

  /** Folds each partition into a U with seqOp, then merges with combOp. @example await rdd.aggregate([0, 0], ([s, n], x) => [s + x, n + 1], ([a, b], [c, d]) => [a + c, b + d]) */
  async aggregate<U>(zeroValue: U, seqOp: (acc: U, item: T) => U, combOp: (a: U, b: U) => U): Promise<U> {
    const partials = await this.runJob((items) => items.reduce((acc, item) => seqOp(acc, item), cloneZero(zeroValue)), 'aggregate');
    return actions.onDriver('aggregate', this, () => partials.reduce((a, b) => combOp(a, b), cloneZero(zeroValue)));
  }

  /** aggregate, merging partition results in a tree of the given depth, as MLlib does. @example await rdd.treeAggregate(0, add, add, 2) */
  treeAggregate<U>(zeroValue: U, seqOp: (acc: U, item: T) => U, combOp: (a: U, b: U) => U, depth = 2): Promise<U> {
    return actions.treeAggregate(this, zeroValue, seqOp, combOp, depth);
  }

  /** reduce, merging in a tree; rejects on an empty RDD. @example await rdd.treeReduce((a, b) => a + b) */
  treeReduce(f: (a: T, b: T) => T, depth = 2): Promise<T> {
    return actions.treeReduce(this, f, depth);
  }

  /** Calls f on every element. @example await rdd.foreach((x) => console.log(x)) */
  async foreach(f: (item: T) => void): Promise<void> {
    await this.runJob((items) => {
      for (const item of items) f(item);
    }, 'foreach');
  }

  /** Calls f on every partition; an async f is awaited. @example await rdd.foreachPartition((items) => db.putMany(items)) */
  async foreachPartition(f: (items: readonly T[]) => void | Promise<void>): Promise<void> {
    await Promise.all(await this.runJob((items) => f(items), 'foreachPartition'));
  }

  /** How many times each distinct value occurs. @example await ctx.parallelize(['a', 'a']).countByValue() // Map { 'a' => 2 } */
  countByValue(): Promise<Map<T, number>> {
    return actions.countByValue(this, 'countByValue', (item) => item);
  }

  /** How many pairs each key has. @example await pairs.countByKey() */
  countByKey<K>(this: RDD<readonly [K, unknown]>): Promise<Map<K, number>> {
    return actions.countByValue(this, 'countByKey', (pair) => pair[0]);
  }

  /** The pairs as a Map; the last value of a key wins. @example await pairs.collectAsMap() */
  async collectAsMap<K, V>(this: RDD<readonly [K, V]>): Promise<Map<K, V>> {
    return actions.collectAsMap(this);
  }

  /** The values of one key; reads a single partition when the partitioner is known. @example await pairs.lookup('a') */
  lookup<K, V>(this: RDD<readonly [K, V]>, key: K): Promise<V[]> {
    return actions.lookup(this, key);
  }

  /** The largest element (by key(x) if given). @example await rdd.max() */
  max(key?: (item: T) => unknown): Promise<T> {
    return actions.extreme(this, 'max', key, 1);
  }

  /** The smallest element (by key(x) if given). @example await rdd.min() */
  min(key?: (item: T) => unknown): Promise<T> {
    return actions.extreme(this, 'min', key, -1);
  }

  /** The sum of a numeric RDD; 0 when empty. @example await ctx.parallelize([1, 2]).sum() // 3 */
  async sum(this: RDD<number>): Promise<number> {
    return (await this.stats()).sum;
  }

  /** The mean; NaN when empty. @example await rdd.mean() */
  async mean(this: RDD<number>): Promise<number> {
    return (await this.stats()).mean;
  }

  /** The population variance. @example await rdd.variance() */
  async variance(this: RDD<number>): Promise<number> {
    return (await this.stats()).variance;
  }

  /** The population standard deviation. @example await rdd.stdev() */
  async stdev(this: RDD<number>): Promise<number> {
    return (await this.stats()).stdev;
  }

  /** The sample variance (divides by n - 1). @example await rdd.sampleVariance() */
  async sampleVariance(this: RDD<number>): Promise<number> {
    return (await this.stats()).sampleVariance;
  }

  /** The sample standard deviation. @example await rdd.sampleStdev() */
  async sampleStdev(this: RDD<number>): Promise<number> {
    return (await this.stats()).sampleStdev;
  }

  /** Count, mean, variance, min and max in one pass (a StatCounter). @example (await rdd.stats()).mean */
  stats(this: RDD<number>): Promise<StatCounter> {
    return actions.stats(this);
  }

  /** Counts per bucket: n even buckets between min and max, or the given sorted bounds. @example await rdd.histogram(4) // [[0, 25, 50, 75, 100], [..counts]] */
  histogram(this: RDD<number>, buckets: number | readonly number[]): Promise<[number[], number[]]> {
    return actions.histogram(this, buckets);
  }

  /** Writes one text file per partition (part-00000, ...) into a new directory. @example await rdd.saveAsTextFile('/tmp/out') */
  saveAsTextFile(path: string): Promise<void> {
    return actions.saveAsTextFile(this, path);
  }
}

const NOTHING = Symbol('nothing');

function toArray<U>(items: Iterable<U>): U[] {
  return Array.isArray(items) ? items : Array.from(items);
}
