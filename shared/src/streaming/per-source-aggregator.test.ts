import { describe, expect, it } from 'vitest';
import { PerSourceAggregator } from './per-source-aggregator.js';

const sum = () =>
  new PerSourceAggregator<string, number, number>({
    window: { kind: 'tumbling', sizeMs: 10 },
    allowedLatenessMs: 0,
    createState: () => 0,
    addValue: (s, v) => s + v,
    restingSourcesMax: 1,
  });

describe('PerSourceAggregator', () => {
  it("closes a source's windows by its own watermark only, and groups what closes together by window", () => {
    const agg = sum();
    agg.add('a', 'a/x', 1, 1);
    agg.add('b', 'b/x', 2, 1);
    agg.add('a', 'a/x', 35, 1); // a's clock runs ahead: a's window [0, 10) closes, b's stays open
    expect(agg.closeReady().map((w) => [w.startMs, w.entries])).toEqual([[0, [['a/x', 1]]]]);
    expect(agg.add('b', 'b/x', 3, 1)).toBe('accepted');
    expect(agg.add('a', 'a/x', 4, 1)).toBe('late');
    agg.add('b', 'b/x', 12, 1);
    expect(agg.closeReady().map((w) => [w.startMs, w.entries])).toEqual([[0, [['b/x', 2]]]]);
    expect(agg.closeAll().map((w) => [w.startMs, w.entries.sort()])).toEqual([
      [10, [['b/x', 1]]],
      [30, [['a/x', 1]]],
    ]);
  });

  it('reports a checkpoint when windows close, no further than just before an open window, and pulls back a watermark beyond its ceiling', () => {
    const agg = sum();
    agg.add('a', 'a/x', 5, 1);
    agg.add('a', 'a/x', 25, 1); // watermark 25; [0, 10) not closed yet
    expect(agg.takeChangedCheckpoints()).toEqual([]); // values alone change no checkpoint
    agg.add('b', 'b/x', 15, 1);
    agg.closeReady(); // a's [0, 10) closes: a's checkpoint covers it, b's is unchanged
    expect(agg.takeChangedCheckpoints()).toEqual([['a', { watermarkMs: 25, closedEarly: [] }]]);
    expect(agg.takeChangedCheckpoints()).toEqual([]);
    expect(agg.clampWatermarks(() => 12)).toBe(2); // a (25) and b (15)
    expect(agg.watermarkOf('a')).toBe(12);
    expect(agg.add('a', 'a/x', 15, 1)).toBe('accepted'); // [10, 20) opens again
  });

  it('keeps only the checkpoint of a source at rest, and forgets the oldest past restingSourcesMax (counted)', () => {
    const agg = sum();
    agg.add('a', 'a/x', 5, 1, 0, 0);
    agg.add('b', 'b/x', 5, 1, 1, 0);
    agg.takeChangedCheckpoints();
    expect(agg.closeIdle(10, 100)).toHaveLength(1); // [0, 10) of both, closed early
    agg.takeChangedCheckpoints();
    agg.closeIdle(10, 100); // at rest now: one is kept, one forgotten
    expect(agg.sourceCount).toBe(1);
    expect(agg.sourcesForgotten).toBe(1);
    const kept = agg.watermarkOf('a') === undefined ? 'b' : 'a';
    // The early close rests with it: a replay of what left is skipped, a new value reopens.
    expect(agg.add(kept, `${kept}/x`, 6, 1, kept === 'a' ? 0 : 1)).toBe('forwarded');
    expect(agg.add(kept, `${kept}/x`, 6, 1, 9)).toBe('accepted');
  });
});
