import { encodeEnvelope, envelopeFormatVersion, MetricState, type PartitionEnvelope } from '@fogline/shared';
import { describe, expect, it } from 'vitest';
import { envelope, fixtureWindow } from '../testing/envelope-fixture.js';
import { all, hourMs, type StoreHarness, suiteContext, topic } from './store-conformance-context.js';

/** The intake half of the conformance suite: merging exactly once, and what is kept aside. */
export function describeIntakeConformance(backend: string, harness: StoreHarness): void {
  const { open, fresh, countOf } = suiteContext(harness);
  describe(`cloud store conformance, intake: ${backend}`, () => {
    it('merges the envelopes of several gateways into one state per device, metric and window', async () => {
      const { store: s } = await fresh();
      const first = envelope('gw-a', 0, [
        ['atm-1', 't', [1, 2, 3]],
        ['atm-2', 't', [10]],
      ]);
      expect(await s.partitions.apply(topic('gw-a'), first)).toBe('merged');
      expect(await s.partitions.apply(topic('gw-b'), envelope('gw-b', 0, [['atm-1', 't', [4, 5]]]))).toBe('merged');
      const [point] = await s.series.series('atm-1', 't', 0, all);
      expect(point.windowStartMs).toBe(fixtureWindow.windowStartMs);
      expect(point.windowEndMs).toBe(fixtureWindow.windowEndMs);
      expect(point.state.summary()).toMatchObject({ count: 5, sum: 15, min: 1, max: 5, mean: 3 });
      expect(point.state.variance).toBeCloseTo(2, 12);
      expect((await s.series.metricNames()).names).toEqual(['t']);
      expect(await s.series.metricsOf('atm-1')).toEqual(['t']);
    });

    it('skips an envelope it has seen, also after reopening, and counts the duplicate', async () => {
      const { store: first, reopen } = await fresh();
      const bytes = envelope('gw-a', 7, [['m', 'v', [1, 2]]]);
      expect(await first.partitions.apply(topic('gw-a'), bytes)).toBe('merged');
      expect(await first.partitions.apply(topic('gw-a'), bytes)).toBe('duplicate');
      await first.close();
      open.splice(open.indexOf(first), 1);
      const second = await reopen();
      open.push(second);
      expect(await second.partitions.apply(topic('gw-a'), bytes)).toBe('duplicate');
      expect(await second.partitions.apply(topic('gw-b'), envelope('gw-b', 7, [['m', 'v', [3]]]))).toBe('merged');
      expect(await countOf(second, 'm', 'v')).toBe(3);
      const stats = (await second.registry.gatewayList()).find((g) => g.gatewayId === 'gw-a');
      expect(stats).toMatchObject({ envelopes: 1, duplicates: 2, readings: 2 });
    });

    it('dedups by (gateway, incarnation, seq): a reinstalled gateway starting at seq 0 again merges', async () => {
      const { store: s } = await fresh();
      const news: string[] = [];
      s.events.on('incarnation', ({ news: n, incarnation }) => news.push(`${n}:${incarnation}`));
      for (const seq of [0, 1, 2, 4, 5]) await s.partitions.apply(topic('gw'), envelope('gw', seq, [['d', 't', [1]]]));
      expect(await s.partitions.apply(topic('gw'), envelope('gw', 4, [['d', 't', [1]]]))).toBe('duplicate');
      expect(await s.partitions.apply(topic('gw'), envelope('gw', 3, [['d', 't', [1]]]))).toBe('merged');
      const reinstalled = { incarnation: 'inc-2', firstSeq: 0, createdAtMs: fixtureWindow.windowEndMs + 60_000 };
      expect(await s.partitions.apply(topic('gw'), envelope('gw', 0, [['d', 't', [1]]], fixtureWindow, reinstalled))).toBe('merged');
      expect(await countOf(s, 'd')).toBe(7);
      const [stats] = await s.registry.gatewayList();
      expect(stats.incarnation).toBe('inc-2');
      expect(stats.incarnations?.map((i) => i.id)).toEqual(['inc-1', 'inc-2']);
      expect(news).toEqual(['new:inc-1', 'new:inc-2']);
    });

    it('keeps a newer format whole and dead-letters unreadable envelopes with the reason', async () => {
      const { store: s } = await fresh();
      const newer = envelope('gw-a', 1, [['m', 'v', [1]]]);
      newer[0] = envelopeFormatVersion + 1;
      expect(await s.partitions.apply(topic('gw-a'), newer)).toBe('kept-newer-format');
      expect(await s.quarantine.keptNewer()).toMatchObject([
        { reason: expect.stringContaining(`format version ${envelopeFormatVersion + 1} is newer`) },
      ]);
      expect(await s.partitions.apply(topic('gw-a'), Buffer.from([1, 0, 0xc1]))).toBe('dead-letter');
      expect(await s.partitions.apply(topic('gw-x'), envelope('gw-a', 2, [['m', 'v', [1]]]))).toBe('dead-letter');
      expect((await s.quarantine.deadLetters()).map((d) => d.reason)).toEqual([
        expect.stringContaining('envelope:'),
        'envelope gatewayId "gw-a" does not match the topic\'s "gw-x"',
      ]);
      await s.quarantine.park('fogline/v1/gw-a/partitions/0', 'parked after 3 failed attempts: boom', Buffer.from([1, 2]));
      expect((await s.quarantine.keptNewer()).map((k) => Boolean(k.parked))).toEqual([false, true]);
      expect(await s.series.series('m', 'v', 0, all)).toEqual([]);
    });

    it('dead-letters one record that would poison a rollup and merges the rest of its envelope', async () => {
      const { store: s } = await fresh();
      const startMs = fixtureWindow.windowStartMs - (fixtureWindow.windowStartMs % hourMs);
      const near = (w: number) =>
        encodeEnvelope({
          gatewayId: 'gw',
          incarnation: 'inc-1',
          firstSeq: 0,
          seq: w,
          windowStartMs: startMs + w * 60_000,
          windowEndMs: startMs + (w + 1) * 60_000,
          partition: 0,
          partitionCount: 1,
          createdAtMs: startMs + (w + 1) * 60_000,
          records: [
            // m2 9.8e307: finite, twice not.
            [
              ['big', 't'],
              MetricState.of([
                [-7e153, startMs],
                [7e153, startMs + 1],
              ]),
            ],
            [['small', 't'], MetricState.of([[1, startMs]])],
          ],
        } satisfies PartitionEnvelope);
      for (let w = 0; w < 3; w++) expect(await s.partitions.apply(topic('gw'), near(w))).toBe('merged');
      const hours = await s.series.series('big', 't', 0, all, 'hour');
      expect(hours.every((p) => p.state.finiteProblem() === undefined)).toBe(true);
      expect((await s.series.series('small', 't', 0, all, 'hour'))[0].state.count).toBe(3);
      expect((await s.quarantine.deadLetters()).some((d) => d.reason.includes('non-finite'))).toBe(true);
    });

    it('counts every envelope exactly once when many arrive at once for the same key', async () => {
      const { store: s } = await fresh();
      const envelopes = Array.from({ length: 40 }, (_, seq) => envelope('gw-a', seq, [['hot', 'k', [seq]]]));
      const outcomes = await Promise.all(
        [...envelopes, ...envelopes.slice(0, 10)].map((bytes) => s.partitions.apply(topic('gw-a'), bytes)),
      );
      expect(outcomes.filter((o) => o === 'merged')).toHaveLength(40);
      expect(outcomes.filter((o) => o === 'duplicate')).toHaveLength(10);
      const state = (await s.series.series('hot', 'k', 0, all))[0].state;
      expect([state.count, state.sum.value()]).toEqual([40, (39 * 40) / 2]);
    });
  });
}
