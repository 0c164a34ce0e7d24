import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { tempDir } from './processes.js';
import { killParts, type RunningStack, startStack, sumOfLines } from './stack-process.js';

describe('the whole stack, as npm start runs it', () => {
  it('brings up a cloud, two gateways and a fleet, counts every reading exactly, takes mosquitto_pub, stops cleanly and resumes', async () => {
    const dataDir = tempDir('stack');
    const stack = startStack(dataDir);
    try {
      await stack.said('Ctrl-C stops everything'); // the banner's last line: all of it is out
      expect(stack.output()).toMatch(/dashboard\s+http:\/\/127\.0\.0\.1:\d+\//);
      expect(stack.output()).toMatch(/mosquitto_pub -h 127\.0\.0\.1 -p \d+ -u my-sensor -P '[^']+' -t telemetry\/my-sensor/);
      const running = JSON.parse(readFileSync(join(dataDir, 'running.json'), 'utf8')) as RunningStack;
      const api = async <T>(path: string): Promise<T> =>
        (await fetch(`http://127.0.0.1:${running.httpPort}/api/v1/${path}`)).json() as Promise<T>;
      expect((await fetch(`http://127.0.0.1:${running.httpPort}/`)).status).toBe(200);

      // Prometheus finds every part through the targets file the stack writes, whatever ports they got.
      const targets = JSON.parse(readFileSync(join(dataDir, 'prometheus-targets.json'), 'utf8')) as {
        targets: string[];
        labels: Record<string, string>;
      }[];
      expect(targets.filter((t) => t.labels.component === 'gateway').map((t) => t.targets[0])).toEqual(
        running.gateways.map((g) => `127.0.0.1:${g.opsPort}`),
      );
      for (const {
        targets: [target],
      } of targets)
        expect(await (await fetch(`http://${target}/metrics`)).text()).toContain('process_cpu_seconds_total');

      // A real third-party client, as the banner shows it, on the lab gateway: a reading and one a rule alerts on.
      const lab = running.gateways.find((g) => g.site === 'lab') as RunningStack['gateways'][number];
      const publish = (message: string) =>
        promisify(execFile)('mosquitto_pub', [
          ...['-h', '127.0.0.1', '-p', String(lab.mqttPort), '-q', '1'],
          ...['-u', running.demoDevice.deviceId, '-P', running.demoDevice.secret],
          ...['-t', `telemetry/${running.demoDevice.deviceId}`, '-m', message],
        ]);
      await publish(JSON.stringify({ ts: Date.now() - 60_000, temperature: 21.5 }));
      await publish(JSON.stringify({ ts: Date.now() - 30_000, temperature: 45 }));

      await stack.said('fogline: history replayed');
      // Exact totals: what each fleet delivered (its summary), less what its gateway counted too
      // late for a window (the stated policy), plus the two readings from mosquitto_pub.
      let expected = 2;
      for (const gateway of running.gateways.filter((g) => g.site !== 'lab')) {
        const dir = join(dataDir, gateway.gatewayId);
        const summaryFile = readdirSync(dir).find((f) => /^fleet-run1-replay\.json$/.test(f)) as string;
        const summary = JSON.parse(readFileSync(join(dir, summaryFile), 'utf8')) as {
          readings: { delivered: number };
          devices: { connected: number };
        };
        expect(summary.devices.connected).toBe(8);
        const metrics = await (await fetch(`http://127.0.0.1:${gateway.opsPort}/metrics`)).text();
        const late = sumOfLines(metrics, 'fogline_gateway_late_readings_total');
        // A replay at x1440 on a loaded CI machine can leave a device 15 simulated minutes behind
        // (0.6 s): a few late readings, counted; many would mean the config is wrong.
        expect(late).toBeLessThan(summary.readings.delivered / 20);
        expected += summary.readings.delivered - late;
      }
      // The last windows close once idle (30 s).
      await expect
        .poll(async () => (await api<{ readings: { total: number } }>('overview')).readings.total, { timeout: 90_000, interval: 1000 })
        .toBe(expected);
      const overview = await api<{ gateways: { online: number; total: number }; devices: { registered: number } }>('overview');
      expect(overview.gateways).toEqual({ online: 3, total: 3 });
      expect(overview.devices.registered).toBe(17); // 2 x 8 ATMs and my-sensor
      const { groups } = await api<{ groups: Record<string, { count: number; sum: number }> }>('fleet?metric=temperature&groupBy=device');
      expect(groups['my-sensor']).toMatchObject({ count: 2, sum: 66.5 });
      const { alerts } = await api<{ alerts: { deviceId: string; rule: string; value: number }[] }>('alerts?limit=1000');
      expect(alerts.find((a) => a.deviceId === 'my-sensor')).toMatchObject({ rule: 'sensor-hot', value: 45 });

      // Ctrl-C: everything stops, in order, and exits 0.
      stack.child.kill('SIGINT');
      expect(await stack.exited).toBe(0);
      expect(stack.output()).toContain('fogline: stopped');
      expect(existsSync(join(dataDir, 'running.json'))).toBe(false);

      // A user's edit to the lab gateway's config (a rule of their own) survives the next start.
      const labConfig = join(dataDir, 'gw-lab', 'gateway.json');
      const edited = JSON.parse(readFileSync(labConfig, 'utf8')) as { rules: object[]; log: object };
      const myRule = { name: 'my-rule', kind: 'threshold', metric: 'humidity', above: 90, severity: 'info' };
      writeFileSync(labConfig, JSON.stringify({ ...edited, rules: [...edited.rules, myRule], log: { level: 'debug' } }));

      // Again: it resumes from the stored state, counting nothing twice.
      const again = startStack(dataDir);
      try {
        await again.said('fogline is running.');
        expect(again.output()).toContain(`fogline: resuming the stack in ${dataDir} (run 2)`);
        const kept = JSON.parse(readFileSync(labConfig, 'utf8')) as { rules: object[]; log: object; mqtt: { port: number } };
        expect(kept.rules).toContainEqual(myRule);
        expect(kept.log).toEqual({ level: 'debug' });
        const rerun = JSON.parse(readFileSync(join(dataDir, 'running.json'), 'utf8')) as RunningStack;
        const total = (await (await fetch(`http://127.0.0.1:${rerun.httpPort}/api/v1/overview`)).json()) as { readings: { total: number } };
        expect(total.readings.total).toBe(expected);
        again.child.kill('SIGINT');
        expect(await again.exited).toBe(0);
      } finally {
        again.child.kill('SIGKILL');
      }
    } finally {
      stack.child.kill('SIGKILL');
      killParts(dataDir);
    }
  }, 300_000);

  it('names a port in use and the flag that changes it, and starts nothing', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
    const port = (blocker.address() as { port: number }).port;
    try {
      const stack = startStack(tempDir('stack-busy'), ['--http-port', String(port)]);
      expect(await stack.exited).toBe(1);
      expect(stack.output()).toContain(
        `port ${port} on 127.0.0.1 (the dashboard and API) is in use; choose another with --http-port <port>, or 0 for any free port`,
      );
      expect(stack.output()).not.toContain('fogline is running');
    } finally {
      blocker.close();
    }
  });
});
