import type { ClosedEarly, ClosedWindow, EventTimeAggregatorOptions } from './event-time-aggregator.js';
import { EventTimeAggregator } from './event-time-aggregator.js';

/** What a restart needs of one source: its watermark, and its windows closed early that the watermark has not passed. */
export interface SourceCheckpoint {
  readonly watermarkMs: number;
  readonly closedEarly: readonly ClosedEarly[];
}

export interface PerSourceAggregatorOptions<V, S>
  extends Omit<EventTimeAggregatorOptions<V, S>, 'watermarkMs' | 'openStatesMax' | 'closedEarly'> {
  /** Open (window, key) states over all sources, at most; past it the oldest window closes early. */
  readonly openStatesMax?: number;
  /** A source's starting point, e.g. restored from a checkpoint; undefined: from nothing. */
  readonly checkpointOf?: (source: string) => Partial<SourceCheckpoint> | undefined;
  /** Sources at rest (no open window: only their watermark is kept), at most; past it the oldest is forgotten (counted). */
  readonly restingSourcesMax?: number;
}

/**
 * Keyed event-time windows with one watermark per source (a device), as Flink keeps one per
 * source: a source's clock, ahead or behind, decides only when its own windows close and
 * which of its own values are late. Values of one source are never late because of another's.
 * Each source is an EventTimeAggregator; what closes together is handed out grouped by window.
 *
 * A source idle for a while closes its windows by wall clock (closeIdle), as Flink's idleness
 * does: a quiet device holds back nobody, and a lagging one only itself.
 */
export class PerSourceAggregator<K, V, S> {
  private readonly sources = new Map<string, EventTimeAggregator<K, V, S>>();
  /** Sources with no open window: their checkpoint alone, which still decides what of theirs is late or forwarded. */
  private readonly resting = new Map<string, SourceCheckpoint>();
  private readonly dirty = new Set<string>();
  lateCount = 0;
  /** Resting sources forgotten at restingSourcesMax. */
  sourcesForgotten = 0;

  /** What every source's aggregator shares: one object, not a copy each. */
  private readonly sourceOptions: EventTimeAggregatorOptions<V, S>;

  constructor(private readonly options: PerSourceAggregatorOptions<V, S>) {
    this.sourceOptions = { ...options, openStatesMax: undefined };
  }

  private sourceOf(source: string): EventTimeAggregator<K, V, S> {
    let aggregator = this.sources.get(source);
    if (!aggregator) {
      const stored = this.resting.get(source) ?? this.options.checkpointOf?.(source);
      this.resting.delete(source);
      aggregator = new EventTimeAggregator<K, V, S>(this.sourceOptions, {
        watermarkMs: stored?.watermarkMs,
        closedEarly: stored?.closedEarly,
      });
      this.sources.set(source, aggregator);
    }
    return aggregator;
  }

  /** Adds a value of `source` at event time ts; 'late' if every window it belongs to has closed for that source. */
  add(source: string, key: K, ts: number, value: V, sourceOffset = Number.POSITIVE_INFINITY, nowMs = Date.now()) {
    // A source's checkpoint changes when its windows close, not with every value: the stored
    // watermark only has to cover the windows written, so a value does not make it dirty.
    const outcome = this.sourceOf(source).add(key, ts, value, sourceOffset, nowMs);
    if (outcome === 'late') this.lateCount++;
    return outcome;
  }

  /** Closes, per source, what its watermark has passed; then enforces openStatesMax. */
  closeReady(): ClosedWindow<K, S>[] {
    const closed: ClosedWindow<K, S>[] = [];
    for (const [source, aggregator] of this.sources) {
      if (aggregator.openWindowCount === 0) continue;
      const windows = aggregator.closeReady();
      if (windows.length > 0) this.dirty.add(source); // early closes the watermark passed are forgotten
      closed.push(...windows);
    }
    const max = this.options.openStatesMax ?? Number.POSITIVE_INFINITY;
    while (this.openStateCount > max) {
      const early = this.closeOldest();
      if (!early) break;
      closed.push(early);
    }
    return this.grouped(closed);
  }

  /** Closes each source's windows that received nothing for idleMs of wall-clock time. */
  closeIdle(idleMs: number, nowMs = Date.now()): ClosedWindow<K, S>[] {
    const closed: ClosedWindow<K, S>[] = [];
    for (const [source, aggregator] of this.sources) {
      if (aggregator.openWindowCount === 0) continue;
      const windows = aggregator.closeIdle(idleMs, nowMs);
      if (windows.length > 0) this.dirty.add(source);
      closed.push(...windows);
    }
    this.rest();
    return this.grouped(closed);
  }

  /** Closes the oldest open window of any source now (a limit was reached). */
  closeOldest(): ClosedWindow<K, S> | undefined {
    let oldest: [string, EventTimeAggregator<K, V, S>] | undefined;
    let oldestEnd = Number.POSITIVE_INFINITY;
    for (const entry of this.sources) {
      const end = entry[1].oldestOpenEndMs();
      if (end !== undefined && end < oldestEnd) {
        oldest = entry;
        oldestEnd = end;
      }
    }
    if (!oldest) return undefined;
    this.dirty.add(oldest[0]);
    return oldest[1].closeOldest();
  }

