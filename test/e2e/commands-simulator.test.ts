import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { cloudAndGatewayConfig, gatewayCli, killedAfterEachTest, simCli } from './processes.js';

const { start } = killedAfterEachTest();
const hourMs = 3_600_000;
const lines = (path: string) =>
  existsSync(path)
    ? readFileSync(path, 'utf8')
        .split('\n')
        .filter((line) => line.trim() !== '')
        .flatMap((line) => {
          try {
            return [JSON.parse(line)];
          } catch {
            return []; // a line being written
          }
        })
    : [];

interface Truth {
  event: string;
  deviceId: string;
  ts: number;
  mode?: string;
  failAtMs?: number;
  outcome?: string;
}

describe('a service command to a simulated ATM', () => {
  it('is acknowledged, is in the ground truth, prevents the failure it was heading for, and its vibration falls back', async () => {
    const {
      cloud,
      gatewayDir: dir,
      gatewayConfig,
    } = await cloudAndGatewayConfig(start, 'gw-service', {
      gateway: () => ({ limits: { futureSkewMsMax: 0 }, windows: { sizeMs: 60_000, allowedLatenessMs: 120_000 } }),
    });
    const fleet = ['--fleet', 'atm=20', '--site', 'lisbon', '--seed', '7', '--interval', '10m'];
    const startMs = Math.floor((Date.now() - 30 * 24 * hourMs) / 60_000) * 60_000;
    // The oracle of what would happen: the same fleet, dry-run, without the command.
    const dryTruth = join(dir, 'dry-truth.jsonl');
    await promisify(execFile)(process.execPath, [
      simCli,
      ...fleet,
      '--dry-run',
      '--start',
      String(startMs),
      '--duration',
      '20d',
      '--truth',
      dryTruth,
      '--quiet',
    ]);
    // The degradation to service: of those with a day or more of drift, the one whose second
    // half is longest against the time it takes to get there, so the command has the most real
    // time to arrive before the failure it must prevent, on a loaded machine too.
    const slackOf = (t: Truth) => ((t.failAtMs as number) - t.ts) / 2 / (t.ts + ((t.failAtMs as number) - t.ts) / 2 - startMs);
    const onset = (lines(dryTruth) as Truth[])
      .filter((t) => t.event === 'degradation-onset' && t.mode === 'dispenser' && (t.failAtMs ?? 0) - t.ts >= 24 * hourMs)
      .reduce<Truth | undefined>((best, t) => (best && slackOf(best) >= slackOf(t) ? best : t), undefined);
    if (!onset) throw new Error('the seeded fleet has no dispenser degradation to service in 20 days');
    const failAtMs = onset.failAtMs as number;
    const serviceAtMs = onset.ts + (failAtMs - onset.ts) / 2;
    // The command goes an hour before the service time. From then to the failure it has at least
    // 5 s of real time (under a second, as before, was not always enough on a busy machine), and
    // the run takes at least 8 s to reach the service time (the fleet connects first).
    const speed = Math.round(Math.min((failAtMs - serviceAtMs + hourMs) / 5_000, (serviceAtMs - startMs) / 8_000));
    const durationMs = failAtMs - startMs + 12 * hourMs;

    const credentials = join(dir, 'sim-devices.jsonl');
    await promisify(execFile)(process.execPath, [
      simCli,
      'provision',
      '--fleet',
      'atm=20',
      '--site',
      'lisbon',
      '--gateway-config',
      gatewayConfig,
      '--out',
      credentials,
    ]);
    const gateway = await start(gatewayCli, ['-c', gatewayConfig], 'gateway ready');
    const api = `http://127.0.0.1:${cloud.ports.http}/api/v1`;
    while ((await fetch(`${api}/devices/${onset.deviceId}`)).status !== 200) await new Promise((r) => setTimeout(r, 100));

    const truth = join(dir, 'truth.jsonl');
    const record = join(dir, 'record.jsonl');
    const sim = spawn(process.execPath, [
      simCli,
      ...fleet,
      ...['--gateway', `mqtt://127.0.0.1:${gateway.ports.mqtt}`, '--credentials', credentials],
      ...['--start', String(startMs), '--duration', `${Math.ceil(durationMs / 60_000)}m`, '--speed', String(speed)],
      ...['--truth', truth, '--record', record, '--quiet'],
    ]);
    const exited = new Promise<number | null>((resolve) => sim.once('exit', resolve));
    try {
      // The simulated clock, read from what the fleet has sent: the command goes when it nears the middle of the degradation.
      const deadline = Date.now() + 60_000;
      for (;;) {
        const sent = lines(record) as { t: number }[];
        if ((sent.at(-1)?.t ?? 0) >= serviceAtMs - hourMs) break;
        if (Date.now() > deadline) throw new Error('the simulated clock did not reach the service time');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const response = await fetch(`${api}/devices/${onset.deviceId}/commands`, {
        method: 'POST',
        body: JSON.stringify({ name: 'service', args: { technician: 'ana' } }),
      });
      expect(response.status).toBe(202);
      const { id } = (await response.json()) as { id: string };
      expect(await exited).toBe(0);

      const command = (await (await fetch(`${api}/commands/${id}`)).json()) as { status: string; detail: string };
      expect(command).toMatchObject({ status: 'acknowledged', detail: 'restored' });
      const mine = (lines(truth) as Truth[]).filter((t) => t.deviceId === onset.deviceId);
      const service = mine.find((t) => t.event === 'service');
      expect(service).toMatchObject({ outcome: 'restored' });
      expect((service as Truth).ts).toBeGreaterThan(onset.ts);
      expect((service as Truth).ts).toBeLessThan(failAtMs);
      // The failure it was heading for does not happen.
      expect(mine.filter((t) => t.event === 'failure' && t.ts === failAtMs)).toEqual([]);
      expect((lines(dryTruth) as Truth[]).some((t) => t.deviceId === onset.deviceId && t.event === 'failure' && t.ts === failAtMs)).toBe(
        true,
      );

      // Its readings, as it sent them: the dispenser's vibration before the service and after.
      const vibration = (lines(record) as { t: number; topic: string; payload: string }[])
        .filter((p) => p.topic === `telemetry/${onset.deviceId}`)
        .map((p) => ({ t: p.t, v: (JSON.parse(p.payload) as { values?: { dispenserVibration?: number } }).values?.dispenserVibration }))
        .filter((p): p is { t: number; v: number } => typeof p.v === 'number');
      const serviceTs = (service as Truth).ts;
      const mean = (from: number, to: number) => {
        const vs = vibration.filter((p) => p.t >= from && p.t < to).map((p) => p.v);
        return vs.reduce((a, b) => a + b, 0) / vs.length;
      };
      const before = mean(serviceTs - 6 * hourMs, serviceTs);
      const after = mean(serviceTs + hourMs, serviceTs + 7 * hourMs);
      expect(before - after).toBeGreaterThan(0.15);
    } finally {
      sim.kill('SIGKILL');
    }
  }, 120_000);
});
