import type { RddContext } from '@fogline/shared';
import { type DeviceHistory, eventHours, failureMetric, type HourMoments, hourMs, mergeHours, repairMetric } from './hourly-history.js';
import { SlidingQuantiles } from './sliding-quantiles.js';

/** The hours each feature looks back over. */
export const featureHours = {
  recent: 3,
  trendRecent: 6,
  trendBefore: 24,
  /** A device's own baseline: the week before, leaving out the last day (where a failure's drift would be). */
  baselineFrom: 7 * 24,
  baselineGap: 24,
  /** A baseline needs this many hours before a z-score means anything; before that the z-scores are missing. */
  baselineHoursMin: 24,
  excursions: 12,
  sinceCap: 30 * 24,
} as const;

/** Horizons of the z-scores: the last hour, the last 6 and the last day (trend over several horizons). */
const zHorizons = [1, 6, 24] as const;
/** A z-score above this is an excursion. */
const excursionZ = 3;
export const serviceMetric = 'event.service';
/** The metric signals are adjusted for when a kind publishes it: the ATM's transactions per reading. */
export const defaultUsageMetric = 'transactions';

/** Feature names per metric, in vector order. */
const perMetric = ['level', 'trend', 'variability', 'z1', 'z6', 'z24', 'burst', 'excursions'] as const;

/** One device as the features see it: its history and its site (the kind's devices share one site when unlabelled). */
export interface DeviceInput {
  readonly deviceId: string;
  readonly site: string;
  readonly history: DeviceHistory;
}

/** Per metric and hour, for one site: the median over its devices of their departures from their usual levels. */
export type SiteMedians = Map<string, Map<number, number>>;

/**
 * What one kind's features are computed with, fitted on its training devices (no labels are
 * read): the metrics, the usage metric, how much each metric moves with usage, and the least
 * scale a z-score may divide by.
 */
export interface FeatureSpace {
  readonly version: 2;
  readonly metrics: string[];
  readonly usageMetric: string | null;
  /** Per metric: its change in site-relative level per unit of site-relative usage (least squares). */
  readonly usageSlopes: Record<string, number>;
  /** Per metric: half the typical device's own robust spread of its residual, the floor of a z-score's scale. */
  readonly scaleFloors: Record<string, number>;
  readonly names: string[];
}

/** The signals a model of this kind of device reads: every metric but the failure and repair labels. */
export function signalMetrics(histories: Iterable<DeviceHistory>): string[] {
  const metrics = new Set<string>();
  for (const history of histories)
    for (const metric of history.keys()) if (metric !== failureMetric && metric !== repairMetric) metrics.add(metric);
  return [...metrics].sort();
}

/** Events arrive as readings of 1 (`event.<type>`): their signal is how many an hour, and none is 0, not missing. */
export const isEvent = (metric: string) => metric.startsWith('event.');

/** The feature vector's names, in order: eight per metric, then the hours since repair and since service. */
export function featureNames(metrics: readonly string[]): string[] {
  return [...metrics.flatMap((m) => perMetric.map((f) => `${m}.${f}`)), 'hoursSinceRepair', 'hoursSinceService'];
}

function median(values: number[]): number {
  values.sort((a, b) => a - b);
  const middle = values.length >> 1;
  return values.length % 2 === 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
}

/** The hours a device reported any signal, in order. */
function reportedHours(history: DeviceHistory, metrics: readonly string[]): number[] {
  const hours = new Set<number>();
  for (const metric of metrics) {
    if (isEvent(metric)) continue;
    for (const [hour, moments] of history.get(metric) ?? []) if (moments.count > 0) hours.add(hour);
  }
  return [...hours].sort((a, b) => a - b);
}

/** An hour's value of a metric: the mean of a signal, the count of an event (0 when none); NaN when missing. */
function hourValue(metric: string, moments: HourMoments | undefined): number {
  if (isEvent(metric)) return moments?.count ?? 0;
  return moments && moments.count > 0 ? moments.mean : Number.NaN;
}

/** How bursty an hour was: p95 minus median when the rollup has quantiles, else its standard deviation. */
function hourSpread(moments: HourMoments | undefined): number {
  if (!moments || moments.count < 2) return Number.NaN;
  if (moments.p95 !== undefined && moments.p50 !== undefined) return moments.p95 - moments.p50;
  return Math.sqrt(moments.m2 / (moments.count - 1));
}

/** How levels are adjusted for usage before they are compared: the usage metric and each metric's slope on it. */
export type UsageAdjustment = Pick<FeatureSpace, 'metrics' | 'usageMetric' | 'usageSlopes'>;

