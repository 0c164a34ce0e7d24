import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { envelopeFormatVersion, RddContext } from '@fogline/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { envelope, fixtureWindow, partitionTopic } from '../testing/envelope-fixture.js';
import { IntakeStore } from './intake-store.js';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const resource of open.splice(0)) await resource.close();
});

async function store(dir = mkdtempSync(join(tmpdir(), 'fogline-cloud-'))) {
  const s = await IntakeStore.open(dir);
  open.push(s);
  return { store: s, dir };
}

const window = fixtureWindow;
const topic = partitionTopic;

describe('IntakeStore', () => {
  it('merges the envelopes of several gateways into one state per device, metric and window', async () => {
    const { store: s } = await store();
    expect(
      await s.apply(
        topic('gw-a'),
        envelope('gw-a', 0, [
          ['atm-1', 't', [1, 2, 3]],
          ['atm-2', 't', [10]],
        ]),
      ),
    ).toBe('merged');
    expect(await s.apply(topic('gw-b'), envelope('gw-b', 0, [['atm-1', 't', [4, 5]]]))).toBe('merged');
    const [point] = await s.series('atm-1', 't', 0, Number.MAX_SAFE_INTEGER);
    expect(point.windowStartMs).toBe(window.windowStartMs);
    expect(point.state.summary()).toMatchObject({ count: 5, sum: 15, min: 1, max: 5, mean: 3 });
    expect(point.state.variance).toBeCloseTo(2, 12);
  });

  it('skips an envelope it has seen, also after a restart, and counts the duplicate', async () => {
    const { store: first, dir } = await store();
    const bytes = envelope('gw-a', 7, [['m', 'v', [1, 2]]]);
    expect(await first.apply(topic('gw-a'), bytes)).toBe('merged');
    expect(await first.apply(topic('gw-a'), bytes)).toBe('duplicate');
    await first.close();
    open.splice(open.indexOf(first), 1);
    const { store: second } = await store(dir);
    expect(await second.apply(topic('gw-a'), bytes)).toBe('duplicate');
    expect(await second.apply(topic('gw-b'), envelope('gw-b', 7, [['m', 'v', [3]]]))).toBe('merged'); // same seq, another gateway
    expect((await second.series('m', 'v', 0, Number.MAX_SAFE_INTEGER))[0].state.count).toBe(3);
    const stats = (await second.gatewayList()).find((g) => g.gatewayId === 'gw-a');
    expect(stats).toMatchObject({ envelopes: 1, duplicates: 2, readings: 2 });
  });

  it('keeps an envelope of a newer format whole, and dead-letters unreadable ones with the reason', async () => {
    const { store: s } = await store();
    const newer = envelope('gw-a', 1, [['m', 'v', [1]]]);
    newer[0] = envelopeFormatVersion + 1;
    expect(await s.apply(topic('gw-a'), newer)).toBe('kept-newer-format');
    expect(await s.keptNewer()).toMatchObject([
      { reason: expect.stringContaining(`format version ${envelopeFormatVersion + 1} is newer`) },
    ]);
    expect(await s.apply(topic('gw-a'), Buffer.from([1, 0, 0xc1]))).toBe('dead-letter');
    expect(await s.apply(topic('gw-x'), envelope('gw-a', 2, [['m', 'v', [1]]]))).toBe('dead-letter');
    const dead = await s.deadLetters();
    expect(dead.map((d) => d.reason)).toEqual([
      expect.stringContaining('envelope:'),
      'envelope gatewayId "gw-a" does not match the topic\'s "gw-x"',
    ]);
    expect(await s.series('m', 'v', 0, Number.MAX_SAFE_INTEGER)).toEqual([]);
  });

  it('counts every envelope exactly once when many arrive at once for the same key', async () => {
    const { store: s } = await store();
    const all = Array.from({ length: 50 }, (_, seq) => envelope('gw-a', seq, [['hot', 'k', [seq]]]));
    const outcomes = await Promise.all([...all, ...all.slice(0, 10)].map((bytes) => s.apply(topic('gw-a'), bytes)));
    expect(outcomes.filter((o) => o === 'merged')).toHaveLength(50);
    expect(outcomes.filter((o) => o === 'duplicate')).toHaveLength(10);
    const state = (await s.series('hot', 'k', 0, Number.MAX_SAFE_INTEGER))[0].state;
    expect([state.count, state.sum.value()]).toEqual([50, (49 * 50) / 2]);
  });

  it('keeps exact hour and day rollups, also for a partition that arrives late, and applies retention', async () => {
    const { store: s } = await store();
    const hour = 3_600_000;
    const at = (startMs: number, seq: number, values: number[]) =>
      envelope('gw', seq, [['d', 'm', values]], { windowStartMs: startMs, windowEndMs: startMs + 60_000 });
    const day0 = Date.UTC(2026, 10, 1);
    await s.apply(topic('gw'), at(day0, 0, [1, 2]));
    await s.apply(topic('gw'), at(day0 + 60_000, 1, [3]));
    await s.apply(topic('gw'), at(day0 + 2 * hour, 2, [10]));
    await s.apply(topic('gw'), at(day0 + 120_000, 3, [4])); // late, into an hour that already had windows
    const hours = await s.series('d', 'm', 0, Number.MAX_SAFE_INTEGER, 'hour');
    expect(hours.map((p) => [p.windowStartMs - day0, p.state.count, p.state.sum.value()])).toEqual([
      [0, 4, 10],
      [2 * hour, 1, 10],
    ]);
    const days = await s.series('d', 'm', 0, Number.MAX_SAFE_INTEGER, 'day');
    expect(days.map((p) => [p.windowStartMs, p.windowEndMs - p.windowStartMs, p.state.count, p.state.max])).toEqual([
      [day0, 24 * hour, 5, 10],
    ]);
    expect((await s.series('d', 'm', 0, Number.MAX_SAFE_INTEGER)).length).toBe(4);
    // Keep windows one hour, hours a day, days forever, as of day0 + 3 h.
    const deleted = await s.applyRetention(day0 + 3 * hour, { window: hour, hour: 24 * hour, day: Number.POSITIVE_INFINITY });
    expect(deleted).toBe(3);
    expect((await s.series('d', 'm', 0, Number.MAX_SAFE_INTEGER)).map((p) => p.windowStartMs - day0)).toEqual([2 * hour]);
    expect(await s.series('d', 'm', 0, Number.MAX_SAFE_INTEGER, 'hour')).toHaveLength(2);
  });

  it('computes fleet aggregates by merging states on the RDD engine', async () => {
    const { store: s } = await store();
    await s.apply(
      topic('gw-a'),
      envelope('gw-a', 0, [
        ['atm-1', 't', [1, 2]],
        ['atm-2', 't', [3]],
        ['atm-1', 'other', [100]],
      ]),
    );
    await s.apply(topic('gw-b'), envelope('gw-b', 0, [['motor-1', 't', [10, 20]]]));
    const rdd = new RddContext({ defaultParallelism: 2 });
    open.push({ close: () => rdd.stop() });
    const byModel = await s.fleet(rdd, 't', 0, Number.MAX_SAFE_INTEGER, (deviceId) => deviceId.split('-')[0]);
    expect(byModel.get('atm')?.summary()).toMatchObject({ count: 3, sum: 6, mean: 2 });
    expect(byModel.get('motor')?.summary()).toMatchObject({ count: 2, sum: 30, p50: expect.any(Number) });
    const all = await s.fleet(rdd, 't', 0, Number.MAX_SAFE_INTEGER, () => 'fleet');
    expect(all.get('fleet')?.summary()).toMatchObject({ count: 5, sum: 36, min: 1, max: 20 });
  });
});
