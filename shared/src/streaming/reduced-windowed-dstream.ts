import { checkWindow, DStream, KeyMap, type RDD } from './internal.js';

interface WindowState<K, V> {
  /** The batch time of the last window computed. */
  timeMs: number;
  values: KeyMap<K, V>;
  /** The reduced batches still in the window, by batch time: the ones to take out as it slides. */
  batches: Map<number, [K, V][]>;
}

/**
 * reduceByKey over a sliding window, incrementally: each slide adds the batches entering and
 * takes out those leaving with the inverse function, as Spark's ReducedWindowedDStream. It
 * keeps the reduced batches still in the window itself (not its parent's RDDs), so its whole
 * state is in the StreamingContext's checkpoint and a restored stream slides on exactly.
 */
export class ReducedWindowedDStream<K, V> extends DStream<[K, V]> {
  private state: WindowState<K, V> | undefined;

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
  }

  override get slideMs(): number {
    return this.slide;
  }

  protected async compute(timeMs: number): Promise<RDD<[K, V]>> {
    const windowStartMs = timeMs - this.windowMs;
    const state = this.state ?? { timeMs: windowStartMs, values: new KeyMap<K, V>(), batches: new Map() };
    // Batches entering: the parent's, after the last window up to this one (never before the window).
    for (let t = Math.max(state.timeMs, windowStartMs) + this.reduced.slideMs; t <= timeMs; t += this.reduced.slideMs) {
      const rdd = await this.reduced.getOrCompute(t);
      const pairs = rdd ? await rdd.collect() : [];
      state.batches.set(t, pairs);
      this.fold(state.values, pairs, this.f);
    }
    // Batches leaving: those at or before the window's start.
    for (const [t, pairs] of state.batches) {
      if (t > windowStartMs) continue;
      this.fold(state.values, pairs, this.invFunc);
      state.batches.delete(t);
    }
    if (this.filterZero) {
      const dropped: K[] = [];
      state.values.forEach((v, k) => {
        if (!this.filterZero?.(v)) dropped.push(k);
      });
      for (const k of dropped) state.values.delete(k);
    }
    state.timeMs = timeMs;
    this.state = state;
    const context = this.ssc.rddContext;
    return context.parallelize(state.values.toPairs()).partitionBy(context.defaultParallelism) as RDD<[K, V]>;
  }

  private fold(values: KeyMap<K, V>, pairs: readonly [K, V][], op: (a: V, b: V) => V): void {
    for (const [k, v] of pairs) {
      const current = values.get(k);
      values.set(k, current === undefined && !values.has(k) ? v : op(current as V, v));
    }
  }

  override checkpointState(): unknown {
    const state = this.state;
    return state && { timeMs: state.timeMs, values: state.values.toPairs(), batches: [...state.batches] };
  }

  override restoreState(saved: unknown): void {
    const s = saved as { timeMs: number; values: [K, V][]; batches: [number, [K, V][]][] } | undefined;
    if (!s) return;
    const values = new KeyMap<K, V>();
    for (const [k, v] of s.values) values.set(k, v);
    this.state = { timeMs: s.timeMs, values, batches: new Map(s.batches) };
  }
}