/** A metric's level in an hour with usage taken out: value - slope x usage (as is when usage is missing that hour). */
function adjustedLevel(history: DeviceHistory, metric: string, hour: number, adjustment: UsageAdjustment): number {
  const value = hourValue(metric, history.get(metric)?.get(hour));
  const slope = adjustment.usageSlopes[metric] ?? 0;
  if (slope === 0 || !adjustment.usageMetric || Number.isNaN(value)) return value;
  const used = hourValue(adjustment.usageMetric, history.get(adjustment.usageMetric)?.get(hour));
  return Number.isNaN(used) ? value : value - slope * used;
}

/** Per metric, a device's usual usage-adjusted level: the median over its history. */
function usualLevels(history: DeviceHistory, adjustment: UsageAdjustment): Map<string, number> {
  const levels = new Map<string, number>();
  for (const metric of adjustment.metrics) {
    if (isEvent(metric)) continue;
    const values: number[] = [];
    for (const hour of history.get(metric)?.keys() ?? []) {
      const level = adjustedLevel(history, metric, hour, adjustment);
      if (!Number.isNaN(level)) values.push(level);
    }
    if (values.length > 0) levels.set(metric, median(values));
  }
  return levels;
}

/**
 * Step one, on the engine: what a site's devices share, hour by hour: the median over them of
 * each metric's departure from the device's usual level (usage taken out). Their weather, their
 * daily and weekly rhythm. Departures, not levels, so that devices running hot or cold all their
 * lives do not decide the median, and one failing device barely moves it. One shuffle of whole
 * devices by site.
 */
export async function siteMedians(
  rdd: RddContext,
  devices: readonly DeviceInput[],
  adjustment: UsageAdjustment,
): Promise<Map<string, SiteMedians>> {
  const bySite = await rdd
    .parallelize(devices, Math.max(1, Math.min(devices.length, 8)))
    .map((device) => [device.site, device.history] as const)
    .groupByKey()
    .mapValues((histories) => {
      const medians: SiteMedians = new Map();
      const usual = histories.map((history) => usualLevels(history, adjustment));
      for (const metric of adjustment.metrics) {
        if (isEvent(metric)) continue;
        const byHour = new Map<number, number[]>();
        for (const [d, history] of histories.entries())
          for (const hour of history.get(metric)?.keys() ?? []) {
            const level = adjustedLevel(history, metric, hour, adjustment) - (usual[d].get(metric) ?? 0);
            if (Number.isNaN(level)) continue;
            const values = byHour.get(hour) ?? [];
            values.push(level);
            byHour.set(hour, values);
          }
        medians.set(metric, new Map([...byHour].map(([hour, values]) => [hour, median(values)])));
      }
      return medians;
    })
    .collect();
  return new Map(bySite);
}

/** A device's hours, with each metric's residual and spread per hour (NaN where missing). */
interface DeviceSeries {
  readonly hours: number[];
  readonly residuals: Map<string, Float64Array>;
  readonly spreads: Map<string, Float64Array>;
}

/**
 * Step two: a device's departures from its usual level beyond what its site shares, with usage
 * taken out: for a metric m and an hour, residual = (m - slope(m) x usage) - the device's usual
 * level - the site's median departure. An event's is its count.
 */
function deviceSeries(device: DeviceInput, medians: SiteMedians | undefined, adjustment: UsageAdjustment): DeviceSeries {
  const hours = reportedHours(device.history, adjustment.metrics);
  const usual = usualLevels(device.history, adjustment);
  const residuals = new Map<string, Float64Array>();
  const spreads = new Map<string, Float64Array>();
  for (const metric of adjustment.metrics) {
    const byHour = device.history.get(metric);
    const residual = new Float64Array(hours.length);
    const spread = new Float64Array(hours.length);
    for (const [i, hour] of hours.entries()) {
      if (isEvent(metric)) {
        residual[i] = hourValue(metric, byHour?.get(hour));
        spread[i] = Number.NaN;
        continue;
      }
      const departure = adjustedLevel(device.history, metric, hour, adjustment) - (usual.get(metric) ?? 0);
      residual[i] = departure - (medians?.get(metric)?.get(hour) ?? 0);
      spread[i] = hourSpread(byHour?.get(hour));
    }
    residuals.set(metric, residual);
    spreads.set(metric, spread);
  }
  return { hours, residuals, spreads };
}

/**
 * Fits a kind's feature space on its training devices, and the site medians under it (over all
 * the kind's devices): each metric's slope on usage (both relative to their sites, least
 * squares), then the floor of each z-score's scale. Reads no labels.
 */
