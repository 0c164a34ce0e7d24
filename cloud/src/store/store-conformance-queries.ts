import { type MetricState, RddContext } from '@fogline/shared';
import { describe, expect, it } from 'vitest';
import { envelope, fixtureWindow } from '../testing/envelope-fixture.js';
import type { CloudStore } from './cloud-store.js';
import { all, dayMs, hourMs, type StoreHarness, suiteContext, topic } from './store-conformance-context.js';

/** The query half of the conformance suite: rollups, retention, fleet, alerts, registry, models, and several nodes at once. */
export function describeQueryConformance(backend: string, harness: StoreHarness): void {
  const { open, fresh, countOf } = suiteContext(harness);
  describe(`cloud store conformance, queries: ${backend}`, () => {
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
      const hour = histories.get('d')?.get('m')?.get(day0);
      expect(hour).toMatchObject({ count: 4, mean: 2.5 });
      // With the hour's quantiles from its sketch (1% relative accuracy): how bursty it was.
      expect(hour?.p95).toBeGreaterThan(2.9);
      expect(hour?.p95).toBeLessThan(4.1);
      expect(hour?.p50).toBeGreaterThan(1.9);
      expect(hour?.p50).toBeLessThan(3.1);
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

    it('scans the states of a resolution over a time range, for exports', async () => {
      const { store: s } = await fresh();
      const day0 = Date.UTC(2026, 10, 1);
      const at = (startMs: number, seq: number, device: string) =>
        envelope('gw', seq, [[device, 'm', [seq + 1]]], { windowStartMs: startMs, windowEndMs: startMs + 60_000 });
      for (let i = 0; i < 5; i++) await s.partitions.apply(topic('gw'), at(day0 + i * hourMs, i, `d-${i % 2}`));
      const rows: [string, number, number][] = [];
      for await (const row of s.series.scan('window', day0 + hourMs, day0 + 4 * hourMs))
        rows.push([row.deviceId, row.startMs - day0, row.state.sum.value()]);
      expect(rows.sort((a, b) => a[1] - b[1])).toEqual([
        ['d-1', hourMs, 2],
        ['d-0', 2 * hourMs, 3],
        ['d-1', 3 * hourMs, 4],
      ]);
      let days = 0;
      for await (const row of s.series.scan('day', 0, all)) days += row.state.count;
      expect(days).toBe(5);
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
      // The hour and day rollups hold the same readings: a long range reads them, not the windows.
      for (const resolution of ['hour', 'day'] as const) {
        expect(summary(await s.series.fleet(rdd, 't', 0, all, { by: 'fleet' }, resolution))).toEqual({ fleet: [6, 43] });
        expect(summary(await s.series.fleet(rdd, 't', 0, all, { by: 'label', label: 'site' }, resolution))).toEqual({
          north: [4, 33],
          south: [1, 3],
          unknown: [1, 7],
        });
      }
      const dayAfter = Math.ceil(fixtureWindow.windowEndMs / 86_400_000) * 86_400_000;
      expect((await s.series.fleet(rdd, 't', dayAfter, all, { by: 'fleet' }, 'day')).size).toBe(0);
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

    it('keeps commands: by id, a device newest first, and a gateway still queued and unexpired', async () => {
      const { store: s } = await fresh();
      const command = (id: string, deviceId: string, createdAtMs: number, status: 'queued' | 'sent' = 'queued') => ({
        id,
        deviceId,
        gatewayId: 'gw-a',
        name: 'service',
        args: { by: 'ana' },
        createdAtMs,
        expiresAtMs: createdAtMs + 10_000,
        status,
        statusAtMs: createdAtMs,
        detail: null,
      });
      await s.commands.put(command('c1', 'atm-1', 1000));
      await s.commands.put(command('c2', 'atm-1', 2000));
      await s.commands.put(command('c3', 'atm-2', 3000, 'sent'));
      await s.commands.put({ ...command('c1', 'atm-1', 1000), status: 'delivered', statusAtMs: 1500 });
      expect(await s.commands.get('c1')).toMatchObject({ status: 'delivered', args: { by: 'ana' } });
      expect(await s.commands.get('nope')).toBeUndefined();
      expect((await s.commands.ofDevice('atm-1', 10)).map((c) => c.id)).toEqual(['c2', 'c1']);
      expect((await s.commands.ofDevice('atm-1', 1)).map((c) => c.id)).toEqual(['c2']);
      expect((await s.commands.pendingFor('gw-a', 5000)).map((c) => c.id)).toEqual(['c2']);
      expect(await s.commands.pendingFor('gw-a', 20_000)).toEqual([]); // expired by then
    });

    it("keeps each alert's state, the last word standing, and says nothing of alerts without one", async () => {
      const { store: s } = await fresh();
      const id = 'gw/cabinet-hot/atm-1/cabinetTemperature/1733000000000';
      expect(await s.alerts.states([id])).toEqual(new Map());
      await s.alerts.setState(id, { status: 'acknowledged', by: 'ana', note: null, atMs: 1000 });
      await s.alerts.setState(id, { status: 'resolved', by: 'ana', note: 'fan replaced', atMs: 2000 });
      expect(await s.alerts.states([id, 'gw/other'])).toEqual(
        new Map([[id, { status: 'resolved', by: 'ana', note: 'fan replaced', atMs: 2000 }]]),
      );
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
        const risks: number[] = [];
        b.live.on('risk', ({ scoredAtMs }) => risks.push(scoredAtMs));
        await a.partitions.apply(topic('gw'), envelope('gw', 0, [['d', 't', [1, 2, 3]]]));
        await a.models.putRanking({ scoredAtMs: 42, devices: [] });
        await expect.poll(() => seen, { timeout: 5000 }).toEqual([3]);
        await expect.poll(() => risks, { timeout: 5000 }).toEqual([42]);
        const nodes = await a.cluster.nodes();
        expect(nodes.find((n) => n.nodeId === b.cluster.nodeId)).toMatchObject({ state: 'up', leader: true, detail: { role: 'test' } });
      });
    }
  });
}
