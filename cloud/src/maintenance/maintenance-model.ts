import type { RddContext } from '@fogline/shared';
import { type DeviceHistory, eventHours, failureMetric, hourMs, repairMetric } from './hourly-history.js';
import { type Example, type LogisticModel, predict, trainLogistic } from './logistic-regression.js';
import { featureNames, featuresAt, signalMetrics } from './maintenance-features.js';
import { bestF1Threshold, rocAuc } from './roc.js';

/** What the model predicts: a failure within this many hours. */
export const horizonHours = 24;
/** How far before a failure an alert still counts towards its lead time. */
export const leadWindowHours = 7 * 24;

/** A trained model with what an operator needs to trust it. */
export interface MaintenanceModel {
  readonly kind: string;
  readonly trainedAtMs: number;
  readonly metrics: string[];
  readonly featureNames: string[];
  readonly model: LogisticModel;
  readonly data: {
    readonly devices: number;
    readonly examples: number;
    readonly positives: number;
    readonly fromMs: number;
    readonly toMs: number;
  };
  readonly validation: {
    /** The share of devices held out of training, chosen by isHeldOut(deviceId, holdoutFraction). */
    readonly holdoutFraction: number;
    readonly devices: number;
    readonly examples: number;
    readonly positives: number;
    readonly rocAuc: number;
    /**
     * The alert threshold: the best F1 on calibration devices, training devices the model was
     * not fitted on (never the held-out ones it is judged on).
     */
    readonly threshold: number;
    /** Training devices set aside to choose the threshold. */
    readonly calibrationDevices?: number;
    /** Hour-level precision and recall on the held-out devices at that threshold. */
    readonly precision: number;
    readonly recall: number;
    readonly failures: number;
    /** Failures with an alert above the threshold in the week before them. */
    readonly detected: number;
    /** Median hours from the first alert above the threshold to the failure, over detected failures. */
    readonly medianLeadTimeHours: number | null;
  };
}

interface HourExample extends Example {
  readonly hourMs: number;
}

function hoursWithData(history: DeviceHistory, metrics: readonly string[]): number[] {
  const hours = new Set<number>();
  for (const metric of metrics) for (const hour of history.get(metric)?.keys() ?? []) hours.add(hour);
  return [...hours].sort((a, b) => a - b);
}

/** Every hour a device reported: its features, and whether it failed within the horizon after. */
export function examplesOf(history: DeviceHistory, metrics: readonly string[]): HourExample[] {
  const failures = eventHours(history, failureMetric);
  const repairs = eventHours(history, repairMetric);
  const examples: HourExample[] = [];
  for (const hour of hoursWithData(history, metrics)) {
    const x = featuresAt(history, metrics, hour, repairs);
    if (!x) continue;
    const y = failures.some((f) => f >= hour + hourMs && f < hour + (horizonHours + 1) * hourMs) ? 1 : 0;
    examples.push({ x, y, hourMs: hour });
  }
  return examples;
}

/** A stable split of devices: about `fraction` of ids (by their hash) are held out for validation. */
export function isHeldOut(deviceId: string, fraction: number): boolean {
  let h = 2166136261;
  for (let i = 0; i < deviceId.length; i++) h = Math.imul(h ^ deviceId.charCodeAt(i), 16777619);
  // FNV-1a, then murmur3's finaliser: ids differing in a last digit land far apart.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 2 ** 32 < fraction;
}

/** An hour's score, at the hour's end (when an alert on it would be raised). */
export interface ScoredHour {
  readonly endMs: number;
  readonly score: number;
}

/**
 * Hours from the first alert (an hour ending after fromMs, at or before the failure, scored at or
 * above the threshold) to the failure; undefined when no hour alerted.
 */
export function leadHours(scored: readonly ScoredHour[], fromMs: number, failureMs: number, threshold: number): number | undefined {
  const first = scored.find((s) => s.endMs > fromMs && s.endMs <= failureMs && s.score >= threshold);
  return first ? (failureMs - first.endMs) / hourMs : undefined;
}

/** The lower median; null for none. */
export function median(values: readonly number[]): number | null {
  const sorted = values.slice().sort((a, b) => a - b);
  return sorted.length === 0 ? null : sorted[Math.floor((sorted.length - 1) / 2)];
}

/**
 * Trains one model for one kind of device (a model label: every ATM-9000 together) on the
 * whole fleet's history, in three parts by device: about 20% held out to judge it, a quarter
 * of the rest (calibration) to choose the alert threshold (the best F1 there), the rest to fit
 * it. Reports, on the held-out devices, ROC AUC for "fails within 24 h", precision and recall
 * at the threshold, and the lead time it gives. If the calibration devices saw no failure, the
 * threshold is the best F1 on the fitted devices themselves: never chosen on the held-out ones.
 */
