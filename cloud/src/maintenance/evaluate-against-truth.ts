import { type DeviceHistory, hourMs } from './hourly-history.js';
import { predict } from './logistic-regression.js';
import {
  examplesOf,
  horizonHours,
  leadHours,
  leadWindowHours,
  type MaintenanceModel,
  median,
  type ScoredHour,
} from './maintenance-model.js';
import { rocAuc } from './roc.js';

/** A ground-truth line as fogline-sim writes it (failures are read, with their mode when it has one). */
export interface TruthRecord {
  readonly event: string;
  readonly deviceId: string;
  readonly ts: number;
  readonly mode?: string;
}

/**
 * Reads the simulator's ground-truth JSON lines (`fogline-sim --truth`); a line that is not a
 * record with an event, a deviceId and a numeric ts is named with its number.
 */
export function parseTruthLines(text: string): TruthRecord[] {
  const records: TruthRecord[] = [];
  const problems: string[] = [];
  for (const [i, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    let record: Partial<TruthRecord>;
    try {
      record = JSON.parse(line);
    } catch (error) {
      problems.push(`line ${i + 1} is not JSON (${(error as Error).message})`);
      continue;
    }
    if (typeof record?.event !== 'string' || typeof record.deviceId !== 'string' || !Number.isFinite(record.ts)) {
      problems.push(`line ${i + 1} was ${line.slice(0, 80)}, expected {"event", "deviceId", "ts" (epoch ms)}`);
      continue;
    }
    records.push({
      event: record.event,
      deviceId: record.deviceId,
      ts: record.ts as number,
      ...(typeof record.mode === 'string' ? { mode: record.mode } : {}),
    });
  }
  if (problems.length > 0)
    throw new Error(`ground truth: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? ` (and ${problems.length - 5} more)` : ''}`);
  return records;
}

/** How one failure mode fared: failures, those an unbroken alert run led up to, and its median lead. */
export interface ModeScore {
  readonly failures: number;
  readonly detected: number;
  readonly medianLeadTimeHours: number | null;
}

export interface TruthScore {
  readonly devices: number;
  readonly examples: number;
  readonly positives: number;
  readonly rocAuc: number;
  /** Area under the precision-recall curve (average precision): what ROC AUC hides when failures are rare. */
  readonly prAuc: number;
  readonly threshold: number;
  /** Of the hours at or above the threshold, the share that a failure followed within 24 h. */
  readonly precision: number;
  /** Of the hours a failure followed within 24 h, the share at or above the threshold. */
  readonly recall: number;
  /** Alert runs (hours in a row at or above the threshold) that no failure ended, per device and 30 days observed. */
  readonly falseAlarmsPerDeviceMonth: number;
  readonly failures: number;
  /** Failures with an alert above the threshold in the week before them (the first-alert measure; it rewards false alarms). */
  readonly detected: number;
  /** Median hours from that first alert to the failure. */
  readonly medianLeadTimeHours: number | null;
  /** Failures an unbroken alert run led up to: every hour from the run's first to the failure alerted. */
  readonly detectedByRun: number;
  /** Median hours from the first alert of that run to the failure: a false alarm days before does not count. */
  readonly medianRunLeadTimeHours: number | null;
  /** The same, per failure mode (from the ground truth; "unknown" for a failure without one). */
  readonly byMode: Readonly<Record<string, ModeScore>>;
}

/**
 * Hours from the first alert of the unbroken run of alerting hours that ends at the failure
 * (its last scored hour before the failure alerts, and every scored hour back to the run's
 * first does too, with no hour missing between them), within fromMs; undefined when the last
 * hour before the failure did not alert.
 */
export function runLeadHours(scored: readonly ScoredHour[], fromMs: number, failureMs: number, threshold: number): number | undefined {
  let last = -1;
  for (let i = 0; i < scored.length && scored[i].endMs <= failureMs; i++) if (scored[i].endMs > fromMs) last = i;
  if (last < 0 || scored[last].score < threshold) return undefined;
  let first = last;
  while (
    first > 0 &&
    scored[first - 1].endMs > fromMs &&
    scored[first - 1].score >= threshold &&
    scored[first].endMs - scored[first - 1].endMs <= hourMs
  )
    first--;
  return (failureMs - scored[first].endMs) / hourMs;
}

/** Average precision: the precision at each positive, over the ranking by score (ties as one step). */
export function prAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b] - scores[a]);
  let totalPositives = 0;
  for (let i = 0; i < labels.length; i++) totalPositives += labels[i];
  if (totalPositives === 0) return Number.NaN;
  let truePositives = 0;
  let area = 0;
  for (let start = 0; start < order.length; ) {
    let end = start;
    let tiedPositives = labels[order[start]];
    while (end + 1 < order.length && scores[order[end + 1]] === scores[order[start]]) tiedPositives += labels[order[++end]];
    truePositives += tiedPositives;
    area += (tiedPositives / totalPositives) * (truePositives / (end + 1));
    start = end + 1;
  }
  return area;
}

