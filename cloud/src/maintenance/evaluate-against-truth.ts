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

/** A ground-truth line as fogline-sim writes it (only failures are read). */
export interface TruthRecord {
  readonly event: string;
  readonly deviceId: string;
  readonly ts: number;
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
    records.push({ event: record.event, deviceId: record.deviceId, ts: record.ts as number });
  }
  if (problems.length > 0)
    throw new Error(`ground truth: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? ` (and ${problems.length - 5} more)` : ''}`);
  return records;
}

export interface TruthScore {
  readonly devices: number;
  readonly examples: number;
  readonly positives: number;
  readonly rocAuc: number;
  readonly failures: number;
  readonly detected: number;
  readonly medianLeadTimeHours: number | null;
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
  const failuresOf = new Map<string, number[]>();
  for (const record of truth)
    if (record.event === 'failure') failuresOf.set(record.deviceId, [...(failuresOf.get(record.deviceId) ?? []), record.ts]);
  const scores: number[] = [];
  const labels: number[] = [];
  const leads: number[] = [];
  let failures = 0;
  for (const [deviceId, history] of devices) {
    const trueFailures = (failuresOf.get(deviceId) ?? []).sort((a, b) => a - b);
    const scored = examplesOf(history, model.metrics).map((e) => {
      const end = e.hourMs + hourMs;
      const y = trueFailures.some((f) => f >= end && f < end + horizonHours * hourMs) ? 1 : 0;
      const s = score(e.x);
      scores.push(s);
      labels.push(y);
      return { endMs: end, score: s } satisfies ScoredHour;
    });
    for (const [i, failure] of trueFailures.entries()) {
      failures++;
      const lead = leadHours(
        scored,
        Math.max(i > 0 ? trueFailures[i - 1] : Number.NEGATIVE_INFINITY, failure - leadWindowHours * hourMs),
        failure,
        threshold,
      );
      if (lead !== undefined) leads.push(lead);
    }
  }
  return {
    devices: devices.size,
    examples: scores.length,
    positives: labels.filter((y) => y === 1).length,
    rocAuc: rocAuc(scores, labels),
    failures,
    detected: leads.length,
    medianLeadTimeHours: median(leads),
  };
}