  /** Closes everything, as a graceful shutdown does; watermarks stay where they are. */
  closeAll(): ClosedWindow<K, S>[] {
    const closed: ClosedWindow<K, S>[] = [];
    for (const aggregator of this.sources.values()) closed.push(...aggregator.closeAll());
    return this.grouped(closed);
  }

  /** Pulls each source's watermark back to at most its ceiling (see Watermark.clampTo). Returns how many moved. */
  clampWatermarks(ceilingOf: (source: string) => number): number {
    let moved = 0;
    for (const [source, resting] of this.resting) {
      const ceiling = ceilingOf(source);
      if (resting.watermarkMs <= ceiling) continue;
      this.resting.set(source, { ...resting, watermarkMs: ceiling });
      this.dirty.add(source);
      moved++;
    }
    for (const [source, aggregator] of this.sources) {
      const ceiling = ceilingOf(source);
      if (aggregator.watermark.valueMs <= ceiling) continue;
      aggregator.watermark.clampTo(ceiling);
      this.dirty.add(source);
      moved++;
    }
    return moved;
  }

  /**
   * The sources whose windows closed (or whose watermark was pulled back) since the last call,
   * with their checkpoint: the watermark, no further than
   * just before the source's oldest open window ends (a restart from it replays every open
   * window's values instead of taking them for late), and the windows closed early.
   */
  takeChangedCheckpoints(): [source: string, checkpoint: SourceCheckpoint][] {
    const changed: [string, SourceCheckpoint][] = [];
    for (const source of this.dirty) {
      const aggregator = this.sources.get(source);
      const resting = this.resting.get(source);
      const openEnd = aggregator?.oldestOpenEndMs();
      const watermarkMs = aggregator?.watermark.valueMs ?? resting?.watermarkMs ?? Number.NEGATIVE_INFINITY;
      const safe = Math.min(watermarkMs, openEnd === undefined ? Number.POSITIVE_INFINITY : openEnd - 1);
      const closedEarly = aggregator?.closedEarly() ?? resting?.closedEarly ?? [];
      if (Number.isFinite(safe) || closedEarly.length > 0) changed.push([source, { watermarkMs: safe, closedEarly }]);
    }
    this.dirty.clear();
    return changed;
  }

  minOpenOffset(): number | undefined {
    let min = Number.POSITIVE_INFINITY;
    for (const aggregator of this.sources.values()) min = Math.min(min, aggregator.minOpenOffset() ?? Number.POSITIVE_INFINITY);
    return Number.isFinite(min) ? min : undefined;
  }

  get openStateCount(): number {
    let count = 0;
    for (const aggregator of this.sources.values()) count += aggregator.openStateCount;
    return count;
  }

  /** Sources known: with open windows, and at rest. */
  get sourceCount(): number {
    return this.sources.size + this.resting.size;
  }

  /** The lowest and highest watermark over the sources (the laggard and the leader), or undefined. */
  watermarkRange(): { lowMs: number; highMs: number } | undefined {
    let lowMs = Number.POSITIVE_INFINITY;
    let highMs = Number.NEGATIVE_INFINITY;
    const take = (ms: number) => {
      if (!Number.isFinite(ms)) return;
      if (ms < lowMs) lowMs = ms;
      if (ms > highMs) highMs = ms;
    };
    // Runs every second over every device: no array of them is built.
    for (const aggregator of this.sources.values()) take(aggregator.watermark.valueMs);
    for (const resting of this.resting.values()) take(resting.watermarkMs);
    return Number.isFinite(lowMs) ? { lowMs, highMs } : undefined;
  }

  /** The watermark of one source, if it has one. */
  watermarkOf(source: string): number | undefined {
    return this.sources.get(source)?.watermark.valueMs ?? this.resting.get(source)?.watermarkMs;
  }

  /** Sources with no open window keep only their watermark; the oldest resting ones go at restingSourcesMax. */
  private rest(): void {
    for (const [source, aggregator] of this.sources) {
      if (aggregator.openWindowCount > 0 || this.dirty.has(source)) continue;
      this.sources.delete(source);
      // Its early closes the watermark has not passed stay with it, for a replay.
      this.resting.set(source, { watermarkMs: aggregator.watermark.valueMs, closedEarly: aggregator.closedEarly() });
    }
    const max = this.options.restingSourcesMax ?? Number.POSITIVE_INFINITY;
    for (const source of this.resting.keys()) {
      if (this.resting.size <= max) break;
      this.resting.delete(source);
      this.sourcesForgotten++;
    }
  }

  /** Windows closed by different sources, merged per window (their keys differ: a key belongs to one source). */
  private grouped(closed: ClosedWindow<K, S>[]): ClosedWindow<K, S>[] {
    if (closed.length <= 1) return closed;
    const byWindow = new Map<string, ClosedWindow<K, S>>();
    for (const window of closed) {
      const id = `${window.startMs}/${window.endMs}`;
      const seen = byWindow.get(id);
      byWindow.set(
        id,
        seen
          ? { ...seen, entries: seen.entries.concat(window.entries), early: seen.early || window.early }
          : { ...window, entries: [...window.entries] },
      );
    }
    return [...byWindow.values()].sort((a, b) => a.endMs - b.endMs || a.startMs - b.startMs);
  }
}