/** Alert runs on one device that no failure followed within the horizon: false alarms. */
function falseAlarmRuns(scored: readonly ScoredHour[], failures: readonly number[], threshold: number): number {
  let count = 0;
  for (let i = 0; i < scored.length; i++) {
    if (scored[i].score < threshold) continue;
    const runStart = i;
    while (i + 1 < scored.length && scored[i + 1].score >= threshold && scored[i + 1].endMs - scored[i].endMs <= hourMs) i++;
    const runEnd = scored[i].endMs;
    if (!failures.some((f) => f >= scored[runStart].endMs && f < runEnd + horizonHours * hourMs)) count++;
  }
  return count;
}

/**
 * Scores a model against the simulator's ground truth, not against the events the cloud saw:
 * every hour a device reported is labelled by whether the truth has a failure in the 24 hours
 * after it; the lead time runs from the first hour at or above the model's threshold (within
 * the week before, and after the previous failure) to the true failure time.
 * `score` defaults to the model; pass another to score a baseline on the same hours.
 */
export function evaluateAgainstTruth(
  model: MaintenanceModel,
  devices: ReadonlyMap<string, DeviceHistory>,
  truth: readonly TruthRecord[],
  score: (x: Float64Array) => number = (x) => predict(model.model, x),
  threshold = model.validation.threshold,
): TruthScore {
  const failuresOf = new Map<string, TruthRecord[]>();
  for (const record of truth)
    if (record.event === 'failure') failuresOf.set(record.deviceId, [...(failuresOf.get(record.deviceId) ?? []), record]);
  const scores: number[] = [];
  const labels: number[] = [];
  const leads: number[] = [];
  const runLeads: number[] = [];
  const modes = new Map<string, { failures: number; leads: number[] }>();
  let failures = 0;
  let falseAlarms = 0;
  let hoursObserved = 0;
  for (const [deviceId, history] of devices) {
    const records = (failuresOf.get(deviceId) ?? []).sort((a, b) => a.ts - b.ts);
    const trueFailures = records.map((r) => r.ts);
    const scored = examplesOf(history, model.metrics).map((e) => {
      const end = e.hourMs + hourMs;
      const y = trueFailures.some((f) => f >= end && f < end + horizonHours * hourMs) ? 1 : 0;
      const s = score(e.x);
      scores.push(s);
      labels.push(y);
      return { endMs: end, score: s } satisfies ScoredHour;
    });
    hoursObserved += scored.length;
    falseAlarms += falseAlarmRuns(scored, trueFailures, threshold);
    for (const [i, failure] of trueFailures.entries()) {
      failures++;
      const fromMs = Math.max(i > 0 ? trueFailures[i - 1] : Number.NEGATIVE_INFINITY, failure - leadWindowHours * hourMs);
      const lead = leadHours(scored, fromMs, failure, threshold);
      if (lead !== undefined) leads.push(lead);
      const runLead = runLeadHours(scored, fromMs, failure, threshold);
      const mode = modes.get(records[i].mode ?? 'unknown') ?? { failures: 0, leads: [] };
      mode.failures++;
      if (runLead !== undefined) {
        runLeads.push(runLead);
        mode.leads.push(runLead);
      }
      modes.set(records[i].mode ?? 'unknown', mode);
    }
  }
  let alerting = 0;
  let alertingPositives = 0;
  let positives = 0;
  for (let i = 0; i < scores.length; i++) {
    positives += labels[i];
    if (scores[i] >= threshold) {
      alerting++;
      alertingPositives += labels[i];
    }
  }
  return {
    devices: devices.size,
    examples: scores.length,
    positives,
    rocAuc: rocAuc(scores, labels),
    prAuc: prAuc(scores, labels),
    threshold,
    precision: alerting > 0 ? alertingPositives / alerting : Number.NaN,
    recall: positives > 0 ? alertingPositives / positives : Number.NaN,
    falseAlarmsPerDeviceMonth: hoursObserved > 0 ? falseAlarms / (hoursObserved / (30 * 24)) : Number.NaN,
    failures,
    detected: leads.length,
    medianLeadTimeHours: median(leads),
    detectedByRun: runLeads.length,
    medianRunLeadTimeHours: median(runLeads),
    byMode: Object.fromEntries(
      [...modes]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([mode, { failures: n, leads: l }]) => [mode, { failures: n, detected: l.length, medianLeadTimeHours: median(l) }]),
    ),
  };
}