export async function trainMaintenanceModel(
  rdd: RddContext,
  kind: string,
  devices: ReadonlyMap<string, DeviceHistory>,
  options: { holdoutFraction?: number; nowMs?: number; sinceMs?: number } = {},
): Promise<MaintenanceModel> {
  // sinceMs: hours before it are not learnt from (the training window).
  const { holdoutFraction = 0.2, nowMs = Date.now(), sinceMs = Number.NEGATIVE_INFINITY } = options;
  // A quarter of the training devices choose the threshold (see calibrated below).
  const calibrationFraction = 0.25;
  const metrics = signalMetrics(devices.values());
  const training: Example[] = [];
  const calibration: HourExample[] = [];
  let calibrationDevices = 0;
  const validation: { deviceId: string; examples: HourExample[] }[] = [];
  let fromMs = Number.POSITIVE_INFINITY;
  let toMs = Number.NEGATIVE_INFINITY;
  for (const [deviceId, history] of devices) {
    const examples = examplesOf(history, metrics).filter((e) => e.hourMs >= sinceMs);
    if (examples.length === 0) continue;
    fromMs = Math.min(fromMs, examples[0].hourMs);
    toMs = Math.max(toMs, examples[examples.length - 1].hourMs + hourMs);
    if (isHeldOut(deviceId, holdoutFraction)) validation.push({ deviceId, examples });
    else if (isHeldOut(`${deviceId}#calibration`, calibrationFraction)) {
      calibration.push(...examples);
      calibrationDevices++;
    } else training.push(...examples);
  }
  const positives = training.filter((e) => e.y === 1).length;
  if (positives < 5) throw new Error(`${kind}: ${positives} hours before a failure in the training data; at least 5 are needed to train`);
  const model = await trainLogistic(rdd, training);
  // The threshold from training devices the fit did not see: choosing it on the held-out
  // devices would flatter the precision and lead time reported for them.
  const calibrated = bestF1Threshold(
    calibration.map((e) => predict(model, e.x)),
    calibration.map((e) => e.y),
  );

  const scores: number[] = [];
  const labels: number[] = [];
  let failures = 0;
  const leads: number[] = [];
  const scoredByDevice = validation.map(({ deviceId, examples }) => ({
    deviceId,
    scored: examples.map((e): ScoredHour => {
      const score = predict(model, e.x);
      scores.push(score);
      labels.push(e.y);
      return { endMs: e.hourMs + hourMs, score };
    }),
  }));
  // Calibration devices that saw no failure cannot choose: then the fitted ones do, in sample.
  const best =
    calibrated.f1 > 0
      ? calibrated
      : bestF1Threshold(
          training.map((e) => predict(model, e.x)),
          training.map((e) => e.y),
        );
  let alerting = 0;
  let alertingPositives = 0;
  for (let i = 0; i < scores.length; i++)
    if (scores[i] >= best.threshold) {
      alerting++;
      alertingPositives += labels[i];
    }
  const heldOutPositives = labels.filter((y) => y === 1).length;
  for (const { deviceId, scored } of scoredByDevice) {
    const history = devices.get(deviceId) as DeviceHistory;
    const repairs = eventHours(history, repairMetric);
    for (const failure of eventHours(history, failureMetric)) {
      // Alerts count from the last repair, within the week before the failure.
      const lastRepair = repairs.filter((r) => r < failure).pop() ?? Number.NEGATIVE_INFINITY;
      const lead = leadHours(scored, Math.max(lastRepair, failure - leadWindowHours * hourMs), failure, best.threshold);
      failures++;
      if (lead !== undefined) leads.push(lead);
    }
  }
  return {
    kind,
    trainedAtMs: nowMs,
    metrics,
    featureNames: featureNames(metrics),
    model,
    data: { devices: devices.size - validation.length - calibrationDevices, examples: training.length, positives, fromMs, toMs },
    validation: {
      holdoutFraction,
      devices: validation.length,
      examples: scores.length,
      positives: labels.filter((y) => y === 1).length,
      rocAuc: rocAuc(scores, labels),
      threshold: best.threshold,
      calibrationDevices,
      precision: alerting > 0 ? alertingPositives / alerting : 0,
      recall: heldOutPositives > 0 ? alertingPositives / heldOutPositives : 0,
      failures,
      detected: leads.length,
      medianLeadTimeHours: median(leads),
    },
  };
}

/** A device's risk now: the model's probability of a failure within 24 h, from its latest reported hour. */
export function scoreDevice(
  model: MaintenanceModel,
  history: DeviceHistory,
): { risk: number; hourMs: number; features: Record<string, number> } | undefined {
  const hours = hoursWithData(history, model.metrics);
  const latest = hours[hours.length - 1];
  if (latest === undefined) return undefined;
  const x = featuresAt(history, model.metrics, latest, eventHours(history, repairMetric));
  if (!x) return undefined;
  return { risk: predict(model.model, x), hourMs: latest, features: Object.fromEntries(model.featureNames.map((name, i) => [name, x[i]])) };
}
