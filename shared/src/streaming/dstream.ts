import { KeyMap, type RDD } from '../rdd/index.js';
import type { StreamingContext } from './streaming-context.js';

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

/** A key's state inside mapWithState and updateStateByKey. */
export interface KeyState<S> {
  readonly state: S | undefined;
  exists(): boolean;
  update(state: S): void;
  remove(): void;
  isTimingOut(): boolean;
}

class TransformedDStream<T, U> extends DStream<U> {
  constructor(
    private readonly parent: DStream<T>,
    private readonly f: (rdd: RDD<T>, timeMs: number) => RDD<U>,
  ) {
    super(parent.ssc, [parent as DStream<unknown>]);
  }

  protected async compute(timeMs: number): Promise<RDD<U> | undefined> {
    const rdd = await this.parent.getOrCompute(timeMs);
    return rdd && this.f(rdd, timeMs);
  }
}

/** The parent's RDDs of the batches in (t - window, t]. */
async function batchesIn<T>(parent: DStream<T>, fromExclusiveMs: number, toMs: number): Promise<RDD<T>[]> {
  const rdds: RDD<T>[] = [];
  for (let t = toMs; t > fromExclusiveMs; t -= parent.slideMs) {
    const rdd = await parent.getOrCompute(t);
    if (rdd) rdds.unshift(rdd);
  }
  return rdds;
}

function checkWindow(windowMs: number, slideMs: number, parentSlideMs: number): void {
  if (!Number.isInteger(windowMs / parentSlideMs) || windowMs <= 0) {
    throw new RangeError(`window: windowMs was ${windowMs}, expected a positive multiple of the batch interval (${parentSlideMs})`);
  }
  if (!Number.isInteger(slideMs / parentSlideMs) || slideMs <= 0) {
    throw new RangeError(`window: slideMs was ${slideMs}, expected a positive multiple of the batch interval (${parentSlideMs})`);
  }
}

class WindowedDStream<T> extends DStream<T> {
  constructor(
    private readonly parent: DStream<T>,
    private readonly windowMs: number,
    private readonly slide: number,
  ) {
    super(parent.ssc, [parent as DStream<unknown>]);
    checkWindow(windowMs, slide, parent.slideMs);
    this.rememberParents(windowMs);
  }

  override get slideMs(): number {
    return this.slide;
  }

  protected async compute(timeMs: number): Promise<RDD<T> | undefined> {
    const rdds = await batchesIn(this.parent, timeMs - this.windowMs, timeMs);
    return rdds.length === 0 ? this.ssc.rddContext.emptyRDD<T>() : this.ssc.rddContext.union(rdds);
  }
}

class ReducedWindowedDStream<K, V> extends DStream<[K, V]> {
  private previous: { timeMs: number; values: KeyMap<K, V> } | undefined;

  constructor(
    private readonly reduced: DStream<[K, V]>,
    private readonly f: (a: V, b: V) => V,
    private readonly invFunc: (a: V, b: V) => V,
    private readonly windowMs: number,
    private readonly slide: number,
    private readonly filterZero?: (value: V) => boolean,
  ) {
    super(reduced.ssc, [reduced as DStream<unknown>]);
    checkWindow(windowMs, slide, reduced.slideMs);
    this.rememberParents(windowMs + slide);
  }

  override get slideMs(): number {
    return this.slide;
  }

  protected async compute(timeMs: number): Promise<RDD<[K, V]>> {
    const previous = this.previous;
    let values: KeyMap<K, V>;
    if (previous && previous.timeMs === timeMs - this.slide) {
      // Incremental: old window + batches entering - batches leaving.
      values = previous.values;
      const entering = await batchesIn(this.reduced, previous.timeMs, timeMs);
      const leaving = await batchesIn(this.reduced, previous.timeMs - this.windowMs, timeMs - this.windowMs);
      for (const rdd of entering) this.fold(values, await rdd.collect(), this.f);
      for (const rdd of leaving) this.fold(values, await rdd.collect(), this.invFunc);
    } else {
      values = new KeyMap<K, V>();
      for (const rdd of await batchesIn(this.reduced, timeMs - this.windowMs, timeMs)) this.fold(values, await rdd.collect(), this.f);
    }
    if (this.filterZero) {
      const dropped: K[] = [];
      values.forEach((v, k) => {
        if (!this.filterZero?.(v)) dropped.push(k);
      });
      for (const k of dropped) values.delete(k);
    }
    this.previous = { timeMs, values };
    return this.ssc.rddContext.parallelize(values.toPairs()).partitionBy(this.ssc.rddContext.defaultParallelism) as RDD<[K, V]>;
  }

  private fold(values: KeyMap<K, V>, pairs: readonly [K, V][], op: (a: V, b: V) => V): void {
    for (const [k, v] of pairs) {
      const current = values.get(k);
      values.set(k, current === undefined && !values.has(k) ? v : op(current as V, v));
    }
  }
}

class StateDStream<K, V, S, U> extends DStream<U> {
  private readonly states = new KeyMap<K, { state: S; lastUpdateMs: number }>();

  constructor(
    private readonly parent: DStream<readonly [K, V]>,
    private readonly stateKeysMax: number,
    private readonly step: (key: K, values: V[], holder: KeyState<S>) => U[],
    private readonly timeout?: { timeoutMs: number; onTimeout: (key: K, holder: KeyState<S>) => U | undefined },
  ) {
    super(parent.ssc, [parent as DStream<unknown>]);
  }

  protected async compute(timeMs: number): Promise<RDD<U>> {
    const rdd = await this.parent.getOrCompute(timeMs);
    const grouped = rdd ? await rdd.groupByKey().collect() : [];
    const out: U[] = [];
    const touched = new KeyMap<K, true>();
    for (const [key, values] of grouped) {
      touched.set(key, true);
      out.push(...this.step(key, values, this.holder(key, timeMs, false)));
    }
    if (this.timeout) {
      const expired: K[] = [];
      this.states.forEach((entry, key) => {
        if (!touched.has(key) && timeMs - entry.lastUpdateMs >= (this.timeout?.timeoutMs ?? Infinity)) expired.push(key);
      });
      for (const key of expired) {
        const result = this.timeout.onTimeout(key, this.holder(key, timeMs, true));
        this.states.delete(key);
        if (result !== undefined) out.push(result);
      }
    }
    if (this.states.size > this.stateKeysMax) {
      throw new RangeError(`state holds ${this.states.size} keys, over stateKeysMax ${this.stateKeysMax}`);
    }
    return this.ssc.rddContext.parallelize(out);
  }

  private holder(key: K, timeMs: number, timingOut: boolean): KeyState<S> {
    const states = this.states;
    return {
      get state() {
        return states.get(key)?.state;
      },
      exists: () => states.has(key),
      update: (state: S) => {
        if (timingOut) throw new Error('mapWithState: cannot update the state of a key that is timing out');
        states.set(key, { state, lastUpdateMs: timeMs });
      },
      remove: () => {
        states.delete(key);
      },
      isTimingOut: () => timingOut,
    };
  }
}
