import { encodeEnvelope, envelopeFormatVersion, MetricState, type PartitionEnvelope, RddContext } from '@fogline/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { envelope, fixtureWindow, partitionTopic } from '../testing/envelope-fixture.js';
import type { CloudStore } from './cloud-store.js';

/** How the suite gets stores of one backend. */
export interface StoreHarness {
  /** A new, empty store, and a way to open it again (after closing it) on the same data. */
  fresh(): Promise<{ store: CloudStore; reopen(): Promise<CloudStore> }>;
  /** Backends several processes share: a second node on the same data, open at the same time. */
  another?(first: CloudStore): Promise<CloudStore>;
}

const all = Number.MAX_SAFE_INTEGER;
const topic = partitionTopic;
const hourMs = 3_600_000;
const dayMs = 24 * hourMs;

/**
 * The one suite every cloud store backend passes: what the intake, the API and maintenance
 * rely on, judged by what is read back, never by the store's own counters alone.
 */
export function describeCloudStore(backend: string, harness: StoreHarness): void {
  const open: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const resource of open.splice(0).reverse()) await resource.close();
  });
  const fresh = async () => {
    const handle = await harness.fresh();
    open.push(handle.store);
    return handle;
  };
  const countOf = async (s: CloudStore, device: string, metric = 't') =>
    (await s.series.series(device, metric, 0, all)).reduce((n, p) => n + p.state.count, 0);

  describe(`cloud store conformance: ${backend}`, () => {
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

    it('keeps exact hour and day rollups, a late partition included', async () => {
      const { store: s } = await fresh();
      const day0 = Date.UTC(2026, 10, 1);
      const at = (startMs: number, seq: number, values: number[]) =>
        envelope('gw', seq, [['d', 'm', values]], { windowStartMs: startMs, windowEndMs: startMs + 60_000 });
      await s.partitions.apply(topic('gw'), at(day0, 0, [1, 2]));
      await s.partitions.apply(topic('gw'), at(day0 + 60_000, 1, [3]));
      await s.partitions.apply(topic('gw'), at(day0 + 2 * hourMs, 2, [10]));
      await s.partitions.apply(topic('gw'), at(day0 + 120_000, 3, [4])); // late, into an hour that had windows
      const hours = await s.series.series('d', 'm', 0, all, 'hour');
      expect(hours.map((p) => [p.windowStartMs - day0, p.state.count, p.state.sum.value()])).toEqual([
        [0, 4, 10],
        [2 * hourMs, 1, 10],
      ]);
      const days = await s.series.series('d', 'm', 0, all, 'day');
      expect(days.map((p) => [p.windowStartMs, p.windowEndMs - p.windowStartMs, p.state.count, p.state.max])).toEqual([
        [day0, dayMs, 5, 10],
      ]);
      expect(await s.series.series('d', 'm', day0 + hourMs, all)).toHaveLength(1);
      const histories = await s.series.hourHistories();
      expect(histories.get('d')?.get('m')?.get(day0)).toMatchObject({ count: 4, mean: 2.5 });
    });

    it('applies retention per resolution: old windows go, recent ones and longer-kept rollups stay', async () => {
      const { store: s } = await fresh();
      const day0 = Date.UTC(2026, 9, 1);
      const recent = day0 + 30 * dayMs;
      const at = (startMs: number, seq: number) =>
        envelope('gw', seq, [['d', 'm', [1]]], { windowStartMs: startMs, windowEndMs: startMs + 60_000 });
      await s.partitions.apply(topic('gw'), at(day0, 0));
      await s.partitions.apply(topic('gw'), at(recent, 1));
      const removed = await s.series.applyRetention(recent + hourMs, { window: 7 * dayMs, hour: 90 * dayMs, day: 3650 * dayMs });
      expect(removed).toBeGreaterThan(0);
      expect((await s.series.series('d', 'm', 0, all)).map((p) => p.windowStartMs)).toEqual([recent]);
      expect(await s.series.series('d', 'm', 0, all, 'hour')).toHaveLength(2);
      // Writing after retention still works (into the range retention dropped, too).
      expect(await s.partitions.apply(topic('gw'), at(day0 + 60_000, 2))).toBe('merged');
      expect(await countOf(s, 'd', 'm')).toBe(2);
    });

    it('computes fleet aggregates by merging states, grouped as asked', async () => {
      const { store: s } = await fresh();
      await s.registry.putDevices('gw-a', { 'atm-1': { site: 'north' }, 'atm-2': { site: 'south' } });
      await s.registry.putDevices('gw-b', { 'motor-1': { site: 'north' } });
      await s.partitions.apply(
        topic('gw-a'),
        envelope('gw-a', 0, [
          ['atm-1', 't', [1, 2]],
          ['atm-2', 't', [3]],
          ['atm-1', 'other', [100]],
        ]),
      );
      await s.partitions.apply(
        topic('gw-b'),
        envelope('gw-b', 0, [
          ['motor-1', 't', [10, 20]],
          ['stray', 't', [7]],
        ]),
      );
      const rdd = new RddContext({ defaultParallelism: 2 });
      open.push({ close: () => rdd.stop() });
      const summary = (groups: Map<string, MetricState>) =>
        Object.fromEntries([...groups].map(([group, state]) => [group, [state.count, state.sum.value()]]));
      expect(summary(await s.series.fleet(rdd, 't', 0, all, { by: 'fleet' }))).toEqual({ fleet: [6, 43] });
      expect(summary(await s.series.fleet(rdd, 't', 0, all, { by: 'gateway' }))).toEqual({
        'gw-a': [3, 6],
        'gw-b': [2, 30],
        unknown: [1, 7],
      });
      expect(summary(await s.series.fleet(rdd, 't', 0, all, { by: 'label', label: 'site' }))).toEqual({
        north: [4, 33],
        south: [1, 3],
        unknown: [1, 7],
      });
      expect(summary(await s.series.fleet(rdd, 't', 0, all, { by: 'device' }))).toMatchObject({ 'atm-1': [2, 3], stray: [1, 7] });
      expect((await s.series.fleet(rdd, 't', fixtureWindow.windowEndMs, all, { by: 'fleet' })).size).toBe(0);
    });

    it('stores alerts once each, newest first, sharing the gateway dedup with partitions', async () => {
      const { store: s } = await fresh();
      const alert = (seq: number) => Buffer.from(JSON.stringify({ gatewayId: 'gw', incarnation: 'inc-1', firstSeq: 0, seq, rule: 'hot' }));
      expect(await s.alerts.apply('gw', alert(1), 1000)).toBe('merged');
      expect(await s.alerts.apply('gw', alert(1), 1001)).toBe('duplicate');
      expect(await s.alerts.apply('gw', alert(2), 2000)).toBe('merged');
      expect(await s.partitions.apply(topic('gw'), envelope('gw', 2, [['d', 't', [1]]]))).toBe('duplicate');
      expect(await s.alerts.apply('gw', Buffer.from('{"seq": "x"}'))).toBe('dead-letter');
      expect((await s.alerts.list(10)).map((a) => a.seq)).toEqual([2, 1]);
      expect(await s.alerts.list(1)).toHaveLength(1);
    });

    it('keeps the registry: status records, devices and gateways known only by their status', async () => {
      const { store: s } = await fresh();
      await s.registry.putStatus('gw-quiet', { online: true, connectedDevices: 0 });
      await s.registry.putStatus('gw-quiet', { online: false, connectedDevices: 0 });
      await s.registry.putDevices('gw-a', { 'atm-1': { site: 'north', model: 'x1' }, 'atm-2': {} });
      await s.partitions.apply(topic('gw-a'), envelope('gw-a', 0, [['atm-1', 't', [1]]]));
      expect((await s.registry.gatewayList()).map((g) => g.gatewayId)).toEqual(['gw-a', 'gw-quiet']);
      expect(await s.registry.statusOf('gw-quiet')).toEqual({ online: false, connectedDevices: 0 });
      expect(await s.registry.statusOf('gw-none')).toBeUndefined();
      expect(await s.registry.deviceOf('atm-1')).toEqual({ gatewayId: 'gw-a', labels: { site: 'north', model: 'x1' } });
      expect(await s.registry.deviceCount()).toBe(2);
      await s.registry.putDevices('gw-b', { 'atm-2': { site: 'moved' } });
      expect((await s.registry.devices()).get('atm-2')).toEqual({ gatewayId: 'gw-b', labels: { site: 'moved' } });
    });

    it('keeps models per kind and the latest ranking', async () => {
      const { store: s, reopen } = await fresh();
      await s.models.put('atm', { kind: 'atm', version: 1 });
      await s.models.put('atm', { kind: 'atm', version: 2 });
      await s.models.put('motor', { kind: 'motor', version: 1 });
      expect(await s.models.list()).toEqual([
        { kind: 'atm', version: 2 },
        { kind: 'motor', version: 1 },
      ]);
      expect(await s.models.ranking()).toBeUndefined();
      await s.models.putRanking({ scoredAtMs: 5, devices: [{ deviceId: 'atm-1', risk: 0.9 }] });
      await s.close();
      open.splice(open.indexOf(s), 1);
      const again = await reopen();
      open.push(again);
      expect(await again.models.ranking()).toEqual({ scoredAtMs: 5, devices: [{ deviceId: 'atm-1', risk: 0.9 }] });
    });

    if (harness.another) {
      const another = harness.another;
      it('two nodes merging envelopes for the same (device, metric, window) at once lose no update', async () => {
        const { store: a } = await fresh();
        const b = await another(a);
        open.push(b);
        const perGateway = 30;
        const work = (s: CloudStore, gatewayId: string) =>
          Array.from({ length: perGateway }, (_, seq) =>
            s.partitions.apply(topic(gatewayId), envelope(gatewayId, seq, [['hot', 'k', [seq, 1]]])),
          );
        await Promise.all([...work(a, 'gw-1'), ...work(b, 'gw-2'), ...work(a, 'gw-3'), ...work(b, 'gw-3')]);
        const [window] = await a.series.series('hot', 'k', 0, all);
        // gw-3's envelopes went to both nodes at once: each is merged by exactly one of them.
        expect(window.state.count).toBe(3 * perGateway * 2);
        expect(window.state.sum.value()).toBe(3 * ((perGateway * (perGateway - 1)) / 2 + perGateway));
        const [hour] = await b.series.series('hot', 'k', 0, all, 'hour');
        expect(hour.state.count).toBe(3 * perGateway * 2);
        const stats = await b.registry.gatewayList();
        expect(stats.map((g) => [g.gatewayId, g.envelopes, g.duplicates])).toEqual([
          ['gw-1', perGateway, 0],
          ['gw-2', perGateway, 0],
          ['gw-3', perGateway, perGateway],
        ]);
      });

      it('tells every node what any node merged, once committed', async () => {
        const { store: a } = await fresh();
        const b = await another(a);
        open.push(b);
        await b.cluster.start(() => ({ role: 'test' }));
        const seen: number[] = [];
        b.live.on('merged', ({ readings }) => seen.push(readings));
        await a.partitions.apply(topic('gw'), envelope('gw', 0, [['d', 't', [1, 2, 3]]]));
        await expect.poll(() => seen, { timeout: 5000 }).toEqual([3]);
        const nodes = await a.cluster.nodes();
        expect(nodes.find((n) => n.nodeId === b.cluster.nodeId)).toMatchObject({ state: 'up', leader: true, detail: { role: 'test' } });
      });
    }
  });
}
