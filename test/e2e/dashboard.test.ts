import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { findChromium } from '../tools/system-requirements.mjs';
import { cloudAndGatewayConfig, cloudCli, gatewayCli, killedAfterEachTest, runCli, simCli, tempDir } from './processes.js';

/** Where .ci/run keeps what tests leave for a person to look at. */
const outputDir = fileURLToPath(new URL('../../test-output/', import.meta.url));
const { start } = killedAfterEachTest();

/** Chromium where Debian, Ubuntu or snap put it, or CHROMIUM_PATH (npm test installs or names it first). */
function chromiumPath(): string {
  const path = findChromium();
  if (!path) throw new Error('no Chromium found: install it (Debian: apt-get install chromium) or set CHROMIUM_PATH');
  return path;
}

/** Chromium headless; the flags keep it off a closed network. */
function launchChromium(userDataDir: string) {
  return chromium.launchPersistentContext(userDataDir, {
    executablePath: chromiumPath(),
    headless: true,
    viewport: { width: 1400, height: 1200 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

describe('the dashboard, in headless Chromium, against a running stack', () => {
  it('shows the overview the API gives, charts with data, alerts (live too) and the risk ranking with drill-down', async () => {
    // The stack: a cloud, a gateway with an alert rule, 100 ATMs over 12 simulated days. With 60,
    // the model was judged on a dozen held-out ATMs and five failures, and its ROC AUC swung
    // from 0.80 to 0.98 with how the hours fell; 100 give it about 20 and nine.
    const { cloud, gatewayDir, gatewayConfig } = await cloudAndGatewayConfig(start, 'gw-dash', {
      cloudHttp: { liveIntervalMs: 500 },
      gateway: () => ({
        limits: { futureSkewMsMax: 0 },
        // Hour windows hold four 15-minute readings: a quarter of the records for the cloud to
        // merge (its intake is the slow part on a loaded machine). At x100,000 a device's
        // in-flight queue puts it simulated hours behind the others: two days of lateness.
        windows: { sizeMs: 3_600_000, allowedLatenessMs: 2 * 86_400_000, idleCloseMs: 2_000 },
        rules: [{ name: 'dispenser-vibration-high', kind: 'threshold', metric: 'dispenserVibration', above: 2.2, severity: 'critical' }],
        // Status records (with the bandwidth figures) every 2 s, not 30: the test is shorter than that.
        schedules: { status: '*/2 * * * * *' },
      }),
    });
    const credentials = join(gatewayDir, 'devices.jsonl');
    const atms = 100;
    const fleet = ['--fleet', `atm=${atms}`, '--site', 'porto'];
    await promisify(execFile)(process.execPath, [simCli, 'provision', ...fleet, '--gateway-config', gatewayConfig, '--out', credentials]);
    const gateway = await start(gatewayCli, ['-c', gatewayConfig], 'gateway ready');
    await promisify(execFile)(process.execPath, [
      simCli,
      ...fleet,
      '--gateway',
      `mqtt://127.0.0.1:${gateway.ports.mqtt}`,
      '--credentials',
      credentials,
      '--seed',
      '11',
      '--start',
      '-12d',
      '--duration',
      '12d',
      '--interval',
      '15m',
      '--speed',
      '100000',
      '--quiet',
      '--summary',
      join(gatewayDir, 'summary.json'),
      '--truth',
      join(gatewayDir, 'truth.jsonl'),
    ]);
    const summary = JSON.parse(readFileSync(join(gatewayDir, 'summary.json'), 'utf8')) as { readings: { delivered: number } };
    const api = async <T>(path: string, init?: RequestInit): Promise<T> =>
      (await fetch(`http://127.0.0.1:${cloud.ports.http}/api/v1/${path}`, init)).json() as Promise<T>;
    // The last windows close when idle: then the cloud holds every reading the simulator delivered
    // but those the gateway counted too late for their window (the stated policy). The gateway's
    // job may still be working through its log when the simulator exits (on a loaded machine it
    // is), so the late count is read again with each look at the cloud.
    const lateReadings = async () => {
      const gatewayMetrics = await (await fetch(`http://127.0.0.1:${gateway.ports.ops}/metrics`)).text();
      return Number(/^fogline_gateway_late_readings_total (\d+)$/m.exec(gatewayMetrics)?.[1]);
    };
    await expect
      .poll(
        async () => {
          const late = await lateReadings();
          return (await api<{ readings: { total: number } }>('overview')).readings.total + late;
        },
        { timeout: 150_000, interval: 1000 },
      )
      .toBe(summary.readings.delivered);
    expect(await lateReadings()).toBeLessThan(summary.readings.delivered / 20); // a few, on a loaded machine
    const trained = await api<{ trained: { kind: string; learner: string; selection: { learner: string }[] }[] }>('maintenance/train', {
      method: 'POST',
    });
    expect(trained.trained.map((m) => m.kind)).toEqual(['ATM-9000']);
    // Both learners tried on the calibration devices, one kept.
    expect(trained.trained[0].selection.map((c) => c.learner)).toEqual(['logistic', 'gbt']);
    expect(['logistic', 'gbt']).toContain(trained.trained[0].learner);
    // The yardstick: the model scored on its held-out ATMs against the simulator's ground truth.
    const evaluateArgs = [
      'maintenance',
      'evaluate',
      '--truth',
      join(gatewayDir, 'truth.jsonl'),
      '--url',
      `http://127.0.0.1:${cloud.ports.http}`,
    ];
    const evaluation = JSON.parse(await runCli(cloudCli, [...evaluateArgs, '--json'])) as {
      models: {
        kind: string;
        heldOut: { devices: number; failures: number; rocAuc: number; prAuc: number };
        oracle?: { rocAuc: number };
      }[];
    };
    // The simulator's truth records the hidden wear: the oracle reading it is the ceiling.
    expect(evaluation.models[0].oracle?.rocAuc).toBeGreaterThan(0.9);
    expect(evaluation.models).toMatchObject([{ kind: 'ATM-9000', heldOut: { failures: expect.any(Number) } }]);
    expect(evaluation.models[0].heldOut.devices).toBeGreaterThan(5);
    expect(evaluation.models[0].heldOut.failures).toBeGreaterThan(0);
    expect(evaluation.models[0].heldOut.rocAuc).toBeGreaterThan(0.8);
    expect(evaluation.models[0].heldOut.prAuc).toBeGreaterThan(0);
    // Without --json, the same as a table a person reads.
    const table = await runCli(cloudCli, evaluateArgs);
    expect(table).toMatch(/^ATM-9000: trained .* held-out devices/);
    expect(table).toMatch(/ROC AUC 0\.\d{3} {3}PR AUC 0\.\d{3}/);
    expect(table).toMatch(/false alarms per device-month/);
    expect(table).toMatch(/the ceiling, an oracle reading the hidden wear: ROC AUC 0\.\d{3}/);
    expect(table).toMatch(/mode +failures +detected +median lead \(h\)\n {2}(dispenser|card-reader|cooling) /);
    const ranking = await api<{ devices: { deviceId: string }[] }>('maintenance/risk?limit=15');
    expect(ranking.devices.length).toBe(15);
    const alerts = await api<{ alerts: { deviceId: string; ts: number }[] }>('alerts?limit=20');
    expect(alerts.alerts.length).toBeGreaterThan(0);

    const browser = await launchChromium(tempDir('chromium'));
    try {
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on('pageerror', (error) => problems.push(error.message));
      page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
      await page.goto(`http://127.0.0.1:${cloud.ports.http}/`);
      await page.waitForSelector('body[data-ready="true"]', { timeout: 20_000 });

      // The overview: each card's exact figure equals what the API says, and what its parts say.
      const overview = await api<{
        gateways: { total: number; online: number };
        devices: { registered: number };
        readings: { total: number };
        risk: { devicesAlerting: number };
      }>('overview');
      const card = async (name: string) => Number(await page.getAttribute(`[data-testid="overview-${name}"]`, 'data-value'));
      const { gateways } = await api<{ gateways: { readings: number; duplicates: number }[] }>('gateways');
      // Connected all along, the gateway never sent an envelope twice (the cloud would skip it).
      expect(gateways[0].duplicates).toBe(0);
      const { total: registered } = await api<{ total: number }>('devices');
      expect(await card('gateways-online')).toBe(overview.gateways.online);
      expect(overview.gateways).toEqual({ total: 1, online: 1 });
      expect(await card('devices')).toBe(registered);
      expect(registered).toBe(atms);
      expect(await card('readings-total')).toBe(gateways.reduce((sum, g) => sum + g.readings, 0));
      expect(await card('devices-at-risk')).toBe(overview.risk.devicesAlerting);

      // The risk ranking, in the API's order; the page opened on the device most at risk.
      const rows = await page.$$eval('[data-testid="risk-table"] tbody tr', (trs) => trs.map((tr) => (tr as HTMLElement).dataset.device));
      expect(rows).toEqual(ranking.devices.map((d) => d.deviceId));
      await expect.poll(() => page.getAttribute('[data-testid="risk-detail"]', 'data-device')).toBe(ranking.devices[0].deviceId);

      // A chart with drawn points: the page's count, and pixels on the canvas.
      const chart = '[data-testid="series-chart"]';
      await expect.poll(async () => Number(await page.getAttribute(chart, 'data-points'))).toBeGreaterThan(10);
      const inked = await page.$eval(`${chart} canvas`, (canvas) => {
        const c = canvas as HTMLCanvasElement;
        const pixels = c.getContext('2d')?.getImageData(0, 0, c.width, c.height).data ?? new Uint8ClampedArray();
        let n = 0;
        for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) n++;
        return n;
      });
      expect(inked).toBeGreaterThan(500);
      expect(Number(await page.getAttribute('[data-testid="distribution-chart"]', 'data-groups'))).toBe(1);
      // The ranges say what they show: 24 hours from hourly rollups; 30 days neither from windows
      // (kept 7 days) nor silently shorter.
      expect(await page.textContent('[data-testid="distribution-note"]')).toBe('24 hours from hourly rollups');
      await page.selectOption('#distribution-range', { label: '30 days' });
      await expect.poll(() => page.getAttribute('[data-testid="distribution-chart"]', 'data-resolution')).toBe('hour');
      await expect.poll(() => page.textContent('[data-testid="distribution-note"]')).toBe('30 days from hourly rollups');
      await page.selectOption('#distribution-range', { label: '1 year' });
      await expect.poll(() => page.getAttribute('[data-testid="distribution-chart"]', 'data-resolution')).toBe('day');
      await expect.poll(() => page.textContent('[data-testid="series-note"]')).toMatch(/from (windows|hourly rollups)$/);

      // Drill-down: a click on another device shows its risk and points the chart at it.
      const other = ranking.devices[3].deviceId;
      await page.click(`[data-testid="risk-table"] tr[data-device="${other}"]`);
      await expect.poll(() => page.getAttribute('[data-testid="risk-detail"]', 'data-device')).toBe(other);
      await expect.poll(() => page.getAttribute(chart, 'data-series')).toMatch(new RegExp(`^${other}/(?!event\\.)`));
      await expect.poll(async () => Number(await page.getAttribute(chart, 'data-points'))).toBeGreaterThan(10);
      // The maintenance action: a service command to that device, through its gateway (the
      // fleet has stopped, so the gateway holds it until the ATM connects again).
      await page.click('[data-testid="send-service"]');
      await expect.poll(() => page.textContent('[data-testid="service-status"]')).toMatch(/service (queued|sent)/);
      const sentCommands = await api<{ commands: { name: string; status: string }[] }>(`devices/${other}/commands`);
      expect(sentCommands.commands.map((c) => c.name)).toEqual(['service']);
      // The bandwidth card: the gateways' status records, as the API sums them.
      expect(await card('bandwidth-saved')).toBeCloseTo(
        (await api<{ bandwidth: { savedRatio: number } }>('overview')).bandwidth.savedRatio,
        6,
      );

      // Alerts: the API's newest is on the page, and a new one arrives live (server-sent events).
      const alertRows = () => page.$$eval('[data-testid="alerts-table"] tbody tr', (trs) => trs.map((tr) => tr.textContent ?? ''));
      expect((await alertRows()).length).toBe(Math.min(20, alerts.alerts.length));
      expect((await alertRows())[0]).toContain(alerts.alerts[0].deviceId);
      const [{ deviceId, secret: deviceSecret }] = readFileSync(credentials, 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { deviceId: string; secret: string });
      const device = await mqtt.connectAsync(`mqtt://127.0.0.1:${gateway.ports.mqtt}`, { username: deviceId, password: deviceSecret });
      // A threshold rule alerts on entering violation: a normal reading first, whatever state the
      // replay left this device in, then one far above the threshold.
      const nowMs = Date.now();
      await device.publishAsync(`telemetry/${deviceId}`, JSON.stringify({ ts: nowMs - 1_000, dispenserVibration: 0.5 }), { qos: 1 });
      await device.publishAsync(`telemetry/${deviceId}`, JSON.stringify({ ts: nowMs, dispenserVibration: 9.99 }), { qos: 1 });
      await device.endAsync();
      await expect.poll(async () => (await alertRows())[0], { timeout: 20_000 }).toContain('9.99');
      expect(await page.getAttribute('#live-status', 'data-state')).toBe('open');

      // The acknowledge/resolve cycle: a click on the oldest row's buttons, and the API agrees.
      const row = '[data-testid="alerts-table"] tbody tr:last-child';
      const alertId = (await page.getAttribute(row, 'data-alert')) as string;
      await page.click(`${row} button[data-action="ack"]`);
      await expect.poll(() => page.getAttribute(`[data-alert="${alertId}"]`, 'data-status')).toBe('acknowledged');
      await page.click(`[data-alert="${alertId}"] button[data-action="resolve"]`);
      await expect.poll(() => page.getAttribute(`[data-alert="${alertId}"]`, 'data-status')).toBe('resolved');
      const resolved = await api<{ alerts: { id: string; state: { status: string; by: string } }[] }>('alerts?status=resolved');
      expect(resolved.alerts.map((a) => [a.id, a.state.status, a.state.by])).toEqual([[alertId, 'resolved', 'dashboard']]);

      mkdirSync(outputDir, { recursive: true });
      await page.screenshot({ path: join(outputDir, 'dashboard.png'), fullPage: true });
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 360_000);
});
