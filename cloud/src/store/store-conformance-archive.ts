import { describe, expect, it } from 'vitest';
import { envelope, fixtureWindow } from '../testing/envelope-fixture.js';
import type { CloudStore } from './cloud-store.js';
import { all, dayMs, hourMs, type StoreHarness, suiteContext, topic } from './store-conformance-context.js';

/** Every merged state of a resolution, as text, to compare two stores (or one before and after a rebuild). */
async function snapshot(s: CloudStore): Promise<string[]> {
  const out: string[] = [];
  for (const resolution of ['window', 'hour', 'day'] as const) {
    for await (const row of s.series.scan(resolution, 0, all)) {
      const f = row.state.summary();
      out.push(
        `${resolution} ${row.deviceId} ${row.metric} ${row.startMs}-${row.endMs} n=${f.count} sum=${f.sum} min=${f.min} max=${f.max} p50=${f.p50}`,
      );
    }
  }
  return out.sort();
}

/** The archive half of the conformance suite: what merged is kept whole, and a rebuild from it gives the same rollups. */
export function describeArchiveConformance(backend: string, harness: StoreHarness): void {
  const { fresh } = suiteContext(harness);
  describe(`cloud store conformance, archive: ${backend}`, () => {
    it('keeps each merged envelope whole, in arrival order; duplicates and dead letters are not archived', async () => {
      const { store: s } = await fresh();
      const a = envelope('gw-a', 0, [['d', 't', [1, 2]]]);
      const b = envelope('gw-b', 0, [['d', 't', [3]]]);
      await s.partitions.apply(topic('gw-a'), a, 1000);
      await s.partitions.apply(topic('gw-b'), b, 2000);
      expect(await s.partitions.apply(topic('gw-a'), a, 3000)).toBe('duplicate');
      expect(await s.partitions.apply(topic('gw-c'), new Uint8Array([1, 2, 3]), 4000)).toBe('dead-letter');
      const archived = [];
      for await (const e of s.archive.scan(0, all)) archived.push(e);
      expect(archived.map((e) => [e.receivedAtMs, e.topic])).toEqual([
        [1000, topic('gw-a')],
        [2000, topic('gw-b')],
      ]);
      expect(Buffer.from(archived[0]!.bytes).equals(Buffer.from(a))).toBe(true);
      expect(await s.archive.oldestMs()).toBe(1000);
      const inRange = [];
      for await (const e of s.archive.scan(1500, 2500)) inRange.push(e.receivedAtMs);
      expect(inRange).toEqual([2000]);
    });

    it('retention deletes what arrived before the cutoff and nothing after', async () => {
      const { store: s } = await fresh();
      for (let seq = 0; seq < 5; seq++) await s.partitions.apply(topic('gw'), envelope('gw', seq, [['d', 't', [seq]]]), 1000 * (seq + 1));
      expect(await s.archive.applyRetention(3000)).toBe(2);
      const left = [];
      for await (const e of s.archive.scan(0, all)) left.push(e.receivedAtMs);
      expect(left).toEqual([3000, 4000, 5000]);
    });

    it('a rebuild (clear, then replay the archive) gives the same windows, hours and days, and the same gateway figures', async () => {
      const { store: s } = await fresh();
      let t = 1_000;
      for (let seq = 0; seq < 12; seq++) {
        const window = { windowStartMs: fixtureWindow.windowStartMs + (seq % 4) * hourMs + Math.floor(seq / 4) * dayMs, windowEndMs: 0 };
        window.windowEndMs = window.windowStartMs + 60_000;
        const records: [string, string, number[]][] = [
          [`atm-${seq % 3}`, 'temp', [seq, seq + 0.5, -seq]],
          ['atm-9', 'vibration', [seq / 7]],
        ];
        t += 10;
        await s.partitions.apply(topic('gw-a'), envelope('gw-a', seq, records, window), t);
        t += 10;
        await s.partitions.apply(topic('gw-b'), envelope('gw-b', seq, records.slice(0, 1), window), t);
      }
      const before = await snapshot(s);
      const gatewaysBefore = (await s.registry.gatewayList()).map((g) => [g.gatewayId, g.envelopes, g.readings]);
      await s.archive.clearDerived();
      expect(await snapshot(s)).toEqual([]);
      for await (const e of s.archive.scan(0, all)) expect(await s.partitions.replay(e.topic, e.bytes, e.receivedAtMs)).toBe('merged');
      expect(await snapshot(s)).toEqual(before);
      expect((await s.registry.gatewayList()).map((g) => [g.gatewayId, g.envelopes, g.readings])).toEqual(gatewaysBefore);
      let archived = 0;
      for await (const _ of s.archive.scan(0, all)) archived++;
      expect(archived).toBe(24);
      // The dedup records were rebuilt too: an envelope resent after the rebuild is still a duplicate.
      expect(await s.partitions.apply(topic('gw-a'), envelope('gw-a', 3, [['atm-0', 'temp', [1]]]))).toBe('duplicate');
    });
  });
}
