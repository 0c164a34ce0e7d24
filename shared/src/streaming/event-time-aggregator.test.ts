import { describe, expect, it } from 'vitest';
import { EventTimeAggregator } from './event-time-aggregator.js';
import { Watermark } from './watermark.js';
import { assignWindows, checkWindowSpec } from './window-spec.js';

const sum = (size = 1000, lateness = 0, extra = {}) =>
  new EventTimeAggregator<string, number, number>({
    window: { kind: 'tumbling', sizeMs: size },
    allowedLatenessMs: lateness,
    createState: () => 0,
    addValue: (s, v) => s + v,
    mergeStates: (a, b) => a + b,
    ...extra,
  });

describe('event-time windows', () => {
  it('assigns tumbling and sliding windows aligned to the epoch', () => {
    expect(assignWindows({ kind: 'tumbling', sizeMs: 60_000 }, 125_000)).toEqual([{ startMs: 120_000, endMs: 180_000 }]);
    expect(assignWindows({ kind: 'tumbling', sizeMs: 10 }, -3)).toEqual([{ startMs: -10, endMs: 0 }]);
    expect(assignWindows({ kind: 'sliding', sizeMs: 30, slideMs: 10 }, 25)).toEqual([
      { startMs: 0, endMs: 30 },
      { startMs: 10, endMs: 40 },
      { startMs: 20, endMs: 50 },
    ]);
    expect(() => checkWindowSpec({ kind: 'sliding', sizeMs: 10, slideMs: 20 })).toThrow('slideMs was 20, expected at most sizeMs (10)');
    expect(() => checkWindowSpec({ kind: 'tumbling', sizeMs: 0 })).toThrow('sizeMs was 0');
  });

  it('moves the watermark only forward', () => {
    const w = new Watermark(100);
    w.observe(1000);
    w.observe(500);
    expect(w.valueMs).toBe(900);
    w.advanceTo(800);
    expect(w.valueMs).toBe(900);
  });

  it('closes a window once the watermark passes its end, counting late values instead of merging them', () => {
    const agg = sum(1000, 200);
    agg.add('a', 100, 1);
    agg.add('a', 900, 2);
    agg.add('b', 1100, 5);
    expect(agg.closeReady()).toEqual([]); // watermark 900: window [0, 1000) still open
    agg.add('a', 1250, 1); // watermark 1050
    expect(agg.closeReady()).toEqual([{ startMs: 0, endMs: 1000, entries: [['a', 3]], early: false }]);
    expect(agg.add('a', 950, 10)).toBe('late');
    expect(agg.lateCount).toBe(1);
    expect(agg.closeAll()).toEqual([
      {
        startMs: 1000,
        endMs: 2000,
        entries: [
          ['b', 5],
          ['a', 1],
        ],
        early: true,
      },
    ]);
  });

  it('tells from which source offset a replay rebuilds every open window', () => {
    const agg = sum();
    agg.add('a', 100, 1, 7);
    agg.add('a', 1100, 1, 8);
    agg.add('a', 200, 1, 9);
    expect(agg.minOpenOffset()).toBe(7);
    agg.observe(1000);
    agg.closeReady();
    expect(agg.minOpenOffset()).toBe(8);
    agg.closeAll();
    expect(agg.minOpenOffset()).toBeUndefined();
  });

  it('closes the oldest window early at openStatesMax; a later value opens it again, a replayed one is skipped', () => {
    const agg = sum(1000, 10_000, { openStatesMax: 2 });
    agg.add('a', 100, 1, 0);
    agg.add('b', 100, 1, 1);
    agg.add('c', 1100, 1, 2);
    const closed = agg.closeReady();
    expect(closed.map((w) => [w.startMs, w.early])).toEqual([[0, true]]);
    expect(agg.closedEarlyCount).toBe(1);
    expect(agg.closedEarly()).toEqual([[0, 3]]);
    // Not late: the watermark did not move. A new value reopens the window (merged downstream);
    // a replay of one that already left with it is skipped.
    expect(agg.add('a', 500, 1, 3)).toBe('accepted');
    expect(agg.add('a', 100, 1, 0)).toBe('forwarded');
    // A checkpointed early close does the same after a restart.
    const restored = sum(1000, 10_000, { closedEarly: agg.closedEarly() });
    expect(restored.add('b', 100, 1, 1)).toBe('forwarded');
    expect(restored.add('b', 100, 1, 5)).toBe('accepted');
    // Once the watermark passes the window, it is forgotten.
    agg.observe(12_000);
    agg.closeReady();
    expect(agg.closedEarly()).toEqual([]);
  });

  it('closes windows idle for a wall-clock time', () => {
    const agg = sum();
    agg.add('a', 100, 1, 0, 10_000);
    expect(agg.closeIdle(5000, 12_000)).toEqual([]);
    expect(agg.closeIdle(5000, 15_000).map((w) => w.entries)).toEqual([[['a', 1]]]);
  });

  it('merges session windows that meet, per key', () => {
    const agg = new EventTimeAggregator<string, number, number>({
      window: { kind: 'session', gapMs: 100 },
      allowedLatenessMs: 1000,
      createState: () => 0,
      addValue: (s, v) => s + v,
      mergeStates: (a, b) => a + b,
    });
    agg.add('a', 0, 1);
    agg.add('a', 250, 1);
    agg.add('a', 150, 1); // bridges nothing: [150, 250) touches [250, 350) only
    agg.add('b', 50, 7);
    agg.add('a', 80, 1); // joins [0, 100) and [150, ...)
    const closed = agg.closeAll();
    expect(closed.map((w) => [w.entries[0][0], w.startMs, w.endMs, w.entries[0][1]])).toEqual([
      ['b', 50, 150, 7],
      ['a', 0, 350, 4],
    ]);
  });
});
