import { KeyMap } from '../rdd/index.js';
import { Watermark } from './watermark.js';
import { assignWindows, checkWindowSpec, type EventWindow, type WindowSpec } from './window-spec.js';

/** A window whose end the watermark has passed: its final state per key. */
export interface ClosedWindow<K, S> {
  readonly startMs: number;
  readonly endMs: number;
  readonly entries: [K, S][];
  /** True when a limit, not the watermark, closed it. */
  readonly early: boolean;
}

export interface EventTimeAggregatorOptions<V, S> {
  readonly window: WindowSpec;
  readonly allowedLatenessMs: number;
  readonly createState: () => S;
  /** Folds a value into a state; may mutate and return it. */
  readonly addValue: (state: S, value: V, ts: number) => S;
  /** Merges two states; needed for session windows, which merge when they meet. */
  readonly mergeStates?: (a: S, b: S) => S;
  /** Open (window, key) states kept at most; past it the oldest window closes early. */
  readonly openStatesMax?: number;
  /** Starting watermark, e.g. restored from a checkpoint. */
  readonly watermarkMs?: number;
  /** Windows closed early and not yet passed by the watermark, e.g. restored from a checkpoint. */
  readonly closedEarly?: readonly ClosedEarly[];
}

interface OpenWindow<K, S> extends EventWindow {
  readonly states: KeyMap<K, S>;
  /** The smallest source offset that fed this window: replay must start at or before it. */
  minOffset: number;
  lastUpdateMs: number;
}

interface Session<S> {
  startMs: number;
  endMs: number;
  state: S;
  minOffset: number;
  lastUpdateMs: number;
}

/**
 * accepted: folded into an open window; late: every window it belongs to has been passed by
 * the watermark; forwarded: a replayed value whose window was closed early with it already in
 * (see closeOldest), skipped.
 */
export type AddOutcome = 'accepted' | 'late' | 'forwarded';

/** A window closed before the watermark passed it: values of it up to this source offset were in it. */
export type ClosedEarly = [windowStartMs: number, coveredBelowOffset: number];

/**
 * Keyed event-time windows with a watermark, the gateway's core reduction. A value goes into
 * every window its timestamp falls in; a window closes when the watermark reaches its end,
 * and a value for a window that has already closed is late: reported as such, never dropped
 * silently (the caller routes it). State is bounded by the watermark (closed windows are
 * let go) and by openStatesMax.
 *
 * Each value may carry a source offset (the gateway's ingest-log position), so a caller can
 * ask from where a replay must start to rebuild every open window: minOpenOffset().
 *
 * @example
 * const agg = new EventTimeAggregator({ window: { kind: 'tumbling', sizeMs: 60_000 }, allowedLatenessMs: 5_000,
 *   createState: () => MetricState.empty(), addValue: (s, v, ts) => s.add(v, ts) });
 * agg.add('atm-1/temperature', ts, 21.5);
 * for (const closed of agg.closeReady()) forward(closed);
 */
export class EventTimeAggregator<K, V, S> {
  readonly watermark: Watermark;
  private readonly spec: WindowSpec;
  private readonly windows = new Map<number, OpenWindow<K, S>>();
  private readonly sessions = new KeyMap<K, Session<S>[]>();
  private openStates = 0;
  private readonly openStatesMax: number;
  /** Tumbling and sliding windows closed early, by start: below this source offset, their values went with them. */
  private closedEarlyWindows: Map<number, number> | undefined; // created on first early close
  /** The highest finite source offset added so far. */
  private maxSourceOffset = Number.NEGATIVE_INFINITY;
  lateCount = 0;
  closedEarlyCount = 0;

  /**
   * `start` overrides the options' watermarkMs and closedEarly: many aggregators (one per
   * source) then share one options object instead of a copy each.
   */
  constructor(
    private readonly options: EventTimeAggregatorOptions<V, S>,
    start: Pick<EventTimeAggregatorOptions<V, S>, 'watermarkMs' | 'closedEarly'> = options,
  ) {
    this.spec = checkWindowSpec(options.window);
    if (this.spec.kind === 'session' && !options.mergeStates) throw new RangeError('window: session windows need mergeStates');
    this.watermark = new Watermark(options.allowedLatenessMs, start.watermarkMs);
    this.openStatesMax = options.openStatesMax ?? Number.POSITIVE_INFINITY;
    for (const [startMs, offset] of start.closedEarly ?? []) this.rememberClosedEarly(startMs, offset);
  }

  /** Adds a value at event time ts; 'late' if every window it belongs to has closed. */
  add(key: K, ts: number, value: V, sourceOffset = Number.POSITIVE_INFINITY, nowMs = Date.now()): AddOutcome {
    const outcome =
      this.spec.kind === 'session'
        ? this.addToSession(key, ts, value, sourceOffset, nowMs)
        : this.addToWindows(key, ts, value, sourceOffset, nowMs);
    if (outcome === 'late') this.lateCount++;
    if (Number.isFinite(sourceOffset) && sourceOffset > this.maxSourceOffset) this.maxSourceOffset = sourceOffset;
    return outcome;
  }

