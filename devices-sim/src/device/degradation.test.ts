import { describe, expect, it } from 'vitest';
import { Fleet } from '../fleet/fleet.js';
import { builtinProfileSet } from '../profiles/load-profiles.js';
import type { Profile } from '../profiles/profile-schema.js';
import { deliveryDefaults } from './delivery-options.js';
import type { GroundTruthRecord } from './emission.js';

const hourMs = 3_600_000;
const dayMs = 24 * hourMs;
const startMs = Date.UTC(2026, 2, 1);
const days = 7;
const mtbfDays = 10;
const devices = 300;

/** The built-in ATM with a configured failure rate: one failure per device every 10 days. */
function atmProfiles(): Map<string, Profile> {
  const profiles = builtinProfileSet();
  const atm = profiles.get('atm') as Profile;
  profiles.set('atm', { ...atm, failure: { ...(atm.failure as NonNullable<Profile['failure']>), mtbfDays } });
  return profiles;
}

interface Reading {
  readonly atMs: number;
  readonly values: Record<string, number>;
}

/** A simulated week of 300 ATMs at a reading every 10 minutes: every reading and the ground truth. */
function simulateWeek() {
  const profiles = atmProfiles();
  const fleet = new Fleet(
    {
      seed: 2026,
      startMs,
      endMs: startMs + days * dayMs,
      groups: [{ profile: 'atm', count: devices }],
      idPrefix: '',
      labels: {},
      delivery: { ...deliveryDefaults, intervalMs: 10 * 60_000 },
    },
    profiles,
  );
  const readings = new Map<string, Reading[]>();
  const truth: GroundTruthRecord[] = [];
  const health: GroundTruthRecord[] = [];
  for (let e = fleet.next(); e; e = fleet.next()) {
    if (e.kind === 'truth') (e.record.event === 'health' ? health : truth).push(e.record);
    else if (e.topic.startsWith('telemetry/') && e.readings) {
      const id = e.topic.slice('telemetry/'.length);
      const list = readings.get(id) ?? [];
      list.push({ atMs: e.sendAtMs, values: e.readings as Record<string, number> });
      readings.set(id, list);
    }
  }
  return { profiles, readings, truth, health };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const variance = (xs: number[]) => {
  const m = mean(xs);
  return xs.reduce((a, x) => a + (x - m) ** 2, 0) / Math.max(1, xs.length - 1);
};

describe('degradation before failure, over a simulated week', () => {
  const { profiles, readings, truth, health } = simulateWeek();
  const failures = truth.filter((r) => r.event === 'failure');

  it('fails at the configured rate', () => {
    const expected = (devices * days) / mtbfDays; // 210
    expect(failures.length).toBeGreaterThan(expected * 0.8);
    expect(failures.length).toBeLessThan(expected * 1.2);
    // The modes in proportion to their weights (dispenser 3, card-reader 1, cooling 1).
    const dispenser = failures.filter((f) => f.mode === 'dispenser').length / failures.length;
    expect(dispenser).toBeGreaterThan(0.45);
    expect(dispenser).toBeLessThan(0.75);
  });

  it('writes a ground truth where onset precedes failure precedes repair, by the profile\u2019s hours', () => {
    const byDevice = new Map<string, GroundTruthRecord[]>();
    for (const r of truth) byDevice.set(r.deviceId, [...(byDevice.get(r.deviceId) ?? []), r]);
    let checked = 0;
    for (const records of byDevice.values()) {
      for (let i = 1; i < records.length; i++) {
        const [before, after] = [records[i - 1], records[i]];
        expect(after.ts).toBeGreaterThan(before.ts);
        if (before.event === 'degradation-onset') {
          expect(after.event).toBe('failure');
          expect(after.mode).toBe(before.mode);
          expect(before.failAtMs).toBe(after.ts);
          expect(after.ts - before.ts).toBeGreaterThanOrEqual(24 * hourMs);
          expect(after.ts - before.ts).toBeLessThanOrEqual(72 * hourMs);
          checked++;
        }
        if (before.event === 'failure') {
          expect(after.event).toBe('repair');
          expect(after.ts - before.ts).toBeGreaterThanOrEqual(2 * hourMs);
          expect(after.ts - before.ts).toBeLessThanOrEqual(8 * hourMs);
        }
      }
    }
    expect(checked).toBeGreaterThan(100);
  });

  it('records the hidden wear once an hour while a part wears, rising from 0 to 1 up to the failure', () => {
    const wear = health;
    expect(wear.length).toBeGreaterThan(1000);
    const byDevice = new Map<string, GroundTruthRecord[]>();
    for (const r of wear) byDevice.set(r.deviceId, [...(byDevice.get(r.deviceId) ?? []), r]);
    for (const [deviceId, records] of byDevice) {
      for (const [i, r] of records.entries()) {
        const onset = truth.filter((t) => t.deviceId === deviceId && t.event === 'degradation-onset' && t.ts <= r.ts).pop();
        const failAtMs = onset?.failAtMs ?? truth.find((t) => t.deviceId === deviceId && t.event === 'failure' && t.ts > r.ts)?.ts;
        expect(r.ts).toBeLessThan(failAtMs as number);
        expect(r.severity).toBeGreaterThanOrEqual(0); // rounded to 4 places: 0 in the first minutes
        expect(r.severity).toBeLessThanOrEqual(1);
        const before = records[i - 1];
        if (before && before.ts >= (onset?.ts ?? Number.NEGATIVE_INFINITY)) {
          expect(Math.floor(r.ts / hourMs)).toBeGreaterThan(Math.floor(before.ts / hourMs)); // one a clock hour
          expect(r.severity).toBeGreaterThanOrEqual(before.severity as number);
        }
      }
    }
  });

  it('sends nothing while a device is down for repair', () => {
    for (const failure of failures) {
      const repair = truth.find((r) => r.deviceId === failure.deviceId && r.event === 'repair' && r.ts > failure.ts);
      const until = repair?.ts ?? startMs + days * dayMs;
      const during = (readings.get(failure.deviceId) ?? []).filter((r) => r.atMs >= failure.ts && r.atMs < until);
      expect(during).toEqual([]);
    }
  });

  it('drifts the failing mode\u2019s signals in the hours before a failure, well apart from healthy readings', () => {
    const atm = profiles.get('atm') as Profile;
    const modes = atm.failure?.modes ?? {};
    // Healthy: outside every [onset, repair) span of the device; runs that began mid-degradation are left out.
    const unhealthy = new Map<string, [number, number][]>();
    for (const r of truth) {
      const spans = unhealthy.get(r.deviceId) ?? [];
      if (r.event === 'degradation-onset') spans.push([r.ts, Number.POSITIVE_INFINITY]);
      if (r.event === 'repair') {
        const open = spans.find(([, end]) => end === Number.POSITIVE_INFINITY);
        if (open) open[1] = r.ts;
        else spans.push([startMs, r.ts]);
      }
      if (r.event === 'failure' && !spans.some(([, end]) => end === Number.POSITIVE_INFINITY))
        spans.push([startMs, Number.POSITIVE_INFINITY]);
      unhealthy.set(r.deviceId, spans);
    }
    const effects: number[] = [];
    let apart = 0;
    let compared = 0;
    for (const failure of failures) {
      if (failure.ts - startMs < 12 * hourMs) continue;
      const own = readings.get(failure.deviceId) ?? [];
      const spans = unhealthy.get(failure.deviceId) ?? [];
      const healthy = own.filter((r) => !spans.some(([from, to]) => r.atMs >= from && r.atMs < to));
      const before = own.filter((r) => r.atMs >= failure.ts - 6 * hourMs && r.atMs < failure.ts);
      if (healthy.length < 50 || before.length < 20) continue;
      for (const [metric, drift] of Object.entries(modes[failure.mode as string].drift)) {
        if (Math.abs(drift) < 0.3) continue; // the side effects (cooling draws a little more current) are too small to test one by one
        const h = healthy.map((r) => r.values[metric]);
        const b = before.map((r) => r.values[metric]);
        const difference = (mean(b) - mean(h)) * Math.sign(drift);
        const standardError = Math.sqrt(variance(h) / h.length + variance(b) / b.length);
        compared++;
        if (difference > 4 * standardError) apart++;
        effects.push(difference / Math.sqrt(variance(h)));
      }
    }
    expect(compared).toBeGreaterThan(100);
    // Every failure's drifted signals stand apart from the device's healthy ones (Welch t > 4)...
    expect(apart / compared).toBeGreaterThan(0.97);
    // ...and by a wide margin: typically several healthy standard deviations.
    const sorted = effects.sort((a, b) => a - b);
    expect(sorted[Math.floor(sorted.length / 2)]).toBeGreaterThan(2);
  });

  it('leaves the signals of healthy devices at their healthy levels', () => {
    const healthyDevices = [...readings.keys()].filter((id) => !truth.some((r) => r.deviceId === id));
    expect(healthyDevices.length).toBeGreaterThan(50);
    const vibration = healthyDevices.flatMap((id) => (readings.get(id) ?? []).map((r) => r.values.dispenserVibration));
    expect(mean(vibration)).toBeCloseTo(0.9, 1);
    expect(Math.sqrt(variance(vibration))).toBeCloseTo(0.12, 1);
  });
});
