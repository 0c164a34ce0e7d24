import type { RddContext } from '@fogline/shared';
import { type DeviceHistory, eventHours, failureMetric, hourMs, repairMetric } from './hourly-history.js';
import { contributionsOf, type LearnerName, learnerNames, scoreWith, type TrainedLearner, trainLearner } from './learners.js';
import type { Example } from './logistic-regression.js';
import {
  type DeviceInput,
  type FeatureRow,
  type FeatureSpace,
  featureHours,
  featureRows,
  fitFeatureSpace,
  isEvent,
  type SiteMedians,
  siteMedians,
} from './maintenance-features.js';
import { bestF1Threshold, prAuc, rocAuc } from './roc.js';

/** What the model predicts: a failure within this many hours. */
export const horizonHours = 24;
/** How far before a failure an alert still counts towards its lead time. */
export const leadWindowHours = 7 * 24;
/**
 * The alert threshold maximises F-beta on the calibration devices, with this beta: F1. F0.5
 * (precision first) was tried on the simulated fleets: more precise alerts, but a median lead
 * time of 15 h instead of 21 on the classic ATMs, as the alert runs start later.
 */
export const thresholdBeta = 1;
/** The feature set models are trained on; a stored model of another version is retrained before it scores. */
export const featureVersion = 2;