  /** Moves the event time forward as if ts had been seen (no value). */
  observe(ts: number): void {
    this.watermark.observe(ts);
  }

  private addToWindows(key: K, ts: number, value: V, sourceOffset: number, nowMs: number): AddOutcome {
    if (this.spec.kind === 'tumbling') return this.addToTumbling(key, ts, value, sourceOffset, nowMs, this.spec.sizeMs);
    let accepted = false;
    let forwarded = false;
    for (const { startMs, endMs } of assignWindows(this.spec, ts)) {
      const outcome = this.placeIn(startMs, endMs, key, ts, value, sourceOffset, nowMs);
      accepted ||= outcome === 'accepted';
      forwarded ||= outcome === 'forwarded';
    }
    this.watermark.observe(ts);
    return accepted ? 'accepted' : forwarded ? 'forwarded' : 'late';
  }

  /**
   * addToWindows for tumbling windows, the gateway's every reading: one window, found without
   * building the list of windows (an array per value, and most of the garbage at 100,000
   * readings a second).
   */
  private addToTumbling(key: K, ts: number, value: V, sourceOffset: number, nowMs: number, sizeMs: number): AddOutcome {
    const startMs = ts - (((ts % sizeMs) + sizeMs) % sizeMs);
    const outcome = this.placeIn(startMs, startMs + sizeMs, key, ts, value, sourceOffset, nowMs);
    this.watermark.observe(ts); // after: a value is judged against the watermark before it
    return outcome;
  }

  /** Folds a value into one window (opening it), unless the window has closed or sent this value on when it closed early. */
  private placeIn(startMs: number, endMs: number, key: K, ts: number, value: V, sourceOffset: number, nowMs: number): AddOutcome {
    if (endMs <= this.watermark.valueMs) return 'late'; // this window has closed
    // A replay of a value that left with a window closed early: already forwarded.
    if (sourceOffset < (this.closedEarlyWindows?.get(startMs) ?? Number.NEGATIVE_INFINITY)) return 'forwarded';
    let window = this.windows.get(startMs);
    if (!window) {
      window = { startMs, endMs, states: new KeyMap<K, S>(), minOffset: sourceOffset, lastUpdateMs: nowMs };
      this.windows.set(startMs, window);
    }
    let state = window.states.get(key);
    if (state === undefined) {
      state = this.options.createState();
      window.states.set(key, state);
      this.openStates++;
    }
    const next = this.options.addValue(state, value, ts);
    if (next !== state) window.states.set(key, next);
    if (sourceOffset < window.minOffset) window.minOffset = sourceOffset;
    window.lastUpdateMs = nowMs;
    return 'accepted';
  }

  private addToSession(key: K, ts: number, value: V, sourceOffset: number, nowMs: number): AddOutcome {
    const gapMs = (this.spec as { gapMs: number }).gapMs;
    if (ts + gapMs <= this.watermark.valueMs) return 'late';
    const list = this.sessions.get(key) ?? [];
    let session: Session<S> = {
      startMs: ts,
      endMs: ts + gapMs,
      state: this.options.addValue(this.options.createState(), value, ts),
      minOffset: sourceOffset,
      lastUpdateMs: nowMs,
    };
    this.openStates++;
    // Merge every session this value's [ts, ts + gap) touches into one.
    const merge = this.options.mergeStates as (a: S, b: S) => S;
    const kept: Session<S>[] = [];
    for (const other of list) {
      if (other.startMs <= session.endMs && session.startMs <= other.endMs) {
        session = {
          startMs: Math.min(other.startMs, session.startMs),
          endMs: Math.max(other.endMs, session.endMs),
          state: merge(other.state, session.state),
          minOffset: Math.min(other.minOffset, session.minOffset),
          lastUpdateMs: nowMs,
        };
        this.openStates--;
      } else {
        kept.push(other);
      }
    }
    kept.push(session);
    this.sessions.set(key, kept);
    this.watermark.observe(ts);
    return 'accepted';
  }

  /** Closes every window the watermark has passed, oldest first; enforces openStatesMax. */
  closeReady(): ClosedWindow<K, S>[] {
    const closed = this.closeUpTo(this.watermark.valueMs, false);
    this.forgetPassedEarlyCloses();
    while (this.openStates > this.openStatesMax) {
      const early = this.closeOldest();
      if (!early) break;
      closed.push(early);
    }
    return closed;
  }

