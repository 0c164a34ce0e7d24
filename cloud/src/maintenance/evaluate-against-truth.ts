import { hourMs } from './hourly-history.js';
import { scoreWith } from './learners.js';
import type { FeatureRow } from './maintenance-features.js';
import { horizonHours, leadHours, leadWindowHours, type MaintenanceModel, median, type ScoredHour } from './maintenance-model.js';
import { prAuc, rocAuc } from './roc.js';

/** A ground-truth line as fogline-sim writes it (failures with their mode and whether they were sudden; the hidden wear). */
export interface TruthRecord {
  readonly event: string;
  readonly deviceId: string;
  readonly ts: number;
  readonly mode?: string;
  /** On a failure: it came with no warning. */
  readonly sudden?: boolean;
  /** On a health record: the hidden wear, 0 to 1. */
  readonly severity?: number;
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
      ...(record.sudden === true ? { sudden: true } : {}),
      ...(typeof record.severity === 'number' ? { severity: record.severity } : {}),
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
  /** The same for the failures that came with no warning (also counted in their modes). */
  readonly sudden: ModeScore;
  /** ROC AUC without the hours before a sudden failure (and no other): how much of the gap they explain. */
  readonly rocAucWithoutSudden: number;
}

/** The oracle alerts once the hidden wear passes this: a symptom has then grown to about half its size at the failure. */
export const oracleThreshold = 0.3;

/** What a score is given: an hour's features, the device, and when the hour ends. */
export type HourScorer = (x: Float64Array, deviceId: string, endMs: number) => number;

/**
 * The oracle: a score that sees the simulator's hidden wear, the last `health` record before
 * the hour's end (0 after a failure, a repair or a service resets it). It cannot foresee a
 * sudden failure, nor tell a slow wear from a fast one: the ceiling of what signals could show.
 */
export function hiddenWearScorer(truth: readonly TruthRecord[]): HourScorer {
  const byDevice = new Map<string, TruthRecord[]>();
  for (const record of truth)
    if (['health', 'failure', 'repair', 'service'].includes(record.event))
      byDevice.set(record.deviceId, [...(byDevice.get(record.deviceId) ?? []), record]);
  for (const records of byDevice.values()) records.sort((a, b) => a.ts - b.ts);
  return (_x, deviceId, endMs) => {
    const records = byDevice.get(deviceId) ?? [];
    let low = 0;
    let high = records.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (records[middle].ts < endMs) low = middle + 1;
      else high = middle;
    }
    const last = records[low - 1];
    return last?.event === 'health' ? (last.severity ?? 0) : 0;
  };
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
 * every hour a device reported, but those it failed in, is labelled by whether the truth has a
 * failure in the 24 hours after it; the lead time runs from the first hour at or above the
 * model's threshold (within the week before, and after the previous failure) to the true
 * failure time.
 * `score` defaults to the model; pass another (a rule, the oracle) to score it on the same hours.
 */
export function evaluateAgainstTruth(
  model: MaintenanceModel,
  rowsByDevice: ReadonlyMap<string, readonly FeatureRow[]>,
  truth: readonly TruthRecord[],
  score: HourScorer = (x) => scoreWith(model.model, x),
  threshold = model.validation.threshold,
): TruthScore {
  const failuresOf = new Map<string, TruthRecord[]>();
  for (const record of truth)
    if (record.event === 'failure') failuresOf.set(record.deviceId, [...(failuresOf.get(record.deviceId) ?? []), record]);
  const scores: number[] = [];
  const labels: number[] = [];
  const suddenOnly: boolean[] = [];
  const leads: number[] = [];
  const runLeads: number[] = [];
  const modes = new Map<string, { failures: number; leads: number[] }>();
  const sudden = { failures: 0, leads: [] as number[] };
  let failures = 0;
  let falseAlarms = 0;
  let hoursObserved = 0;
  for (const [deviceId, rows] of rowsByDevice) {
    const records = (failuresOf.get(deviceId) ?? []).sort((a, b) => a.ts - b.ts);
    const trueFailures = records.map((r) => r.ts);
    // The hours a device was in service at the end of: in an hour it failed in, the failure is
    // reported by then, and there is nothing left to predict (the training leaves them out too).
    const inService = rows.filter((row) => !records.some((r) => r.ts >= row.hourMs && r.ts < row.hourMs + hourMs));
    const scored = inService.map((row) => {
      const end = row.hourMs + hourMs;
      const ahead = records.filter((r) => r.ts >= end && r.ts < end + horizonHours * hourMs);
      const s = score(row.x, deviceId, end);
      scores.push(s);
      labels.push(ahead.length > 0 ? 1 : 0);
      suddenOnly.push(ahead.length > 0 && ahead.every((r) => r.sudden === true));
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
      if (records[i].sudden) sudden.failures++;
      if (runLead !== undefined) {
        runLeads.push(runLead);
        mode.leads.push(runLead);
        if (records[i].sudden) sudden.leads.push(runLead);
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
  const kept = scores.map((_, i) => i).filter((i) => !suddenOnly[i]);
  const modeScore = ({ failures: n, leads: l }: { failures: number; leads: number[] }): ModeScore => ({
    failures: n,
    detected: l.length,
    medianLeadTimeHours: median(l),
  });
  return {
    devices: rowsByDevice.size,
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
    byMode: Object.fromEntries([...modes].sort(([a], [b]) => (a < b ? -1 : 1)).map(([mode, m]) => [mode, modeScore(m)])),
    sudden: modeScore(sudden),
    rocAucWithoutSudden: rocAuc(
      kept.map((i) => scores[i]),
      kept.map((i) => labels[i]),
    ),
  };
}
