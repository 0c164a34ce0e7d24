import {
  type EventTimeAggregation,
  EventTimeWindowedDStream,
  type KeyState,
  type RDD,
  ReducedWindowedDStream,
  StateDStream,
  type StreamingContext,
  TransformedDStream,
  TransformedWithDStream,
  UnionDStream,
  WindowedDStream,
} from './internal.js';

/**
 * A discretized stream: a sequence of RDDs, one per batch time. Transformations return new
 * DStreams; foreachRDD registers an output operation, which is what makes batches run.
 * Generated RDDs are remembered only as long as a window downstream needs them.
 */
export abstract class DStream<T> {
  private readonly generated = new Map<number, Promise<RDD<T> | undefined>>();
  /** How long generated RDDs are kept: the longest window that reads this stream. */
  rememberMs: number;

  constructor(
    readonly ssc: StreamingContext,
    readonly parents: readonly DStream<unknown>[] = [],
  ) {
    this.rememberMs = ssc.batchIntervalMs;
    ssc.register(this as DStream<unknown>);
  }

  /** How often this stream produces an RDD (windowed streams slide slower). */
  get slideMs(): number {
    return this.parents[0]?.slideMs ?? this.ssc.batchIntervalMs;
  }

  /** The RDD for batch time timeMs, or undefined when this stream has none then. */
  protected abstract compute(timeMs: number): Promise<RDD<T> | undefined>;

  getOrCompute(timeMs: number): Promise<RDD<T> | undefined> {
    let rdd = this.generated.get(timeMs);
    if (!rdd) {
      // A stream produces an RDD only at multiples of its slide (batch times count from 0).
      rdd = timeMs % this.slideMs === 0 ? this.compute(timeMs) : Promise.resolve(undefined);
      this.generated.set(timeMs, rdd);
    }
    return rdd;
  }

  /** Drops generated RDDs older than rememberMs before timeMs. */
  forgetBefore(timeMs: number): void {
    for (const t of this.generated.keys()) if (t <= timeMs - this.rememberMs) this.generated.delete(t);
  }

  /**
   * What this stream must carry across a restart (its per-key states, its window), for the
   * StreamingContext's checkpoint; undefined for a stateless stream.
   */
  checkpointState(): unknown {
    return undefined;
  }

  /** Takes back what checkpointState() returned, in a job built the same way after a restart. */
  restoreState(_state: unknown): void {}

  /** Makes the parents keep their RDDs for at least durationMs. */
  protected rememberParents(durationMs: number): void {
    for (const parent of this.parents) {
      parent.rememberMs = Math.max(parent.rememberMs, durationMs);
      parent.rememberParents?.(durationMs);
    }
  }

  /** Applies f to every element of every batch. @example stream.map((r) => r.value) */
  map<U>(f: (item: T) => U): DStream<U> {
    return new TransformedDStream(this, (rdd) => rdd.map(f));
  }

  /** @example stream.filter((r) => r.metric === 'temperature') */
  filter(f: (item: T) => boolean): DStream<T> {
    return new TransformedDStream(this, (rdd) => rdd.filter(f));
  }

  /** @example stream.flatMap((batch) => batch.readings) */
  flatMap<U>(f: (item: T) => Iterable<U>): DStream<U> {
    return new TransformedDStream(this, (rdd) => rdd.flatMap(f));
  }

  /** @example pairs.mapValues((v) => v * 1.8 + 32) */
  mapValues<K, V, U>(this: DStream<readonly [K, V]>, f: (value: V) => U): DStream<[K, U]> {
    return new TransformedDStream(this, (rdd) => rdd.mapValues(f));
  }

  /** Per batch, merges each key's values. @example pairs.reduceByKey((a, b) => a + b) */
  reduceByKey<K, V>(this: DStream<readonly [K, V]>, f: (a: V, b: V) => V, numPartitions?: number): DStream<[K, V]> {
    return new TransformedDStream(this, (rdd) => rdd.reduceByKey(f, numPartitions));
  }

  /** Any RDD-to-RDD function per batch. @example stream.transform((rdd) => rdd.distinct()) */
  transform<U>(f: (rdd: RDD<T>, timeMs: number) => RDD<U>): DStream<U> {
    return new TransformedDStream(this, f);
  }