export async function fitFeatureSpace(
  rdd: RddContext,
  fitting: readonly DeviceInput[],
  all: readonly DeviceInput[],
  usageMetric = defaultUsageMetric,
): Promise<{ space: FeatureSpace; medians: Map<string, SiteMedians> }> {
  const metrics = signalMetrics(all.map((d) => d.history));
  const usage = metrics.includes(usageMetric) ? usageMetric : null;
  const unadjusted: UsageAdjustment = { metrics, usageMetric: usage, usageSlopes: {} };
  const usageSlopes: Record<string, number> = {};
  if (usage) {
    const rawMedians = await siteMedians(rdd, all, unadjusted);
    const sums = new Map<string, { xy: number; xx: number }>();
    for (const device of fitting) {
      const { residuals } = deviceSeries(device, rawMedians.get(device.site), unadjusted);
      const x = residuals.get(usage) as Float64Array;
      for (const metric of metrics) {
        if (metric === usage || isEvent(metric)) continue;
        const y = residuals.get(metric) as Float64Array;
        const sum = sums.get(metric) ?? { xy: 0, xx: 0 };
        for (let i = 0; i < x.length; i++) {
          if (Number.isNaN(x[i]) || Number.isNaN(y[i])) continue;
          sum.xy += x[i] * y[i];
          sum.xx += x[i] * x[i];
        }
        sums.set(metric, sum);
      }
    }
    for (const [metric, { xy, xx }] of sums) usageSlopes[metric] = xx > 0 ? xy / xx : 0;
  }
  const adjustment: UsageAdjustment = { metrics, usageMetric: usage, usageSlopes };
  const medians = await siteMedians(rdd, all, adjustment);
  // The floor of each z-score's scale: half the typical device's own robust spread (the median
  // over devices), so a device whose baseline happens to be flat does not turn noise into alarms.
  const scaleFloors: Record<string, number> = {};
  const spreads = new Map<string, number[]>(metrics.map((m) => [m, []]));
  const means = new Map<string, number[]>(metrics.map((m) => [m, []]));
  for (const device of fitting) {
    const { residuals } = deviceSeries(device, medians.get(device.site), adjustment);
    for (const metric of metrics) {
      const own = new SlidingQuantiles();
      let sum = 0;
      for (const r of residuals.get(metric) as Float64Array)
        if (!Number.isNaN(r)) {
          own.add(r);
          sum += r;
        }
      if (own.size < featureHours.baselineHoursMin) continue;
      spreads.get(metric)?.push(own.robustStd());
      means.get(metric)?.push(sum / own.size);
    }
  }
  for (const metric of metrics) {
    const typical = (values: number[]) => (values.length > 0 ? median(values) : 0);
    // Events are rare: their quartiles are 0, so the floor is their mean rate's Poisson spread.
    const poisson = isEvent(metric) ? Math.sqrt(Math.max(0, typical(means.get(metric) ?? []))) : 0;
    scaleFloors[metric] = Math.max(0.5 * typical(spreads.get(metric) ?? []), poisson, 1e-6);
  }
  return { space: { version: 2, ...adjustment, scaleFloors, names: featureNames(metrics) }, medians };
}

/** log(1 + hours) since the last of these event hours at or before the hour, capped at 30 days. */
function logHoursSince(events: readonly number[], hour: number): number {
  let last: number | undefined;
  for (const at of events) if (at <= hour) last = at;
  return Math.log1p(last === undefined ? featureHours.sinceCap : Math.min(featureHours.sinceCap, (hour - last) / hourMs));
}

/** A feature row: the hour it describes (its start) and the vector, NaN where a value is missing. */
export interface FeatureRow {
  readonly hourMs: number;
  readonly x: Float64Array;
}

/**
 * Step three: every reported hour's features. Per metric:
 *  - level, trend, variability: the mean of the last 3 hours, its rise over the day before, and
 *    the spread within them (the absolute view, which suits a fleet of identical devices);
 *  - z1, z6, z24: the adjusted level over the last 1, 6 and 24 hours, as a robust z-score
 *    against the device's own week before (median and interquartile range, the last day left out);
 *  - burst: the most bursty of the last 3 hours (p95 minus median), against its own baseline;
 *  - excursions: of the last 12 hours, how many were more than 3 robust deviations above it.
 * Then log(1 + hours) since the last repair and since the last service visit.
 * A metric the device did not report is missing (NaN), never 0; an event's count is 0 when none came.
 */
