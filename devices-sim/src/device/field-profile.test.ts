import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Fleet } from '../fleet/fleet.js';
import { builtinProfileSet, loadProfiles } from '../profiles/load-profiles.js';
import { deliveryDefaults } from './delivery-options.js';
import type { GroundTruthRecord } from './emission.js';

const hourMs = 3_600_000;
const dayMs = 24 * hourMs;
const startMs = Date.UTC(2026, 2, 2); // a Monday
const days = 20;

/** 200 ATMs of the hard profile for 20 days, a reading every 15 minutes: readings, events and the ground truth. */
function simulateField() {
  const fleet = new Fleet(
    {
      seed: 7,
      startMs,
      endMs: startMs + days * dayMs,
      groups: [{ profile: 'atm-hard', count: 200 }],
      idPrefix: '',
      labels: {},
      delivery: { ...deliveryDefaults, intervalMs: 15 * 60_000 },
    },
    builtinProfileSet(),
  );
  const readings = new Map<string, { atMs: number; values: Record<string, number> }[]>();
  const events: { deviceId: string; atMs: number; type: string; attrs: Record<string, unknown> }[] = [];
  const truth: GroundTruthRecord[] = [];
  for (let e = fleet.next(); e; e = fleet.next()) {
    if (e.kind === 'truth') truth.push(e.record);
    else if (e.topic.startsWith('telemetry/') && e.readings) {
      const id = e.topic.slice('telemetry/'.length);
      readings.set(id, [...(readings.get(id) ?? []), { atMs: e.sendAtMs, values: e.readings as Record<string, number> }]);
    } else if (e.topic.startsWith('events/')) {
      const { type, ...attrs } = JSON.parse(e.payload) as { type: string };
      events.push({ deviceId: e.topic.slice('events/'.length), atMs: e.sendAtMs, type, attrs });
    }
  }
  return { fleet, readings, events, truth };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const correlation = (xs: number[], ys: number[]) => {
  const [mx, my] = [mean(xs), mean(ys)];
  let [sxy, sxx, syy] = [0, 0, 0];
  for (let i = 0; i < xs.length; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
    syy += (ys[i] - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
};

describe('the hard ATM profile (a field fleet)', () => {
  const { fleet, readings, events, truth } = simulateField();
  // Hours within two of a hidden-wear record: a part was wearing.
  const wearing = new Set<string>();
  for (const t of truth)
    if (t.event === 'health') for (let h = -2; h <= 2; h++) wearing.add(`${t.deviceId}@${Math.floor(t.ts / hourMs) + h}`);
  const unhealthy = (deviceId: string, atMs: number) => wearing.has(`${deviceId}@${Math.floor(atMs / hourMs)}`);
  const healthyReadings = (deviceId: string) => (readings.get(deviceId) ?? []).filter((r) => !unhealthy(deviceId, r.atMs));

  it('spreads devices over 20 sites, each carrying its site label', () => {
    const sites = fleet.devices.map((d) => d.identity.labels.site);
    expect(new Set(sites).size).toBe(20);
    expect(sites.slice(0, 3)).toEqual(['site-01', 'site-02', 'site-03']);
    expect(fleet.devices[20].identity.labels).toMatchObject({ site: 'site-01', model: 'ATM-9000', profile: 'atm-hard' });
  });

  it('gives each device its own healthy level, and its site a shared weather', () => {
    const levels = fleet.devices.slice(0, 60).map((d) => mean(healthyReadings(d.id).map((r) => r.values.cabinetTemperature)));
    const spread = Math.sqrt(mean(levels.map((l) => (l - mean(levels)) ** 2)));
    expect(spread).toBeGreaterThan(1.5); // device and site offsets; the classic fleet's is about 0.1
    // Hourly temperatures of two devices at one site move together; at two sites, much less.
    const hourly = (deviceId: string) => {
      const byHour = new Map<number, number[]>();
      for (const r of readings.get(deviceId) ?? []) {
        const hour = Math.floor(r.atMs / hourMs);
        byHour.set(hour, [...(byHour.get(hour) ?? []), r.values.cabinetTemperature]);
      }
      return byHour;
    };
    const paired = (a: string, b: string) => {
      const [ha, hb] = [hourly(a), hourly(b)];
      const hours = [...ha.keys()].filter((h) => hb.has(h) && !unhealthy(a, h * hourMs) && !unhealthy(b, h * hourMs));
      return correlation(
        hours.map((h) => mean(ha.get(h) as number[])),
        hours.map((h) => mean(hb.get(h) as number[])),
      );
    };
    const ids = fleet.devices.map((d) => d.id);
    expect(paired(ids[0], ids[20])).toBeGreaterThan(0.6); // both site-01
    expect(paired(ids[0], ids[20])).toBeGreaterThan(paired(ids[0], ids[1]) + 0.2);
  });

  it('publishes transactions, which the dispenser’s current and the cash dispensed follow', () => {
    const healthy = healthyReadings(fleet.devices[5].id);
    const transactions = healthy.map((r) => r.values.transactions);
    expect(mean(transactions)).toBeGreaterThan(0.5);
    expect(
      correlation(
        transactions,
        healthy.map((r) => r.values.dispenserCurrent),
      ),
    ).toBeGreaterThan(0.2);
    expect(
      correlation(
        transactions,
        healthy.map((r) => r.values.cashDispensed),
      ),
    ).toBeGreaterThan(0.5);
  });

  it('sends technicians on routine visits: service and door-open events, and a part replaced before it failed', () => {
    const visits = truth.filter((t) => t.event === 'service');
    expect(visits.length).toBeGreaterThan(100); // 200 devices x 20 days / 20 days between visits
    for (const visit of visits.slice(0, 50)) {
      const sent = events.filter((e) => e.deviceId === visit.deviceId && e.atMs === visit.ts);
      expect(sent.map((e) => e.type).sort()).toEqual(['door-open', 'service']);
      expect(sent.find((e) => e.type === 'service')?.attrs).toMatchObject({ outcome: visit.outcome, visit: 'routine' });
    }
    const restored = visits.filter((v) => v.outcome === 'restored');
    expect(restored.length).toBeGreaterThan(0);
    for (const visit of restored) {
      const onset = truth.filter((t) => t.deviceId === visit.deviceId && t.event === 'degradation-onset' && t.ts < visit.ts).pop();
      if (!onset) continue; // the wear began before the run
      expect(truth.some((t) => t.deviceId === visit.deviceId && t.event === 'failure' && t.ts === onset.failAtMs)).toBe(false);
    }
  });

  it('has failures with no warning: about 15%, labelled sudden, with no drift and no hidden wear before them', () => {
    const failures = truth.filter((t) => t.event === 'failure');
    const sudden = failures.filter((f) => f.sudden);
    expect(sudden.length / failures.length).toBeGreaterThan(0.07);
    expect(sudden.length / failures.length).toBeLessThan(0.25);
    const before = (f: GroundTruthRecord) =>
      (readings.get(f.deviceId) ?? []).filter((r) => r.atMs > f.ts - 6 * hourMs && r.atMs < f.ts).map((r) => r.values.dispenserVibration);
    const baseline = (f: GroundTruthRecord) =>
      mean(
        (readings.get(f.deviceId) ?? [])
          .filter((r) => r.atMs < f.ts - 4 * dayMs && r.atMs > f.ts - 10 * dayMs && !unhealthy(f.deviceId, r.atMs))
          .map((r) => r.values.dispenserVibration),
      );
    const rise = (f: GroundTruthRecord) => mean(before(f)) - baseline(f);
    const dispenser = failures.filter((f) => f.mode === 'dispenser' && before(f).length > 3 && !Number.isNaN(baseline(f)));
    const warned = dispenser.filter((f) => !f.sudden).map(rise);
    const unwarned = dispenser.filter((f) => f.sudden).map(rise);
    expect(unwarned.length).toBeGreaterThan(2);
    expect(mean(warned)).toBeGreaterThan(0.5);
    expect(Math.abs(mean(unwarned))).toBeLessThan(0.25);
    for (const f of sudden)
      for (const h of truth.filter((t) => t.deviceId === f.deviceId && t.event === 'health' && t.ts < f.ts && t.ts > f.ts - 3 * dayMs))
        if (h.mode === f.mode && !truth.some((t) => t.deviceId === f.deviceId && t.ts > h.ts && t.ts < f.ts && t.event !== 'health'))
          expect(h.severity).toBe(0);
  });

  it('refuses a field part that names a metric of the wrong kind, naming the field and the choices', () => {
    const file = `${process.env.TMPDIR ?? '/tmp'}/fogline-field-${process.pid}.json`;
    writeFileSync(
      file,
      JSON.stringify({
        profiles: {
          kiosk: {
            metrics: { taps: { kind: 'count', perHour: 3 }, heat: { mean: 30 } },
            field: { usage: { metric: 'heat', perHour: 3 }, deviceSpread: { taps: 1 } },
          },
        },
      }),
    );
    expect(() => loadProfiles(file)).toThrow(
      /profiles\.kiosk\.field\.deviceSpread\.taps was "taps", expected a gauge of profile kiosk \(heat\)/,
    );
    expect(() => loadProfiles(file)).toThrow(
      /profiles\.kiosk\.field\.usage\.metric was "heat", expected a count of profile kiosk \(taps\)/,
    );
  });
});
