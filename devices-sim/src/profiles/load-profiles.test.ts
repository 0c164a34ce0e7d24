import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@fogline/shared';
import { describe, expect, it } from 'vitest';
import { builtinProfileSet, loadProfiles } from './load-profiles.js';

const folder = mkdtempSync(join(tmpdir(), 'fogline-profiles-'));
const file = (name: string, text: string) => {
  const path = join(folder, name);
  writeFileSync(path, text);
  return path;
};

function problemsOf(path: string): string[] {
  try {
    loadProfiles(path);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return [...(error as ConfigError).problems];
  }
  throw new Error('expected a ConfigError');
}

describe('profiles', () => {
  it('has the built-in ATM (classic and as a field fleet), motor and environment sensor', () => {
    const profiles = builtinProfileSet();
    expect([...profiles.keys()]).toEqual(['atm', 'atm-hard', 'motor', 'env']);
    // The same kind of device: one model learns from both.
    expect(profiles.get('atm-hard')?.model).toBe(profiles.get('atm')?.model);
    expect(profiles.get('atm')?.field).toBeUndefined();
    expect(profiles.get('atm-hard')?.field).toMatchObject({ sites: 20, suddenShare: 0.15 });
    expect(Object.keys(profiles.get('atm')?.metrics ?? {})).toEqual([
      'cashDispensed',
      'cardReaderErrors',
      'cabinetTemperature',
      'dispenserCurrent',
      'dispenserVibration',
    ]);
    expect(profiles.get('env')?.failure).toBeUndefined();
  });

  it('reads a YAML profile, fills defaults, and lets it replace a built-in', () => {
    const profiles = loadProfiles(
      file(
        'pump.yaml',
        `profiles:
  pump:
    model: PX-200
    metrics:
      pressure: { mean: 3.2, noise: 0.05 }
      leaks: { kind: count, perHour: 0.1 }
    failure:
      mtbfDays: 20
      modes:
        seal: { drift: { pressure: -0.8, leaks: 5 } }
  env:
    metrics:
      co2: { mean: 420, noise: 15, decimals: 0 }
`,
      ),
    );
    const pump = profiles.get('pump');
    expect(pump?.model).toBe('PX-200');
    expect(pump?.metrics.pressure).toMatchObject({ kind: 'gauge', mean: 3.2, noise: 0.05, decimals: 3, daily: 0 });
    expect(pump?.failure).toMatchObject({ mtbfDays: 20, degradationHours: [24, 72], repairHours: [2, 8], shape: 2 });
    expect(Object.keys(profiles.get('env')?.metrics ?? {})).toEqual(['co2']);
    expect(profiles.has('atm')).toBe(true);
  });

  it('names the field, the value and what was expected for a bad profile', () => {
    const path = file(
      'bad.yaml',
      `profiles:
  pump:
    metrics:
      pressure: { noise: -1 }
      leaks: { kind: count }
      flow: { mean: 1, colour: red }
`,
    );
    const problems = problemsOf(path);
    expect(problems).toContain(`${path}: profiles.pump.metrics.pressure.noise was -1, expected a number >= 0`);
    expect(problems).toContain(
      `${path}: profiles.pump.metrics.pressure.mean was missing, expected a number (a gauge needs its healthy mean)`,
    );
    expect(problems).toContain(
      `${path}: profiles.pump.metrics.leaks.perHour was missing, expected a number >= 0 (a count needs its healthy rate per hour)`,
    );
    expect(problems).toContain(`${path}: profiles.pump.metrics.flow: unknown field(s) colour; check the spelling`);
  });

  it('refuses drifts of metrics the profile lacks, and an MTBF shorter than degradation plus repair', () => {
    const path = file(
      'cross.yaml',
      `profiles:
  pump:
    metrics:
      pressure: { mean: 3 }
    failure:
      mtbfDays: 1
      degradationHours: [24, 48]
      modes:
        seal: { drift: { presure: 2 }, events: { leak: 1 } }
`,
    );
    const problems = problemsOf(path);
    expect(problems).toContain(
      `${path}: profiles.pump.failure.modes.seal.drift.presure was 2, expected a metric of profile pump (pressure)`,
    );
    expect(problems).toContain(
      `${path}: profiles.pump.failure.modes.seal.events.leak was 1, expected an event of profile pump (none defined)`,
    );
    expect(
      problems.some((p) =>
        p.startsWith(`${path}: profiles.pump.failure.mtbfDays was 1, expected more than the mean degradation plus repair time (41 h`),
      ),
    ).toBe(true);
  });

  it('refuses a file without profiles, and one that is not YAML', () => {
    expect(problemsOf(file('empty.yaml', 'profiles: {}\n'))[0]).toMatch(/profiles was \{\}, expected at least one profile/);
    expect(problemsOf(file('broken.yaml', 'profiles: [\n'))[0]).toMatch(/is not valid YAML or JSON/);
  });
});