  /**
   * Closes the oldest open window now (a limit was reached, or it has been idle). The
   * watermark stays: a later value for that window is not late, it opens the window again,
   * and what the two closes hand out merges downstream like any two partitions. So that a
   * replay does not count again what left with it, the window is remembered with the source
   * offset below which its values went (closedEarly) until the watermark passes it. Session
   * windows, whose bounds move with their values, still move the watermark to their end.
   */
  closeOldest(): ClosedWindow<K, S> | undefined {
    const oldestEnd = this.oldestOpenEndMs();
    if (oldestEnd === undefined) return undefined;
    if (this.spec.kind === 'session') this.watermark.advanceTo(oldestEnd);
    else
      for (const window of this.windows.values())
        if (window.endMs <= oldestEnd) this.rememberClosedEarly(window.startMs, this.maxSourceOffset + 1);
    const [first, ...rest] = this.closeUpTo(oldestEnd, true);
    this.closedEarlyCount++;
    // Several windows can share the oldest end (sessions of different keys): fold them in.
    return rest.length === 0 ? first : { ...first, entries: [first, ...rest].flatMap((w) => w.entries) };
  }

  /** Closes windows that received nothing for idleMs of wall-clock time (a quiet fleet). */
  closeIdle(idleMs: number, nowMs = Date.now()): ClosedWindow<K, S>[] {
    const closed: ClosedWindow<K, S>[] = [];
    for (;;) {
      const oldest = this.oldestOpen();
      if (!oldest || nowMs - oldest.lastUpdateMs < idleMs) return closed;
      const window = this.closeOldest();
      if (window) closed.push(window);
    }
  }

  /** Closes everything, as a graceful shutdown does. */
  closeAll(): ClosedWindow<K, S>[] {
    return this.closeUpTo(Number.POSITIVE_INFINITY, true);
  }

  /** Windows closed early that the watermark has not passed: what a checkpoint must keep (see closeOldest). */
  closedEarly(): ClosedEarly[] {
    this.forgetPassedEarlyCloses();
    return [...(this.closedEarlyWindows ?? [])];
  }

  private rememberClosedEarly(startMs: number, coveredBelowOffset: number): void {
    this.closedEarlyWindows ??= new Map();
    this.closedEarlyWindows.set(startMs, coveredBelowOffset);
  }

  /** Once the watermark passes an early-closed window, its values are late anyway: it is forgotten. */
  private forgetPassedEarlyCloses(): void {
    if (this.spec.kind === 'session' || !this.closedEarlyWindows) return;
    const { sizeMs } = this.spec;
    for (const startMs of this.closedEarlyWindows.keys())
      if (startMs + sizeMs <= this.watermark.valueMs) this.closedEarlyWindows.delete(startMs);
  }

  /** The smallest source offset that any open window holds a value from; undefined if none is open. */
  minOpenOffset(): number | undefined {
    let min = Number.POSITIVE_INFINITY;
    for (const window of this.windows.values()) min = Math.min(min, window.minOffset);
    this.sessions.forEach((list) => {
      for (const session of list) min = Math.min(min, session.minOffset);
    });
    return Number.isFinite(min) ? min : undefined;
  }

  get openStateCount(): number {
    return this.openStates;
  }

  get openWindowCount(): number {
    let count = this.windows.size;
    this.sessions.forEach((list) => {
      count += list.length;
    });
    return count;
  }

  private oldestOpen(): { endMs: number; lastUpdateMs: number } | undefined {
    let oldest: { endMs: number; lastUpdateMs: number } | undefined;
    for (const window of this.windows.values()) if (!oldest || window.endMs < oldest.endMs) oldest = window;
    this.sessions.forEach((list) => {
      for (const session of list) if (!oldest || session.endMs < oldest.endMs) oldest = session;
    });
    return oldest;
  }

  /** The end of the oldest open window, or undefined if none is open. */
  oldestOpenEndMs(): number | undefined {
    return this.oldestOpen()?.endMs;
  }

  private closeUpTo(watermarkMs: number, early: boolean): ClosedWindow<K, S>[] {
    const closed: ClosedWindow<K, S>[] = [];
    for (const [startMs, window] of this.windows) {
      if (window.endMs > watermarkMs) continue;
      this.windows.delete(startMs);
      this.openStates -= window.states.size;
      closed.push({ startMs, endMs: window.endMs, entries: window.states.toPairs(), early });
    }
    const emptied: K[] = [];
    this.sessions.forEach((list, key) => {
      const open = list.filter((session) => {
        if (session.endMs > watermarkMs) return true;
        this.openStates--;
        closed.push({ startMs: session.startMs, endMs: session.endMs, entries: [[key, session.state]], early });
        return false;
      });
      if (open.length === 0) emptied.push(key);
      else this.sessions.set(key, open);
    });
    for (const key of emptied) this.sessions.delete(key);
    return closed.sort((a, b) => a.endMs - b.endMs || a.startMs - b.startMs);
  }
}
