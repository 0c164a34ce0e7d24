import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli.js');
const run = promisify(execFile);
const folder = mkdtempSync(join(tmpdir(), 'fogline-sim-cli-'));

async function sim(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [cli, ...args], { maxBuffer: 64 << 20 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

const dryRun = (name: string, seed: number) => [
  '--dry-run',
  '--quiet',
  '--fleet',
  'atm=20,motor=5,env=5',
  '--seed',
  String(seed),
  '--start',
  '2026-03-01T00:00:00Z',
  '--duration',
  '3d',
  '--interval',
  '5m',
  '--skew',
  '3s',
  '--late',
  '0.02',
  '--out-of-order',
  '0.02',
  '--malformed',
  '0.02',
  '--record',
  join(folder, `${name}.readings.jsonl`),
  '--truth',
  join(folder, `${name}.truth.jsonl`),
  '--summary',
  join(folder, `${name}.summary.json`),
];

describe('fogline-sim', () => {
  it('produces the same readings and ground truth, byte for byte, for the same seed and options', async () => {
    const [a, b, c] = await Promise.all([sim(dryRun('a', 7)), sim(dryRun('b', 7)), sim(dryRun('c', 8))]);
    expect([a.code, b.code, c.code]).toEqual([0, 0, 0]);
    const file = (name: string, kind: string) => readFileSync(join(folder, `${name}.${kind}`));
    expect(file('a', 'readings.jsonl').length).toBeGreaterThan(1_000_000);
    expect(file('a', 'readings.jsonl').equals(file('b', 'readings.jsonl'))).toBe(true);
    expect(file('a', 'truth.jsonl').equals(file('b', 'truth.jsonl'))).toBe(true);
    expect(file('a', 'readings.jsonl').equals(file('c', 'readings.jsonl'))).toBe(false);
    const summary = (name: string) => {
      const { wall: _wall, ratePerSecond: _rate, ...rest } = JSON.parse(file(name, 'summary.json').toString());
      return rest;
    };
    expect(summary('a')).toEqual(summary('b'));
    // The summary adds up to the record: every valid reading, per device and metric.
    const lines = file('a', 'readings.jsonl').toString().trim().split('\n');
    const { perDevice, publishes } = JSON.parse(file('a', 'summary.json').toString());
    expect(publishes.generated).toBe(lines.length);
    const temperature = lines
      .map((line) => JSON.parse(line) as { topic: string; payload: string })
      .filter((p) => p.topic === 'telemetry/atm-0003')
      .flatMap((p) => {
        try {
          const value = (JSON.parse(p.payload) as { values: Record<string, unknown> }).values.cabinetTemperature;
          return typeof value === 'number' ? [value] : [];
        } catch {
          return [];
        }
      });
    expect(perDevice['atm-0003'].cabinetTemperature.count).toBe(temperature.length);
  });

  it('explains its options with --help', async () => {
    const { code, stdout } = await sim(['run', '--help']);
    expect(code).toBe(0);
    for (const flag of [
      '--gateway',
      '--fleet',
      '--seed',
      '--speed',
      '--duration',
      '--count',
      '--credentials',
      '--malformed',
      '--storm-every',
    ])
      expect(stdout).toContain(flag);
  });

  it('refuses bad flags and profiles with the flag, the value and what was expected', async () => {
    const interval = await sim(['--dry-run', '--count', '1', '--interval', 'soon']);
    expect(interval.code).not.toBe(0);
    expect(interval.stderr).toContain('--interval was "soon", expected a duration such as 500ms, 10s, 5m, 2h or 7d');
    const late = await sim(['--dry-run', '--count', '1', '--late', '1.5']);
    expect(late.stderr).toContain('--late was "1.5", expected a number from 0 to 1');
    const noGateway = await sim(['--count', '1']);
    expect(noGateway.stderr).toContain('--gateway <url> is required (or --dry-run)');
    const profiles = join(folder, 'bad-profiles.yaml');
    writeFileSync(profiles, 'profiles:\n  pump:\n    metrics:\n      pressure: { mean: "high" }\n');
    const bad = await sim(['--dry-run', '--count', '1', '--profiles', profiles, '--fleet', 'pump=1']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`${profiles}: profiles.pump.metrics.pressure.mean was "high", expected a number`);
  });

  it('stops each device after --count readings', async () => {
    const { code, stdout } = await sim(['--dry-run', '--quiet', '--fleet', 'env=3', '--count', '17', '--start', '0']);
    expect(code).toBe(0);
    const summary = JSON.parse(stdout);
    expect(summary.publishes.telemetry).toBe(51);
    expect(summary.readings.perMetric.temperature.count).toBe(51);
    expect(summary.perDevice).toBeUndefined(); // only with --summary <file>
  });
});

describe('fogline-sim stack, the clustered form', () => {
  it('names the flag the cluster is missing, before it sets anything up', async () => {
    const dataDir = join(folder, 'cluster-stack');
    const workers = await sim(['stack', '--data-dir', dataDir, '--cloud-workers', '2', '--broker', 'mqtt://127.0.0.1:1883']);
    expect(workers.code).not.toBe(0);
    expect(workers.stderr).toContain('--cloud-workers 2 needs --store postgres://... and --broker mqtt://...');
    const store = await sim(['stack', '--data-dir', dataDir, '--store', 'mysql://db/x', '--broker', 'mqtt://127.0.0.1:1883']);
    expect(store.stderr).toContain('--store was "mysql://db/x", expected a postgres:// URL');
    const broker = await sim(['stack', '--data-dir', dataDir, '--store', 'postgres://db/x']);
    expect(broker.stderr).toContain('--store postgres://... needs --broker mqtt://...');
    expect(existsSync(dataDir)).toBe(false);
  });
});