  /** Any function of this stream's and another's RDDs per batch. @example a.transformWith(b, (x, y) => x.union(y)) */
  transformWith<U, R>(other: DStream<U>, f: (rdd: RDD<T>, other: RDD<U>, timeMs: number) => RDD<R>): DStream<R> {
    return new TransformedWithDStream(this, other, f);
  }

  /** Every element of this stream's and the others' batches. @example lisbon.union(porto) */
  union(...others: DStream<T>[]): DStream<T> {
    return new UnionDStream([this, ...others]);
  }

  /** Per batch, the pairs of this stream and another with equal keys. @example readings.join(setpoints) */
  join<K, V, W>(this: DStream<readonly [K, V]>, other: DStream<readonly [K, W]>, numPartitions?: number): DStream<[K, [V, W]]> {
    return new TransformedWithDStream(this, other, (a, b) => a.join(b, numPartitions));
  }

  /** join, keeping this stream's keys the other lacks (with null). */
  leftOuterJoin<K, V, W>(
    this: DStream<readonly [K, V]>,
    other: DStream<readonly [K, W]>,
    numPartitions?: number,
  ): DStream<[K, [V, W | null]]> {
    return new TransformedWithDStream(this, other, (a, b) => a.leftOuterJoin(b, numPartitions));
  }

  /** join, keeping the other stream's keys this one lacks (with null). */
  rightOuterJoin<K, V, W>(
    this: DStream<readonly [K, V]>,
    other: DStream<readonly [K, W]>,
    numPartitions?: number,
  ): DStream<[K, [V | null, W]]> {
    return new TransformedWithDStream(this, other, (a, b) => a.rightOuterJoin(b, numPartitions));
  }

  /** join, keeping every key of both. */
  fullOuterJoin<K, V, W>(
    this: DStream<readonly [K, V]>,
    other: DStream<readonly [K, W]>,
    numPartitions?: number,
  ): DStream<[K, [V | null, W | null]]> {
    return new TransformedWithDStream(this, other, (a, b) => a.fullOuterJoin(b, numPartitions));
  }

  /** Per batch, each key with its values in this stream and in the other. @example a.cogroup(b) */
  cogroup<K, V, W>(this: DStream<readonly [K, V]>, other: DStream<readonly [K, W]>, numPartitions?: number): DStream<[K, [V[], W[]]]> {
    return new TransformedWithDStream(this, other, (a, b) => a.cogroup(b, numPartitions));
  }

  /** How many elements each batch holds, as a one-element stream. @example stream.count() */
  count(): DStream<number> {
    // Counted per partition, then summed in one; the zero makes an empty batch count 0.
    return new TransformedDStream(this, (rdd) =>
      rdd
        .mapPartitions((items) => [items.length])
        .union(this.ssc.rddContext.parallelize([0]))
        .coalesce(1)
        .mapPartitions((counts) => [counts.reduce((a, b) => a + b, 0)]),
    );
  }

  /** Each batch reduced to one element (none for an empty batch). @example values.reduce((a, b) => Math.max(a, b)) */
  reduce(f: (a: T, b: T) => T): DStream<T> {
    return new TransformedDStream(this, (rdd) =>
      rdd
        .map((item): [null, T] => [null, item])
        .reduceByKey(f, 1)
        .map(([, value]) => value),
    );
  }

  /** Per batch, how often each distinct element occurs. @example metrics.countByValue() */
  countByValue(): DStream<[T, number]> {
    return new TransformedDStream(this, (rdd) => rdd.map((item): [T, number] => [item, 1]).reduceByKey((a, b) => a + b));
  }

  /** The union of the batches in the last windowMs, every slideMs. @example stream.window(60_000, 10_000) */
  window(windowMs: number, slideMs: number = this.slideMs): DStream<T> {
    return new WindowedDStream(this, windowMs, slideMs);
  }

  /** How many elements the window holds. @example stream.countByWindow(60_000, 1000) */
  countByWindow(windowMs: number, slideMs: number = this.slideMs): DStream<number> {
    return this.map((): [null, number] => [null, 1])
      .reduceByKeyAndWindow(
        (a, b) => a + b,
        (a, b) => a - b,
        windowMs,
        slideMs,
      )
      .map(([, n]) => n);
  }