/** A trained model with what an operator needs to trust it. */
export interface MaintenanceModel {
  readonly kind: string;
  readonly trainedAtMs: number;
  readonly featureVersion: number;
  readonly metrics: string[];
  readonly featureNames: string[];
  readonly space: FeatureSpace;
  readonly model: TrainedLearner;
  /** Every learner tried, judged on the calibration devices (training devices the fits did not see). */
  readonly selection: { readonly learner: LearnerName; readonly calibrationPrAuc: number; readonly calibrationRocAuc: number }[];
  readonly data: {
    readonly devices: number;
    readonly examples: number;
    readonly positives: number;
    /** Hours with no failure ahead are many and alike: this share of them is learnt from (the score is corrected for it). */
    readonly negativesKept: number;
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
    readonly prAuc: number;
    /**
     * The alert threshold: the best F1 on calibration devices, training devices the model was
     * not fitted on (never the held-out ones it is judged on).
     */
    readonly threshold: number;
    /** Training devices set aside to choose the learner and the threshold. */
    readonly calibrationDevices: number;
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

/** An hour's features and label: 1 when the device failed within the horizon after the hour. */
export interface HourExample extends Example {
  readonly hourMs: number;
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

/** The kind's devices as the features read them; a device without a site label shares the kind's. */
export function deviceInputs(devices: ReadonlyMap<string, DeviceHistory>, sites?: ReadonlyMap<string, string>): DeviceInput[] {
  return [...devices].map(([deviceId, history]) => ({ deviceId, history, site: sites?.get(deviceId) ?? '*' }));
}

/**
 * Every reported hour's feature row of every device (from fromMs on, when given), computed on
 * the engine, one task per slice of devices.
 */
export async function featureRowsByDevice(
  rdd: RddContext,
  space: FeatureSpace,
  devices: readonly DeviceInput[],
  medians: ReadonlyMap<string, SiteMedians>,
  fromMs = Number.NEGATIVE_INFINITY,
): Promise<Map<string, FeatureRow[]>> {
  const rows = await rdd
    .parallelize(devices, Math.max(1, Math.min(devices.length, 8)))
    .map((device) => [device.deviceId, featureRows(device, medians.get(device.site), space, fromMs)] as const)
    .collect();
  return new Map(rows);
}

/**
 * Labels a device's rows: 1 when a failure follows within the horizon after the hour. An hour
 * in which the device failed (failures are the hours of its failure events) is no example: by
 * its end the failure is reported and there is nothing left to predict, and its readings, the
 * worst of the wear, labelled "no failure ahead" would teach the model the opposite of the truth.
 */
export function labelled(rows: readonly FeatureRow[], failures: readonly number[]): HourExample[] {
  return rows
    .filter(({ hourMs: hour }) => !failures.includes(hour))
    .map(({ hourMs: hour, x }) => ({
      x,
      hourMs: hour,
      y: failures.some((f) => f >= hour + hourMs && f < hour + (horizonHours + 1) * hourMs) ? 1 : 0,
    }));
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

/** A learner trained on a sample of the negatives scores too low by log(kept share): put it back. */
function correctedForSampling(trained: TrainedLearner, negativesKept: number): TrainedLearner {
  const shift = Math.log(negativesKept);
  if (trained.learner === 'logistic') return { ...trained, logistic: { ...trained.logistic, bias: trained.logistic.bias + shift } };
  return { ...trained, gbt: { ...trained.gbt, bias: trained.gbt.bias + shift } };
}

/** The three parts of a kind's devices: held out (to judge), calibration (to choose), fitting (to learn). */
function splitDevices(devices: readonly DeviceInput[], holdoutFraction: number) {
  // A quarter of the training devices choose the learner and the threshold.
  const calibrationFraction = 0.25;
  const part = (d: DeviceInput) =>
    isHeldOut(d.deviceId, holdoutFraction)
      ? 'heldOut'
      : isHeldOut(`${d.deviceId}#calibration`, calibrationFraction)
        ? 'calibration'
        : 'fitting';
  return {
    heldOut: devices.filter((d) => part(d) === 'heldOut'),
    calibration: devices.filter((d) => part(d) === 'calibration'),
    fitting: devices.filter((d) => part(d) === 'fitting'),
  };
}

/**
 * Trains one model for one kind of device (a model label: every ATM-9000 together) on the
 * whole fleet's hour rollups, in three parts by device: about 20% held out to judge it, a
 * quarter of the rest (calibration) to choose between the learners and to choose the alert
 * threshold (the best F1 there), the rest to fit them. The features' own parameters (usage
 * slopes, scale floors) come from the fitting devices too. Reports, on the held-out devices,
 * ROC and PR AUC for "fails within 24 h", precision and recall at the threshold, and the lead
 * time it gives. If the calibration devices saw no failure, the fitting devices choose, in
 * sample: never the held-out ones.
 */
export async function trainMaintenanceModel(
  rdd: RddContext,
  kind: string,
  devices: ReadonlyMap<string, DeviceHistory>,
  options: {
    holdoutFraction?: number;
    nowMs?: number;
    sinceMs?: number;
    /** Device id -> site label, for the site-relative features. */
    sites?: ReadonlyMap<string, string>;
    learners?: readonly LearnerName[];
  } = {},
): Promise<MaintenanceModel> {
  // sinceMs: hours before it are not learnt from (the training window).
  const { holdoutFraction = 0.2, nowMs = Date.now(), sinceMs = Number.NEGATIVE_INFINITY, learners = learnerNames } = options;
  const inputs = deviceInputs(devices, options.sites);
  const parts = splitDevices(inputs, holdoutFraction);
  const { space, medians } = await fitFeatureSpace(rdd, parts.fitting, inputs);
  const rows = await featureRowsByDevice(rdd, space, inputs, medians);
  const examplesOf = (part: readonly DeviceInput[]) =>
    part.map((d) => ({
      deviceId: d.deviceId,
      examples: labelled(rows.get(d.deviceId) ?? [], eventHours(d.history, failureMetric)).filter((e) => e.hourMs >= sinceMs),
    }));
  const fitting = examplesOf(parts.fitting).flatMap((d) => d.examples);
  const calibration = examplesOf(parts.calibration).flatMap((d) => d.examples);
  const validation = examplesOf(parts.heldOut).filter((d) => d.examples.length > 0);
  const positives = fitting.filter((e) => e.y === 1).length;
  if (positives < 5) throw new Error(`${kind}: ${positives} hours before a failure in the training data; at least 5 are needed to train`);
  // Learn from every positive hour and about five negatives for each (picked by a stable hash).
  const negatives = fitting.length - positives;
  const negativesKept = Math.min(1, (5 * positives) / Math.max(1, negatives));
  const sample = fitting.filter((e, i) => e.y === 1 || isHeldOut(`${i}:${e.hourMs}`, negativesKept));

  const candidates: { trained: TrainedLearner; calibrationPrAuc: number; calibrationRocAuc: number }[] = [];
  for (const learner of learners) {
    const trained = correctedForSampling(await trainLearner(rdd, learner, sample), negativesKept);
    const judged = calibration.length > 0 ? calibration : fitting;
    const scores = judged.map((e) => scoreWith(trained, e.x));
    const labels = judged.map((e) => e.y);
    candidates.push({ trained, calibrationPrAuc: prAuc(scores, labels), calibrationRocAuc: rocAuc(scores, labels) });
  }
  // The learner with the best average precision on the calibration devices: failures are rare, and
  // precision is what an operator feels.
  const chosen = candidates.reduce((best, c) => ((c.calibrationPrAuc || 0) > (best.calibrationPrAuc || 0) ? c : best));
  const model = chosen.trained;
  const calibrated = bestF1Threshold(
    calibration.map((e) => scoreWith(model, e.x)),
    calibration.map((e) => e.y),
    thresholdBeta,
  );
  // Calibration devices that saw no failure cannot choose: then the fitted ones do, in sample.
  const best =
    calibrated.f1 > 0
      ? calibrated
      : bestF1Threshold(
          fitting.map((e) => scoreWith(model, e.x)),
          fitting.map((e) => e.y),
          thresholdBeta,
        );

  const scores: number[] = [];
  const labels: number[] = [];
  const leads: number[] = [];
  let failures = 0;
  for (const { deviceId, examples } of validation) {
    const scored = examples.map((e): ScoredHour => {
      const score = scoreWith(model, e.x);
      scores.push(score);
      labels.push(e.y);
      return { endMs: e.hourMs + hourMs, score };
    });
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
  let alerting = 0;
  let alertingPositives = 0;
  for (let i = 0; i < scores.length; i++)
    if (scores[i] >= best.threshold) {
      alerting++;
      alertingPositives += labels[i];
    }
  const heldOutPositives = labels.filter((y) => y === 1).length;
  const hours = [...rows.values()].flatMap((r) => (r.length > 0 ? [r[0].hourMs, r[r.length - 1].hourMs] : []));
  return {
    kind,
    trainedAtMs: nowMs,
    featureVersion,
    metrics: space.metrics,
    featureNames: space.names,
    space,
    model,
    selection: candidates.map((c) => ({
      learner: c.trained.learner,
      calibrationPrAuc: c.calibrationPrAuc,
      calibrationRocAuc: c.calibrationRocAuc,
    })),
    data: {
      devices: parts.fitting.length,
      examples: fitting.length,
      positives,
      negativesKept,
      fromMs: Math.max(sinceMs, Math.min(...hours)),
      toMs: Math.max(...hours) + hourMs,
    },
    validation: {
      holdoutFraction,
      devices: validation.length,
      examples: scores.length,
      positives: heldOutPositives,
      rocAuc: rocAuc(scores, labels),
      prAuc: prAuc(scores, labels),
      threshold: best.threshold,
      calibrationDevices: parts.calibration.length,
      precision: alerting > 0 ? alertingPositives / alerting : 0,
      recall: heldOutPositives > 0 ? alertingPositives / heldOutPositives : 0,
      failures,
      detected: leads.length,
      medianLeadTimeHours: median(leads),
    },
  };
}

/**
 * The hours of a history from fromMs on: scoring needs only the last week and a day of the
 * signals. Events are kept whole (they are few): the hours since the last repair or service
 * visit must read as they did in training, not capped at the cut.
 */
function recentHistory(history: DeviceHistory, fromMs: number): DeviceHistory {
  return new Map(
    [...history].map(([metric, hours]) => [metric, isEvent(metric) ? hours : new Map([...hours].filter(([hour]) => hour >= fromMs))]),
  );
}

/** A device's risk now, from its latest reported hour: the probability of a failure within 24 h, and why. */
export interface DeviceScore {
  readonly risk: number;
  readonly hourMs: number;
  readonly features: Record<string, number>;
  /** Per feature, how much it moved the score (log-odds). */
  readonly contributions: Record<string, number>;
}

/**
 * Scores every device of a kind from its latest hour. The site medians are computed over all
 * of them, as in training; only the last 8 days of each history are read.
 */
export async function scoreDevices(
  rdd: RddContext,
  model: MaintenanceModel,
  devices: ReadonlyMap<string, DeviceHistory>,
  sites?: ReadonlyMap<string, string>,
): Promise<Map<string, DeviceScore>> {
  const scores = new Map<string, DeviceScore>();
  if (model.featureVersion !== featureVersion) return scores;
  let latestMs = Number.NEGATIVE_INFINITY;
  for (const history of devices.values())
    for (const hours of history.values()) for (const hour of hours.keys()) latestMs = Math.max(latestMs, hour);
  const fromMs = latestMs - (featureHours.baselineFrom + featureHours.baselineGap) * hourMs;
  const recent = new Map([...devices].map(([id, history]) => [id, recentHistory(history, fromMs)]));
  const inputs = deviceInputs(recent, sites);
  const medians = await siteMedians(rdd, inputs, model.space);
  // Rows for the last day only (a device's latest hour is usually the fleet's); the week before feeds the baselines.
  const rowsFromMs = latestMs - featureHours.baselineGap * hourMs;
  for (const [deviceId, rows] of await featureRowsByDevice(rdd, model.space, inputs, medians, rowsFromMs)) {
    const latest = rows[rows.length - 1];
    if (!latest) continue;
    const contributions = contributionsOf(model.model, latest.x);
    scores.set(deviceId, {
      risk: scoreWith(model.model, latest.x),
      hourMs: latest.hourMs,
      features: Object.fromEntries(model.featureNames.map((name, i) => [name, latest.x[i]])),
      contributions: Object.fromEntries(model.featureNames.map((name, i) => [name, contributions[i]])),
    });
  }
  return scores;
}

/**
 * The feature rows of the devices a model held out of training (the ones it may be judged on),
 * with the site medians computed over the whole kind, as in training.
 */
export async function heldOutRows(
  rdd: RddContext,
  model: MaintenanceModel,
  devices: ReadonlyMap<string, DeviceHistory>,
  sites?: ReadonlyMap<string, string>,
): Promise<Map<string, FeatureRow[]>> {
  if (model.featureVersion !== featureVersion) return new Map();
  const inputs = deviceInputs(devices, sites);
  const medians = await siteMedians(rdd, inputs, model.space);
  // Models stored before the fraction was recorded held out the default 20%.
  const fraction = model.validation.holdoutFraction ?? 0.2;
  return featureRowsByDevice(
    rdd,
    model.space,
    inputs.filter((d) => isHeldOut(d.deviceId, fraction)),
    medians,
  );
}
