import { assignWindows, checkWindowSpec, DStream, type EventWindow, KeyMap, type RDD, type WindowSpec } from './internal.js';

/** How aggregateByEventTime groups and folds a stream's items. */
export interface EventTimeAggregation<T, K, A> {
  // Methods, not function-typed properties: they keep DStream<T> covariant in T.
  /** The item's own timestamp, epoch ms. */
  eventTimeOf(item: T): number;
  keyOf(item: T): K;
  /** Tumbling, sliding or session windows of event time. */
  readonly window: WindowSpec;
  /** How far behind the newest event time a window stays open: the watermark is the newest event time minus this. */
  readonly allowedLatenessMs: number;
  zero(): A;
  add(accumulator: A, item: T): A;
  /** Two accumulators as one: needed by session windows, which merge when an item bridges them. */
  merge?(a: A, b: A): A;
  /** Open (window, key) accumulators, at most; past it the oldest window closes early (counted in closedEarly). */
  readonly openWindowsMax?: number;
}

/** A window the watermark has passed, with its key's accumulator: emitted once. */
export interface EventTimeResult<K, A> {
  readonly window: EventWindow;
  readonly key: K;
  readonly value: A;
  /** True when it was closed before the watermark passed it, at openWindowsMax. */
  readonly early: boolean;
}

export const openWindowsMaxDefault = 1_000_000;

interface Open<A> {
  window: EventWindow;
  value: A;
}

/**
 * Stateful aggregation in event time with a watermark, as Spark Structured Streaming's
 * window aggregation in append mode: each batch folds its items into their windows, then the
 * watermark (newest event time minus allowedLatenessMs) advances, and every window it has
 * passed is emitted, once. An item for a window the watermark had already passed is late: it
 * is dropped and counted in `lateItems`. The open windows are this stream's checkpoint state.
 */
export class EventTimeWindowedDStream<T, K, A> extends DStream<EventTimeResult<K, A>> {
  private readonly open = new KeyMap<K, Open<A>[]>();
  private openCount = 0;
  private watermarkMs = Number.NEGATIVE_INFINITY;
  private newestEventMs = Number.NEGATIVE_INFINITY;
  lateItems = 0;
  closedEarly = 0;

  constructor(
    private readonly parent: DStream<T>,
    private readonly spec: EventTimeAggregation<T, K, A>,
  ) {
    super(parent.ssc, [parent as DStream<unknown>]);
    checkWindowSpec(spec.window);
    if (spec.window.kind === 'session' && !spec.merge)
      throw new RangeError('aggregateByEventTime: session windows need merge, to join two sessions an item bridges');
    if (!Number.isInteger(spec.allowedLatenessMs) || spec.allowedLatenessMs < 0)
      throw new RangeError(`aggregateByEventTime: allowedLatenessMs was ${spec.allowedLatenessMs}, expected an integer >= 0`);
  }

  /** The event time up to which every window has been emitted. */
  get watermark(): number {
    return this.watermarkMs;
  }

  protected async compute(timeMs: number): Promise<RDD<EventTimeResult<K, A>>> {
    const rdd = await this.parent.getOrCompute(timeMs);
    const out: EventTimeResult<K, A>[] = [];
    for (const item of rdd ? await rdd.collect() : []) this.fold(item, out);
    this.watermarkMs = Math.max(this.watermarkMs, this.newestEventMs - this.spec.allowedLatenessMs);
    this.emitClosed((window) => window.endMs <= this.watermarkMs, false, out);
    return this.ssc.rddContext.parallelize(out);
  }

  private fold(item: T, out: EventTimeResult<K, A>[]): void {
    const ts = this.spec.eventTimeOf(item);
    if (!Number.isFinite(ts)) throw new RangeError(`aggregateByEventTime: eventTimeOf gave ${ts}, expected epoch ms`);
    const windows = assignWindows(this.spec.window, ts).filter((window) => window.endMs > this.watermarkMs);
    if (windows.length === 0) {
      this.lateItems++;
      return;
    }
    this.newestEventMs = Math.max(this.newestEventMs, ts);
    const key = this.spec.keyOf(item);
    const list = this.open.get(key) ?? [];
    if (!this.open.has(key)) this.open.set(key, list);
    for (const window of windows) {
      if (this.spec.window.kind === 'session') this.addToSession(list, window, item);
      else {
        let open = list.find((o) => o.window.startMs === window.startMs);
        if (!open) {
          open = { window, value: this.spec.zero() };
          list.push(open);
          this.openCount++;
        }
        open.value = this.spec.add(open.value, item);
      }
    }
    const max = this.spec.openWindowsMax ?? openWindowsMaxDefault;
    while (this.openCount > max) this.closeOldest(out);
  }

  /** A session grows to cover the item; sessions it now touches become one. */
  private addToSession(list: Open<A>[], window: EventWindow, item: T): void {
    const merge = (a: A, b: A) => (this.spec.merge as (a: A, b: A) => A).call(this.spec, a, b);
    let session: Open<A> = { window, value: this.spec.add(this.spec.zero(), item) };
    this.openCount++;
    for (let i = list.length - 1; i >= 0; i--) {
      const other = list[i];
      if (other.window.endMs < session.window.startMs || other.window.startMs > session.window.endMs) continue;
      session = {
        window: {
          startMs: Math.min(other.window.startMs, session.window.startMs),
          endMs: Math.max(other.window.endMs, session.window.endMs),
        },
        value: merge(other.value, session.value),
      };
      list.splice(i, 1);
      this.openCount--;
    }
    list.push(session);
  }

  private emitClosed(closed: (window: EventWindow) => boolean, early: boolean, out: EventTimeResult<K, A>[]): void {
    const emptied: K[] = [];
    this.open.forEach((list, key) => {
      for (let i = list.length - 1; i >= 0; i--) {
        if (!closed(list[i].window)) continue;
        const [{ window, value }] = list.splice(i, 1);
        out.push({ window, key, value, early });
        this.openCount--;
      }
      if (list.length === 0) emptied.push(key);
    });
    for (const key of emptied) this.open.delete(key);
    out.sort((a, b) => a.window.startMs - b.window.startMs);
  }

  private closeOldest(out: EventTimeResult<K, A>[]): void {
    let oldestEndMs = Number.POSITIVE_INFINITY;
    this.open.forEach((list) => {
      for (const o of list) oldestEndMs = Math.min(oldestEndMs, o.window.endMs);
    });
    const before = this.openCount;
    this.emitClosed((window) => window.endMs === oldestEndMs, true, out);
    this.closedEarly += before - this.openCount;
  }

  override checkpointState(): unknown {
    const open: [K, Open<A>[]][] = this.open.toPairs();
    return {
      open,
      watermarkMs: this.watermarkMs,
      newestEventMs: this.newestEventMs,
      lateItems: this.lateItems,
      closedEarly: this.closedEarly,
    };
  }

  override restoreState(saved: unknown): void {
    const s = saved as { open: [K, Open<A>[]][]; watermarkMs: number; newestEventMs: number; lateItems: number; closedEarly: number };
    const keys: K[] = [];
    this.open.forEach((_, key) => {
      keys.push(key);
    });
    for (const key of keys) this.open.delete(key);
    this.openCount = 0;
    for (const [key, list] of s.open) {
      this.open.set(key, list);
      this.openCount += list.length;
    }
    this.watermarkMs = s.watermarkMs;
    this.newestEventMs = s.newestEventMs;
    this.lateItems = s.lateItems;
    this.closedEarly = s.closedEarly;
  }
}
