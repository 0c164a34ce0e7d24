import { describe, expect, it } from 'vitest';
import { deliveryDefaults } from '../device/delivery-options.js';
import type { Emission } from '../device/emission.js';
import { builtinProfileSet } from '../profiles/load-profiles.js';
import { Fleet, type FleetSpec, fleetIdentities, parseFleetGroups } from './fleet.js';

const profiles = builtinProfileSet();
const startMs = Date.UTC(2026, 0, 1);
const hourMs = 3_600_000;

const spec = (overrides: Partial<FleetSpec> = {}, delivery: Partial<FleetSpec['delivery']> = {}): FleetSpec => ({
  seed: 42,
  startMs,
  endMs: startMs + 6 * hourMs,
  groups: [
    { profile: 'atm', count: 5 },
    { profile: 'motor', count: 2 },
    { profile: 'env', count: 2 },
  ],
  idPrefix: '',
  labels: { site: 'lab' },
  delivery: { ...deliveryDefaults, intervalMs: 60_000, ...delivery },
  ...overrides,
});

function drain(fleet: Fleet): Emission[] {
  const out: Emission[] = [];
  for (let e = fleet.next(); e; e = fleet.next()) out.push(e);
  return out;
}

const publishes = (emissions: Emission[]) => emissions.flatMap((e) => (e.kind === 'publish' ? [e] : []));

describe('Fleet', () => {
  it('names devices by profile and carries labels', () => {
    const ids = fleetIdentities(spec({ idPrefix: 'north-' }), profiles);
    expect(ids.map((d) => d.id)).toEqual([
      'north-atm-0001',
      'north-atm-0002',
      'north-atm-0003',
      'north-atm-0004',
      'north-atm-0005',
      'north-motor-0001',
      'north-motor-0002',
      'north-env-0001',
      'north-env-0002',
    ]);
    expect(ids[0].labels).toEqual({ site: 'lab', profile: 'atm', model: 'ATM-9000' });
    expect(parseFleetGroups('atm=3, env=1', profiles)).toEqual([
      { profile: 'atm', count: 3 },
      { profile: 'env', count: 1 },
    ]);
    expect(() => parseFleetGroups('atm=0', profiles)).toThrow('--fleet part "atm=0" is not <profile>=<count> with a count of 1 or more');
    expect(() => parseFleetGroups('toaster=2', profiles)).toThrow(
      '--fleet profile "toaster" is not known; expected one of atm, atm-hard, motor, env',
    );
  });

  it('produces the same emissions for the same seed, and others for another seed', () => {
    const options = { lateRatio: 0.05, outOfOrderRatio: 0.05, malformedRatio: 0.05, skewMsStddev: 2000 };
    const first = JSON.stringify(drain(new Fleet(spec({}, options), profiles)));
    expect(JSON.stringify(drain(new Fleet(spec({}, options), profiles)))).toBe(first);
    expect(JSON.stringify(drain(new Fleet(spec({ seed: 43 }, options), profiles)))).not.toBe(first);
  });

  it('gives a device the same readings whatever the size of its fleet', () => {
    const of = (count: number) =>
      publishes(drain(new Fleet(spec({ groups: [{ profile: 'atm', count }] }), profiles)))
        .filter((p) => p.topic.endsWith('/atm-0002'))
        .map((p) => p.payload);
    expect(of(30)).toEqual(of(3));
  });

  it('sends in simulated-time order, one telemetry publish per interval per device', () => {
    const emissions = drain(new Fleet(spec(), profiles));
    for (let i = 1; i < emissions.length; i++) expect(emissions[i].sendAtMs).toBeGreaterThanOrEqual(emissions[i - 1].sendAtMs);
    const perDevice = new Map<string, number>();
    for (const p of publishes(emissions)) if (p.topic.startsWith('telemetry/')) perDevice.set(p.topic, (perDevice.get(p.topic) ?? 0) + 1);
    // 6 h at 1 min: 360 readings, give or take the jitter; fewer only for a device down for repair.
    const counts = [...perDevice.values()];
    expect(counts.filter((n) => Math.abs(n - 360) <= 3).length).toBeGreaterThanOrEqual(counts.length - 1);
  });

  it('stops each device after --count readings', () => {
    const emissions = publishes(drain(new Fleet(spec({ endMs: Number.POSITIVE_INFINITY }, { readingsPerDeviceMax: 25 }), profiles)));
    const telemetry = emissions.filter((p) => p.topic.startsWith('telemetry/'));
    expect(telemetry.length).toBe(9 * 25);
  });

  it('delays, reorders and breaks readings at the ratios asked for', () => {
    const emissions = publishes(
      drain(
        new Fleet(
          spec({ endMs: startMs + 48 * hourMs }, { lateRatio: 0.05, lateByMs: 10 * 60_000, outOfOrderRatio: 0.05, malformedRatio: 0.1 }),
          profiles,
        ),
      ),
    ).filter((p) => p.topic.startsWith('telemetry/'));
    const n = emissions.length;
    const malformed = emissions.filter((p) => p.malformed);
    expect(malformed.length / n).toBeGreaterThan(0.08);
    expect(malformed.length / n).toBeLessThan(0.12);
    for (const p of malformed) {
      let values: unknown;
      try {
        values = (JSON.parse(p.payload) as { values?: unknown }).values;
      } catch {
        continue; // not JSON at all
      }
      const valid =
        values && typeof values === 'object' && !Array.isArray(values) && Object.values(values).some((v) => typeof v === 'number');
      expect(valid).toBeFalsy();
    }
    const valid = emissions.filter((p) => !p.malformed);
    const heldBack = valid.map((p) => p.sendAtMs - (JSON.parse(p.payload) as { ts: number }).ts);
    const late = heldBack.filter((d) => d === 10 * 60_000).length / valid.length;
    const reordered = heldBack.filter((d) => d === 90_000).length / valid.length;
    expect(late).toBeGreaterThan(0.035);
    expect(late).toBeLessThan(0.065);
    expect(reordered).toBeGreaterThan(0.035);
    expect(reordered).toBeLessThan(0.065);
    expect(heldBack.filter((d) => d !== 0 && d !== 90_000 && d !== 10 * 60_000)).toEqual([]);
  });

  it('skews each device clock by its own constant error', () => {
    const emissions = publishes(drain(new Fleet(spec({}, { skewMsStddev: 5000 }), profiles))).filter((p) =>
      p.topic.startsWith('telemetry/'),
    );
    const skews = new Map<string, Set<number>>();
    for (const p of emissions) {
      const skew = (JSON.parse(p.payload) as { ts: number }).ts - p.sendAtMs;
      skews.set(p.topic, (skews.get(p.topic) ?? new Set()).add(skew));
    }
    expect([...skews.values()].every((set) => set.size === 1)).toBe(true);
    expect(new Set([...skews.values()].map((set) => [...set][0])).size).toBe(skews.size);
  });
});
