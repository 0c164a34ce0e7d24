import type { MetricState, RddContext, Sublevel } from '@fogline/shared';
import { sortableKey } from '@fogline/shared';
import { addHour, type DeviceHistory } from '../../maintenance/hourly-history.js';
import type { FleetGrouping, RegistryStore, Resolution, ScanFilter, SeriesPoint, SeriesStore, StoredState } from '../cloud-store.js';
import { groupKeyOf } from '../fleet-grouping.js';
import { decodeStored } from './level-merge-backend.js';
import type { LevelMetricNames } from './level-metric-names.js';

/** Series, fleet queries, retention and hour histories over the level store's device/metric/start keys. */
export class LevelSeriesStore implements SeriesStore {
  constructor(
    private readonly states: Record<Resolution, Sublevel>,
    private readonly names: LevelMetricNames,
    private readonly registry: RegistryStore,
  ) {}

  async series(deviceId: string, metric: string, fromMs: number, toMs: number, resolution: Resolution = 'window'): Promise<SeriesPoint[]> {
    const points: SeriesPoint[] = [];
    const prefix = `${deviceId}/${metric}/`;
    const range = { gte: prefix + sortableKey(fromMs), lt: prefix + sortableKey(toMs) };
    for await (const [key, value] of this.states[resolution].iterator(range)) {
      const [windowEndMs, state] = decodeStored(value);
      points.push({ windowStartMs: Number(key.slice(prefix.length)), windowEndMs, state });
    }
    return points;
  }

  /**
   * A job on the RDD engine that merges the metric's window states per group. The level store
   * keeps windows by device first, so this reads every window; PostgreSQL filters by metric
   * and time with an index instead.
   */
  async fleet(
    rdd: RddContext,
    metric: string,
    fromMs: number,
    toMs: number,
    grouping: FleetGrouping,
    resolution: Resolution = 'window',
  ): Promise<Map<string, MetricState>> {
    const devices = grouping.by === 'gateway' || grouping.by === 'label' ? await this.registry.devices() : undefined;
    // Keys are device/metric/start: the devices that ever sent the metric (one seek each in the
    // day rollups), then one key range per device, never a scan of the whole resolution.
    const from = sortableKey(fromMs);
    const to = sortableKey(Math.min(toMs, Number.MAX_SAFE_INTEGER));
    // Decoded while iterating: the iterator's buffers are not ours to keep.
    const rows: [string, MetricState][] = [];
    for await (const [deviceId, keyMetric] of this.deviceMetricsInDays()) {
      if (keyMetric !== metric) continue;
      const prefix = `${deviceId}/${metric}/`;
      for await (const value of this.states[resolution].values({ gte: `${prefix}${from}`, lt: `${prefix}${to}` }))
        rows.push([groupKeyOf(grouping, deviceId, devices?.get(deviceId)), decodeStored(value)[1]]);
    }
    return rdd
      .parallelize(rows)
      .reduceByKey((a, b) => a.merge(b))
      .collectAsMap();
  }

  async metricsOf(deviceId: string): Promise<string[]> {
    const metrics: string[] = [];
    for await (const [, metric] of this.deviceMetricsInDays({ gt: `${deviceId}/`, lt: `${deviceId}0` })) metrics.push(metric);
    return metrics.sort();
  }

  async metricNames(): Promise<{ names: string[]; unlisted: number }> {
    return { names: this.names.list(), unlisted: this.names.unlisted };
  }

  /**
   * Each (device, metric) pair of the day rollups within `range`, once: one seek per pair past
   * its days, not a scan of them. Keys are device/metric/day, and '0' sorts right after '/'.
   */
  async *deviceMetricsInDays(range: { gt?: string; lt?: string } = {}): AsyncGenerator<[deviceId: string, metric: string]> {
    const keys = this.states.day.keys(range);
    try {
      for (let key = await keys.next(); key !== undefined; key = await keys.next()) {
        const pair = key.slice(0, key.lastIndexOf('/'));
        const slash = pair.indexOf('/');
        yield [pair.slice(0, slash), pair.slice(slash + 1)];
        keys.seek(`${pair}0`);
      }
    } finally {
      await keys.close();
    }
  }

  /** Deletes the entries older than each resolution's retention (a scan: level has no partitions to drop). */
  async applyRetention(nowMs: number, keepMs: Record<Resolution, number>): Promise<number> {
    let deleted = 0;
    for (const resolution of ['window', 'hour', 'day'] as const) {
      const sublevel = this.states[resolution];
      const cutoff = nowMs - keepMs[resolution];
      const old: string[] = [];
      for await (const key of sublevel.keys()) if (Number(key.slice(key.lastIndexOf('/') + 1)) < cutoff) old.push(key);
      for (let k = 0; k < old.length; k += 10_000)
        await sublevel.batch(old.slice(k, k + 10_000).map((key) => ({ type: 'del' as const, key })) as never);
      deleted += old.length;
    }
    return deleted;
  }

  /** Keys are device first, so this reads the whole resolution and keeps the range (a scan), unless devices are named. */
  async *scan(resolution: Resolution, fromMs: number, toMs: number, only: ScanFilter = {}): AsyncGenerator<StoredState> {
    const metrics = only.metrics && new Set(only.metrics);
    const devices = only.deviceIds && new Set(only.deviceIds);
    // Keys start with the device: named devices are read by their key ranges ('/' + 1 is '0').
    const ranges = only.deviceIds ? [...new Set(only.deviceIds)].sort().map((d) => ({ gte: `${d}/`, lt: `${d}0` })) : [{}];
    for (const range of ranges) yield* this.scanRange(resolution, range, fromMs, toMs, metrics, devices);
  }

  private async *scanRange(
    resolution: Resolution,
    range: { gte?: string; lt?: string },
    fromMs: number,
    toMs: number,
    metrics: Set<string> | undefined,
    devices: Set<string> | undefined,
  ): AsyncGenerator<StoredState> {
    for await (const [key, value] of this.states[resolution].iterator(range)) {
      const [deviceId, metric, start] = key.split('/');
      const startMs = Number(start);
      if (startMs < fromMs || startMs >= toMs) continue;
      if ((metrics && !metrics.has(metric)) || (devices && !devices.has(deviceId))) continue;
      const [endMs, state] = decodeStored(value);
      yield { deviceId, metric, startMs, endMs, state };
    }
  }

  async hourHistories(): Promise<Map<string, DeviceHistory>> {
    const devices = new Map<string, DeviceHistory>();
    for await (const [key, value] of this.states.hour.iterator()) {
      const [deviceId, metric, start] = key.split('/');
      addHour(devices, deviceId, metric, Number(start), decodeStored(value)[1]);
    }
    return devices;
  }
}
