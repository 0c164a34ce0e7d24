import type { Reading } from '@fogline/shared';
import { describe, expect, it } from 'vitest';
import type { MicroBatch } from './gateway-job.js';
import { logOffset } from './log-offset.js';
import { ReadingRouter } from './reading-router.js';

/** A runner that records the batches it is given (the router's only collaborator). */
function recording() {
  const batches: MicroBatch[] = [];
  return { batches, run: async (batch: MicroBatch) => void batches.push(batch) };
}

const publish = (deviceId: string, ts: number, metrics: string[]): Reading[] =>
  metrics.map((metric) => ({ deviceId, metric, ts, value: 1 }));

describe('the reading router', () => {
  it('cuts batches by count, never between two readings of one publish, and tags each with its log offset', async () => {
    const runner = recording();
    const router = new ReadingRouter(runner, { batchIntervalMs: 60_000, batchReadingsMax: 3, queuedReadingsMax: 100 });
    router.route(publish('a', 1, ['v', 'i']), 0);
    router.route(publish('a', 2, ['v', 'i']), 1); // the 3rd reading fills the batch mid-publish
    router.route(publish('b', 2, ['v', 'i']), Number.POSITIVE_INFINITY); // QoS 0, not logged
    await router.flushed();
    expect(runner.batches.map((b) => b.readings.map((r) => `${r.deviceId}${r.ts}${r.metric}@${r[logOffset]}`))).toEqual([
      ['a1v@0', 'a1i@0', 'a2v@1', 'a2i@1'],
      ['b2v@Infinity', 'b2i@Infinity'],
    ]);
    expect(runner.batches.map((b) => b.logOffsetMax)).toEqual([1, Number.NEGATIVE_INFINITY]);
    router.stop();
  });

  it('runs a batch that is not full once batchIntervalMs has passed', async () => {
    const runner = recording();
    const router = new ReadingRouter(runner, { batchIntervalMs: 50, batchReadingsMax: 1000, queuedReadingsMax: 100 });
    router.route(publish('a', 1, ['v']), 0);
    expect(runner.batches).toHaveLength(0);
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(runner.batches).toHaveLength(1);
    router.stop();
  });

  it('has room for queuedReadingsMax readings at most (ingest refuses past it)', () => {
    const router = new ReadingRouter(recording(), { batchIntervalMs: 60_000, batchReadingsMax: 1000, queuedReadingsMax: 3 });
    router.route(publish('a', 1, ['v', 'i']), 0);
    expect(router.hasRoomFor(1)).toBe(true);
    expect(router.hasRoomFor(2)).toBe(false);
    router.stop();
  });

  it('replays whole log entries, and never mixes entries whose alerts were written with those whose were not', async () => {
    const runner = recording();
    const router = new ReadingRouter(runner, { batchIntervalMs: 60_000, batchReadingsMax: 100, queuedReadingsMax: 100 });
    await router.replay(publish('a', 1, ['v']), 5, true);
    await router.replay(publish('a', 2, ['v']), 6, true);
    await router.replay(publish('a', 3, ['v']), 7, false);
    await router.endReplay();
    expect(runner.batches.map((b) => [b.readings.length, b.logOffsetMax, b.replaying, b.alertsWritten])).toEqual([
      [2, 6, true, true],
      [1, 7, true, false],
    ]);
  });

  it('takes a log entry with no readings (a clean disconnect mark) without stalling the batches after it', async () => {
    const runner = recording();
    const router = new ReadingRouter(runner, { batchIntervalMs: 10, batchReadingsMax: 1000, queuedReadingsMax: 100 });
    router.route([], 3);
    await new Promise((resolve) => setTimeout(resolve, 40)); // the interval passes with nothing queued
    router.route(publish('a', 1, ['v']), 4);
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(runner.batches.map((b) => b.readings.length)).toEqual([1]);
    await router.flushed();
    router.stop();
  });
});
