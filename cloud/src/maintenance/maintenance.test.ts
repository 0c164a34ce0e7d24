import { RddContext } from '@fogline/shared';
import { afterAll, describe, expect, it } from 'vitest';
import { lcg } from '../testing/test-random.js';
import { evaluateAgainstTruth, hiddenWearScorer, runLeadHours, type TruthRecord } from './evaluate-against-truth.js';
import { addReading, type DeviceHistory, eventHours, failureMetric, hourMs, mergeHours, repairMetric } from './hourly-history.js';
import { scoreWith } from './learners.js';
import { predict, trainLogistic } from './logistic-regression.js';
import { siteMedians } from './maintenance-features.js';
import {
  deviceInputs,
  featureRowsByDevice,
  heldOutRows,
  isHeldOut,
  labelled,
  type MaintenanceModel,
  scoreDevices,
  thresholdBeta,
  trainMaintenanceModel,
} from './maintenance-model.js';
import { bestF1Threshold, prAuc, rocAuc } from './roc.js';

const rdd = new RddContext({ defaultParallelism: 2 });
afterAll(() => rdd.stop());

describe('rocAuc and the threshold', () => {
  it('is the probability that a positive outscores a negative, ties counting half', () => {
    expect(rocAuc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBe(0.75);
    expect(rocAuc([1, 2, 3], [0, 0, 1])).toBe(1);
    expect(rocAuc([0.5, 0.5], [0, 1])).toBe(0.5);
    expect(rocAuc([1, 2], [0, 0])).toBeNaN();
    expect(bestF1Threshold([0.9, 0.8, 0.3, 0.2], [1, 1, 0, 0])).toEqual({ threshold: 0.8, precision: 1, recall: 1, f1: 1 });
    // F1 takes the third hour (recall 1, precision 2/3); F0.5, weighing precision, stops at the first.
    expect(bestF1Threshold([0.9, 0.8, 0.7], [1, 0, 1]).threshold).toBe(0.7);
    expect(bestF1Threshold([0.9, 0.8, 0.7], [1, 0, 1], 0.5).threshold).toBe(0.9);
  });
});

describe('hourly moments', () => {
  it('merge hours into the same count, mean and variance as the readings taken together', () => {
    const hours = new Map();
    const values: number[] = [];
    const random = lcg(3);
    for (let i = 0; i < 500; i++) {
      const value = 10 + random() * 5;
      values.push(value);
      addReading(hours, i * 60_000, value);
    }
    const merged = mergeHours(hours, 0, 500 * 60_000);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    expect(merged.count).toBe(500);
    expect(merged.mean).toBeCloseTo(mean, 12);
    expect(merged.m2).toBeCloseTo(
      values.reduce((a, v) => a + (v - mean) ** 2, 0),
      9,
    );
  });
});

describe('logistic regression on the RDD engine', () => {
  it('learns a signal and ignores noise, in a few Newton passes', async () => {
    const random = lcg(11);
    const examples = Array.from({ length: 4000 }, () => {
      const signal = random() * 4 - 2;
      const noise = random() * 4 - 2;
      const y = (random() < 1 / (1 + Math.exp(-3 * signal)) ? 1 : 0) as 0 | 1;
      return { x: Float64Array.of(signal, noise), y };
    });
    const model = await trainLogistic(rdd, examples);
    expect(model.iterations).toBeLessThan(15);
    expect(model.weights[0]).toBeGreaterThan(2);
    expect(Math.abs(model.weights[1])).toBeLessThan(0.3);
    expect(predict(model, [2, 0])).toBeGreaterThan(0.95);
    expect(predict(model, [-2, 0])).toBeLessThan(0.05);
    await expect(trainLogistic(rdd, [])).rejects.toThrow('no examples to train on');
  });
});

/** A fleet of devices whose temperature climbs for 48 h before each failure (every 10 days or so). */
function syntheticFleet(devices: number, days: number): Map<string, DeviceHistory> {
  const random = lcg(7);
  const fleet = new Map<string, DeviceHistory>();
  for (let d = 0; d < devices; d++) {
    const temperature = new Map();
    const failures = new Map();
    const repairs = new Map();
    let nextFailure = (2 + random() * 10) * 24 * hourMs;
    for (let t = 0; t < days * 24 * hourMs; t += 10 * 60_000) {
      if (t >= nextFailure) {
        addReading(failures, t, 1);
        addReading(repairs, t + 4 * hourMs, 1);
        t += 4 * hourMs;
        nextFailure = t + (3 + random() * 12) * 24 * hourMs;
        continue;
      }
      const toFailure = (nextFailure - t) / hourMs;
      const drift = toFailure < 48 ? ((48 - toFailure) / 48) ** 2 * 8 : 0;
      addReading(temperature, t, 40 + (random() - 0.5) * 2 + drift);
    }
    fleet.set(
      `dev-${d}`,
      new Map([
        ['temperature', temperature],
        [failureMetric, failures],
        [repairMetric, repairs],
      ]),
    );
  }
  return fleet;
}

/** Every device's feature rows under a model's space, site medians over the whole fleet (as training computes them). */
async function rowsOf(model: MaintenanceModel, fleet: ReadonlyMap<string, DeviceHistory>) {
  const inputs = deviceInputs(fleet);
  return featureRowsByDevice(rdd, model.space, inputs, await siteMedians(rdd, inputs, model.space));
}

describe('the maintenance model', () => {
  const fleet = syntheticFleet(60, 40);

  it('labels each reported hour by a failure in the 24 hours after it, and has no row for an hour without data', async () => {
    const model = await trainMaintenanceModel(rdd, 'synthetic', fleet, { holdoutFraction: 0.25, nowMs: 1 });
    const history = fleet.get('dev-0') as DeviceHistory;
    const failure = eventHours(history, failureMetric)[0];
    const examples = labelled((await rowsOf(model, fleet)).get('dev-0') ?? [], eventHours(history, failureMetric));
    const label = (hour: number) => examples.find((e) => e.hourMs === hour)?.y;
    expect(label(failure - hourMs)).toBe(1);
    expect(label(failure - 24 * hourMs)).toBe(1);
    expect(label(failure - 25 * hourMs)).toBe(0);
    expect(label(failure + hourMs)).toBeUndefined(); // down for repair
  });

  it('learns from no hour a device failed in: by its end the failure is reported, and nothing is left to predict', async () => {
    const model = await trainMaintenanceModel(rdd, 'synthetic', fleet, { holdoutFraction: 0.25, nowMs: 1 });
    const rows = await rowsOf(model, fleet);
    let failedIn = 0;
    for (const [deviceId, history] of fleet) {
      const failures = eventHours(history, failureMetric);
      const examples = labelled(rows.get(deviceId) ?? [], failures);
      for (const failure of failures) {
        // The device reported in most of the hours it failed in (readings before the failure): rows, but no examples.
        if (rows.get(deviceId)?.some((row) => row.hourMs === failure)) failedIn++;
        expect(examples.find((e) => e.hourMs === failure)).toBeUndefined();
      }
    }
    expect(failedIn).toBeGreaterThan(100);
  });

  it('ranks hours before a failure above healthy ones on held-out devices, and gives alerts hours ahead', async () => {
    const model = await trainMaintenanceModel(rdd, 'synthetic', fleet, { holdoutFraction: 0.25, nowMs: 1 });
    expect(model.featureNames.slice(0, 8)).toEqual([
      'temperature.level',
      'temperature.trend',
      'temperature.variability',
      'temperature.z1',
      'temperature.z6',
      'temperature.z24',
      'temperature.burst',
      'temperature.excursions',
    ]);
    expect(model.featureNames.slice(-2)).toEqual(['hoursSinceRepair', 'hoursSinceService']);
    expect(model.validation.devices).toBe([...fleet.keys()].filter((id) => isHeldOut(id, 0.25)).length);
    expect(model.validation.devices).toBeGreaterThan(8);
    expect(model.validation.rocAuc).toBeGreaterThan(0.95);
    expect(model.validation.detected / model.validation.failures).toBeGreaterThan(0.8);
    expect(model.validation.medianLeadTimeHours).toBeGreaterThan(6);
    const scored = (await scoreDevices(rdd, model, fleet)).get('dev-1');
    expect(scored?.risk).toBeGreaterThanOrEqual(0);
    expect(Object.keys(scored?.features ?? {})).toEqual(model.featureNames);
    expect(Object.keys(scored?.contributions ?? {})).toEqual(model.featureNames);
  });

  it('scores a device from its last days with the features training saw for the same hour', async () => {
    const model = await trainMaintenanceModel(rdd, 'synthetic', fleet, { holdoutFraction: 0.25, nowMs: 1 });
    const scores = await scoreDevices(rdd, model, fleet);
    const rows = await rowsOf(model, fleet);
    let repairedLongAgo = 0;
    for (const [deviceId, scored] of scores) {
      const last = rows.get(deviceId)?.at(-1);
      expect(scored.hourMs).toBe(last?.hourMs);
      // The absolute features and the hours since the last repair, exactly; a repair long before
      // the 8 days scoring reads still counts.
      for (const feature of ['temperature.level', 'temperature.trend', 'temperature.variability', 'hoursSinceRepair'])
        expect(scored.features[feature], `${deviceId} ${feature}`).toBe(last?.x[model.featureNames.indexOf(feature)]);
      if (scored.features.hoursSinceRepair > Math.log1p(8 * 24)) repairedLongAgo++;
    }
    expect(repairedLongAgo).toBeGreaterThan(0);
  });

  it('chooses the learner and the alert threshold on training devices the fit did not see, never on the held-out ones', async () => {
    const model = await trainMaintenanceModel(rdd, 'synthetic', fleet, { holdoutFraction: 0.25, nowMs: 1 });
    const calibration = [...fleet.keys()].filter((id) => !isHeldOut(id, 0.25) && isHeldOut(`${id}#calibration`, 0.25));
    expect(model.validation.calibrationDevices).toBe(calibration.length);
    expect(calibration.length).toBeGreaterThan(5);
    expect(model.selection.map((c) => c.learner)).toEqual(['logistic', 'gbt']);
    const best = model.selection.reduce((a, b) => (b.calibrationPrAuc > a.calibrationPrAuc ? b : a));
    expect(model.model.learner).toBe(best.learner);
    const rows = await rowsOf(model, fleet);
    const examplesOf = (ids: string[]) =>
      ids.flatMap((id) => labelled(rows.get(id) ?? [], eventHours(fleet.get(id) as DeviceHistory, failureMetric)));
    const examples = examplesOf(calibration);
    const onCalibration = bestF1Threshold(
      examples.map((e) => scoreWith(model.model, e.x)),
      examples.map((e) => e.y),
      thresholdBeta,
    );
    expect(model.validation.threshold).toBe(onCalibration.threshold);
    // Precision and recall are then what that threshold gives on the held-out devices.
    const heldOut = examplesOf([...fleet.keys()].filter((id) => isHeldOut(id, 0.25)));
    const alerting = heldOut.filter((e) => scoreWith(model.model, e.x) >= model.validation.threshold);
    expect(model.validation.precision).toBeCloseTo(alerting.filter((e) => e.y === 1).length / alerting.length, 12);
  });

  it('learns only from the training window when one is set', async () => {
    const sinceMs = 20 * 24 * hourMs;
    const model = await trainMaintenanceModel(rdd, 'synthetic', fleet, { holdoutFraction: 0.25, nowMs: 1, sinceMs });
    const whole = await trainMaintenanceModel(rdd, 'synthetic', fleet, { holdoutFraction: 0.25, nowMs: 1 });
    expect(model.data.fromMs).toBeGreaterThanOrEqual(sinceMs);
    expect(whole.data.fromMs).toBeLessThan(sinceMs);
    // About half of the 40 days: half the examples, give or take the repairs.
    expect(model.data.examples / whole.data.examples).toBeGreaterThan(0.4);
    expect(model.data.examples / whole.data.examples).toBeLessThan(0.6);
  });

  it('refuses to train without failures', async () => {
    const quiet = new Map([['dev-q', new Map([['temperature', new Map([[0, { count: 1, mean: 1, m2: 0 }]])]])]]);
    await expect(trainMaintenanceModel(rdd, 'quiet', quiet)).rejects.toThrow('quiet: 0 hours before a failure in the training data');
  });
});

describe('the evaluation against ground truth', () => {
  it('gives the area under the precision-recall curve (average precision)', () => {
    expect(prAuc([0.9, 0.8, 0.3, 0.2], [1, 1, 0, 0])).toBe(1);
    expect(prAuc([0.9, 0.8, 0.7], [1, 0, 1])).toBeCloseTo((1 / 2) * 1 + (1 / 2) * (2 / 3), 12);
    expect(prAuc([0.5, 0.5], [1, 0])).toBe(0.5); // a tie is one step
    expect(prAuc([1, 2], [0, 0])).toBeNaN();
  });

  it('measures lead time from the first alert of the unbroken run that ends at the failure', () => {
    const failure = 12 * hourMs;
    const hour = (h: number, score: number) => ({ endMs: h * hourMs, score });
    const scores = [0.1, 0.9, 0.1, 0.1, 0.1, 0.1, 0.1, 0.9, 0.9, 0.9, 0.9, 0.9];
    const scored = scores.map((s, i) => hour(i + 1, s));
    // Alerts at hour 2 (a false alarm) and from hour 8 to the failure: 12 - 8 = 4 h, not 10 h.
    expect(runLeadHours(scored, Number.NEGATIVE_INFINITY, failure, 0.5)).toBe(4);
    // The last hour before the failure quiet: no run ends at the failure.
    expect(runLeadHours([...scored.slice(0, 11), hour(12, 0.1)], Number.NEGATIVE_INFINITY, failure, 0.5)).toBeUndefined();
    // An hour missing (no data at hour 9) breaks the run: it starts again at hour 10.
    expect(runLeadHours([...scored.slice(0, 8), ...scored.slice(9)], Number.NEGATIVE_INFINITY, failure, 0.5)).toBe(2);
  });

  it('reports precision, recall, false alarms per device-month and each failure mode', async () => {
    const fleet = syntheticFleet(30, 30);
    const model = await trainMaintenanceModel(rdd, 'synthetic', fleet, { holdoutFraction: 0.25, nowMs: 1 });
    const truth: TruthRecord[] = [];
    for (const [deviceId, history] of fleet)
      for (const [i, ts] of [...(history.get(failureMetric)?.keys() ?? [])].entries())
        truth.push({ event: 'failure', deviceId, ts, mode: i % 2 === 0 ? 'bearing' : 'winding' });
    const rows = await heldOutRows(rdd, model, fleet);
    expect(rows.size).toBe(model.validation.devices);
    const result = evaluateAgainstTruth(model, rows, truth);
    const heldOutTruth = truth.filter((t) => rows.has(t.deviceId));
    expect(result.failures).toBe(heldOutTruth.length);
    expect(result.byMode.bearing.failures + result.byMode.winding.failures).toBe(heldOutTruth.length);
    expect(result.byMode.bearing.detected + result.byMode.winding.detected).toBe(result.detectedByRun);
    expect(result.detectedByRun).toBeLessThanOrEqual(result.detected);
    expect(result.precision).toBeGreaterThan(0.5);
    expect(result.recall).toBeGreaterThan(0.5);
    expect(result.prAuc).toBeGreaterThan(0.5);
    // A score that alerts on every hour: precision is the share of positive hours, recall 1.
    const always = evaluateAgainstTruth(model, rows, truth, () => 1, 0.5);
    expect(always.precision).toBeCloseTo(always.positives / always.examples, 12);
    expect(always.recall).toBe(1);
    // One that flickers, every other hour: an alert run of its own every two hours, nearly all false.
    let hour = 0;
    const flicker = evaluateAgainstTruth(model, rows, truth, () => hour++ % 2, 0.5);
    expect(flicker.falseAlarmsPerDeviceMonth).toBeGreaterThan(300);
    expect(flicker.falseAlarmsPerDeviceMonth).toBeGreaterThan(result.falseAlarmsPerDeviceMonth * 10);
  });
});

describe('the hour a device failed in', () => {
  it('is not judged: by its end the failure is reported (an alert in it is neither a hit nor a false alarm)', async () => {
    const model = await trainMaintenanceModel(rdd, 'synthetic', syntheticFleet(30, 30), { holdoutFraction: 0.25, nowMs: 1 });
    // Two days of one device, failing at 30:30; a score that alerts from hour 6 on.
    const rows = new Map([['dev-x', Array.from({ length: 48 }, (_, h) => ({ hourMs: h * hourMs, x: Float64Array.of(h) }))]]);
    const truth: TruthRecord[] = [{ event: 'failure', deviceId: 'dev-x', ts: 30.5 * hourMs }];
    const result = evaluateAgainstTruth(model, rows, truth, (x) => (x[0] >= 6 ? 1 : 0), 0.5);
    expect(result.examples).toBe(47);
    // Hours 6 to 29 end within the 24 h before the failure; 6 to 47 alert, but for hour 30.
    expect(result.positives).toBe(24);
    expect(result.precision).toBeCloseTo(24 / 41, 12);
    expect(result.detectedByRun).toBe(1);
  });
});

describe('sudden failures and the oracle', () => {
  it('labels sudden failures, and says how much of the ROC AUC they cost', async () => {
    const fleet = syntheticFleet(30, 30);
    const model = await trainMaintenanceModel(rdd, 'synthetic', fleet, { holdoutFraction: 0.25, nowMs: 1 });
    const rows = await heldOutRows(rdd, model, fleet);
    const truth: TruthRecord[] = [];
    for (const [deviceId, history] of fleet)
      for (const [i, ts] of eventHours(history, failureMetric).entries())
        truth.push({ event: 'failure', deviceId, ts, mode: 'overheat', ...(i % 3 === 0 ? { sudden: true } : {}) });
    // A score that sees every failure but the sudden ones coming: their hours score as healthy ones.
    const sighted = (_x: Float64Array, deviceId: string, endMs: number) =>
      truth.some((t) => t.deviceId === deviceId && !t.sudden && t.ts >= endMs && t.ts < endMs + 24 * hourMs) ? 1 : 0;
    const result = evaluateAgainstTruth(model, rows, truth, sighted, 0.5);
    const heldOutSudden = truth.filter((t) => rows.has(t.deviceId) && t.sudden).length;
    expect(heldOutSudden).toBeGreaterThan(0);
    expect(result.sudden).toEqual({ failures: heldOutSudden, detected: 0, medianLeadTimeHours: null });
    expect(result.rocAuc).toBeLessThan(0.95);
    expect(result.rocAucWithoutSudden).toBe(1);
  });

  it('reads the hidden wear from the ground truth: the last health record, 0 once a failure, repair or service resets it', () => {
    const truth: TruthRecord[] = [
      { event: 'health', deviceId: 'a', ts: 10 * hourMs, severity: 0.2 },
      { event: 'health', deviceId: 'a', ts: 11 * hourMs, severity: 0.5 },
      { event: 'service', deviceId: 'a', ts: 12 * hourMs + 5 },
      { event: 'health', deviceId: 'b', ts: 11 * hourMs, severity: 0.9 },
    ];
    const oracle = hiddenWearScorer(truth);
    const none = new Float64Array(0);
    expect(oracle(none, 'a', 10 * hourMs)).toBe(0); // before the first record
    expect(oracle(none, 'a', 11 * hourMs)).toBe(0.2);
    expect(oracle(none, 'a', 12 * hourMs)).toBe(0.5);
    expect(oracle(none, 'a', 13 * hourMs)).toBe(0); // the visit replaced the part
    expect(oracle(none, 'b', 13 * hourMs)).toBe(0.9);
    expect(oracle(none, 'c', 13 * hourMs)).toBe(0);
  });
});
