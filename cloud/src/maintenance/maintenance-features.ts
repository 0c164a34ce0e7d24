import { type DeviceHistory, failureMetric, hourMs, mergeHours, repairMetric } from './hourly-history.js';

/** The hours each feature looks back over. */
export const featureHours = { recent: 3, trendRecent: 6, trendBefore: 24, repairCap: 30 * 24 } as const;

/** The signals a model of this kind of device reads: every metric but the failure and repair labels. */
export function signalMetrics(histories: Iterable<DeviceHistory>): string[] {
  const metrics = new Set<string>();
  for (const history of histories)
    for (const metric of history.keys()) if (metric !== failureMetric && metric !== repairMetric) metrics.add(metric);
  return [...metrics].sort();
}

/** Feature names, in vector order: three per metric, then the time since the last repair. */
export function featureNames(metrics: readonly string[]): string[] {
  return [...metrics.flatMap((m) => [`${m}.level`, `${m}.trend`, `${m}.variability`]), 'hoursSinceRepair'];
}

/**
 * The features of a device at the end of the hour starting at `hourStartMs`, from its merged
 * hourly aggregates:
 *  - level: the mean of the last 3 hours;
 *  - trend: the mean of the last 6 hours minus the mean of the 24 before them (drift shows as growth);
 *  - variability: the standard deviation within the last 3 hours;
 *  - hoursSinceRepair: log(1 + hours) since the last repair event, capped at 30 days.
 * Undefined when the device sent nothing in that hour (down, or not yet reporting).
 */
export function featuresAt(
  history: DeviceHistory,
  metrics: readonly string[],
  hourStartMs: number,
  repairs: readonly number[],
): Float64Array | undefined {
  const endMs = hourStartMs + hourMs;
  const vector = new Float64Array(metrics.length * 3 + 1);
  let reported = false;
  for (const [i, metric] of metrics.entries()) {
    const hours = history.get(metric);
    if ((hours?.get(hourStartMs)?.count ?? 0) > 0) reported = true;
    const recent = mergeHours(hours, endMs - featureHours.recent * hourMs, endMs);
    const trendRecent = mergeHours(hours, endMs - featureHours.trendRecent * hourMs, endMs);
    const trendBefore = mergeHours(
      hours,
      endMs - (featureHours.trendRecent + featureHours.trendBefore) * hourMs,
      endMs - featureHours.trendRecent * hourMs,
    );
    vector[3 * i] = recent.mean;
    vector[3 * i + 1] = trendRecent.count > 0 && trendBefore.count > 0 ? trendRecent.mean - trendBefore.mean : 0;
    vector[3 * i + 2] = recent.count > 1 ? Math.sqrt(recent.m2 / (recent.count - 1)) : 0;
  }
  if (!reported) return undefined;
  let lastRepair: number | undefined;
  for (const hour of repairs) if (hour <= hourStartMs) lastRepair = hour;
  const sinceRepairHours =
    lastRepair === undefined ? featureHours.repairCap : Math.min(featureHours.repairCap, (hourStartMs - lastRepair) / hourMs);
  vector[metrics.length * 3] = Math.log1p(sinceRepairHours);
  return vector;
}