  /**
   * The window's elements reduced to one, every slideMs; with invFunc incrementally, as
   * reduceByKeyAndWindow. @example values.reduceByWindow((a, b) => a + b, (a, b) => a - b, 60_000, 1000)
   */
  reduceByWindow(
    f: (a: T, b: T) => T,
    invFunc: ((a: T, b: T) => T) | undefined,
    windowMs: number,
    slideMs: number = this.slideMs,
  ): DStream<T> {
    return this.map((item): [null, T] => [null, item])
      .reduceByKeyAndWindow(f, invFunc, windowMs, slideMs)
      .map(([, value]) => value);
  }

  /**
   * Stateful aggregation in event time, with a watermark: each (window, key) accumulator is
   * emitted once, when the newest event time minus allowedLatenessMs passes the window's end;
   * items for windows already emitted are late (dropped, counted). Tumbling, sliding and
   * session windows. The open windows are in the StreamingContext's checkpoint.
   * @example readings.aggregateByEventTime({ eventTimeOf: (r) => r.ts, keyOf: (r) => r.deviceId,
   *   window: { kind: 'tumbling', sizeMs: 60_000 }, allowedLatenessMs: 5_000,
   *   zero: () => 0, add: (sum, r) => sum + r.value })
   */
  aggregateByEventTime<K, A>(spec: EventTimeAggregation<T, K, A>): EventTimeWindowedDStream<T, K, A> {
    return new EventTimeWindowedDStream(this, spec);
  }

  /**
   * reduceByKey over a sliding window. With invFunc, each slide adds the batches entering
   * and removes those leaving (Spark's incremental form), instead of reducing the window
   * again; keys whose value returns to filterZero are dropped.
   * @example pairs.reduceByKeyAndWindow((a, b) => a + b, (a, b) => a - b, 60_000, 1000)
   */
  reduceByKeyAndWindow<K, V>(
    this: DStream<readonly [K, V]>,
    f: (a: V, b: V) => V,
    invFunc: ((a: V, b: V) => V) | undefined,
    windowMs: number,
    slideMs: number = this.slideMs,
    filterZero?: (value: V) => boolean,
  ): DStream<[K, V]> {
    if (!invFunc) return this.window(windowMs, slideMs).reduceByKey(f);
    return new ReducedWindowedDStream<K, V>(this.reduceByKey(f), f, invFunc, windowMs, slideMs, filterZero);
  }

  /**
   * Keeps a state per key across batches: f(newValues, previousState) returns the next state,
   * or undefined to forget the key. At most stateKeysMax keys; past it the batch fails loudly.
   * @example pairs.updateStateByKey((values, total = 0) => total + values.length)
   */
  updateStateByKey<K, V, S>(
    this: DStream<readonly [K, V]>,
    f: (values: V[], state: S | undefined) => S | undefined,
    stateKeysMax = 1_000_000,
  ): DStream<[K, S]> {
    return new StateDStream<K, V, S, [K, S]>(this, stateKeysMax, (key, values, holder) => {
      const next = f(values, holder.state);
      if (next === undefined) holder.remove();
      else holder.update(next);
      return next === undefined ? [] : [[key, next]];
    });
  }

  /**
   * Spark's mapWithState: func sees each new value with the key's state and returns what to
   * emit; keys idle for timeoutMs get one last call with state.isTimingOut() true and value
   * undefined, then are forgotten.
   * @example pairs.mapWithState({ timeoutMs: 60_000, func: (key, value, state) => { ... } })
   */
  mapWithState<K, V, S, U>(
    this: DStream<readonly [K, V]>,
    spec: { func: (key: K, value: V | undefined, state: KeyState<S>) => U | undefined; timeoutMs?: number; stateKeysMax?: number },
  ): DStream<U> {
    return new StateDStream<K, V, S, U>(
      this,
      spec.stateKeysMax ?? 1_000_000,
      (key, values, holder) => {
        const out: U[] = [];
        for (const value of values) {
          const result = spec.func(key, value, holder);
          if (result !== undefined) out.push(result);
        }
        return out;
      },
      spec.timeoutMs === undefined
        ? undefined
        : { timeoutMs: spec.timeoutMs, onTimeout: (key, holder) => spec.func(key, undefined, holder) },
    );
  }

  /** Runs fn on every batch's RDD: the output operation that drives the stream. @example stream.foreachRDD(async (rdd) => save(await rdd.collect())) */
  foreachRDD(fn: (rdd: RDD<T>, timeMs: number) => void | Promise<void>): void {
    this.ssc.addOutput(this as DStream<unknown>, fn as (rdd: RDD<unknown>, timeMs: number) => void | Promise<void>);
  }
}