export function featureRows(
  device: DeviceInput,
  medians: SiteMedians | undefined,
  space: FeatureSpace,
  /** Rows for the hours from here on only (scoring wants the latest); the hours before still feed the baselines. */
  fromMs = Number.NEGATIVE_INFINITY,
): FeatureRow[] {
  const { history } = device;
  const series = deviceSeries(device, medians, space);
  const { hours } = series;
  const width = perMetric.length;
  let first = 0;
  while (first < hours.length && hours[first] < fromMs) first++;
  const rows = hours
    .slice(first)
    .map((hourMs_) => ({ hourMs: hourMs_, x: new Float64Array(space.metrics.length * width + 2).fill(Number.NaN) }));
  for (const [m, metric] of space.metrics.entries()) {
    const residual = series.residuals.get(metric) as Float64Array;
    const spread = series.spreads.get(metric) as Float64Array;
    const floor = space.scaleFloors[metric] ?? 1e-6;
    const levelWindow = new SlidingQuantiles();
    const spreadWindow = new SlidingQuantiles();
    let low = 0;
    let high = 0;
    const z = new Float64Array(hours.length);
    for (let i = 0; i < hours.length; i++) {
      const hour = hours[i];
      // The baseline window: hours in [hour - 7 days, hour - 1 day).
      while (high < i && hours[high] < hour - featureHours.baselineGap * hourMs) {
        if (!Number.isNaN(residual[high])) levelWindow.add(residual[high]);
        if (!Number.isNaN(spread[high])) spreadWindow.add(spread[high]);
        high++;
      }
      while (low < high && hours[low] < hour - featureHours.baselineFrom * hourMs) {
        if (!Number.isNaN(residual[low])) levelWindow.remove(residual[low]);
        if (!Number.isNaN(spread[low])) spreadWindow.remove(spread[low]);
        low++;
      }
      z[i] = Number.NaN;
      const baselined = levelWindow.size >= featureHours.baselineHoursMin;
      const centre = baselined ? levelWindow.quantile(0.5) : Number.NaN;
      const scale = baselined ? Math.max(levelWindow.robustStd(), floor) : Number.NaN;
      if (baselined && !Number.isNaN(residual[i])) z[i] = (residual[i] - centre) / scale;
      if (i < first) continue;
      const x = rows[i - first].x;
      const at = m * width;
      const endMs = hour + hourMs;
      const hoursOf = history.get(metric);
      if (
        isEvent(metric) ||
        (hoursOf?.get(hour)?.count ?? 0) > 0 ||
        mergeHours(hoursOf, endMs - featureHours.recent * hourMs, endMs).count > 0
      ) {
        const recent = mergeHours(hoursOf, endMs - featureHours.recent * hourMs, endMs);
        const trendRecent = mergeHours(hoursOf, endMs - featureHours.trendRecent * hourMs, endMs);
        const trendBefore = mergeHours(
          hoursOf,
          endMs - (featureHours.trendRecent + featureHours.trendBefore) * hourMs,
          endMs - featureHours.trendRecent * hourMs,
        );
        if (isEvent(metric)) {
          x[at] = recent.count / featureHours.recent;
          x[at + 1] = trendRecent.count / featureHours.trendRecent - trendBefore.count / featureHours.trendBefore;
        } else {
          x[at] = recent.mean;
          x[at + 1] = trendRecent.count > 0 && trendBefore.count > 0 ? trendRecent.mean - trendBefore.mean : Number.NaN;
          x[at + 2] = recent.count > 1 ? Math.sqrt(recent.m2 / (recent.count - 1)) : Number.NaN;
        }
      }
      if (!baselined) continue;
      for (const [k, horizon] of zHorizons.entries()) {
        let sum = 0;
        let n = 0;
        for (let j = i; j >= 0 && hours[j] > hour - horizon * hourMs; j--)
          if (!Number.isNaN(residual[j])) {
            sum += residual[j];
            n++;
          }
        if (n > 0) x[at + 3 + k] = (sum / n - centre) / scale;
      }
      if (spreadWindow.size >= featureHours.baselineHoursMin) {
        let burst = Number.NaN;
        for (let j = i; j >= 0 && hours[j] > hour - featureHours.recent * hourMs; j--)
          if (!Number.isNaN(spread[j]) && !(spread[j] <= burst)) burst = spread[j];
        const spreadScale = Math.max(spreadWindow.robustStd(), floor);
        if (!Number.isNaN(burst)) x[at + 6] = (burst - spreadWindow.quantile(0.5)) / spreadScale;
      }
      let excursions = 0;
      for (let j = i; j >= 0 && hours[j] > hour - featureHours.excursions * hourMs; j--) if (z[j] > excursionZ) excursions++;
      x[at + 7] = excursions;
    }
  }
  const repairs = eventHours(history, repairMetric);
  const services = eventHours(history, serviceMetric);
  const base = space.metrics.length * width;
  for (const row of rows) {
    row.x[base] = logHoursSince(repairs, row.hourMs);
    row.x[base + 1] = logHoursSince(services, row.hourMs);
  }
  return rows;
}
