import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { defaultGatewayCli } from '../provision/provision-devices.js';
import type { CloudWorkerSpec } from './cloud-workers.js';
import { type StackOptions, stackDefaults } from './stack-options.js';
import type { StackState } from './stack-state.js';

const run = promisify(execFile);

export const simCli = fileURLToPath(new URL('../cli.js', import.meta.url));
export const gatewayCli = (): string => defaultGatewayCli();
export function cloudCli(): string {
  try {
    return join(dirname(fileURLToPath(import.meta.resolve('@fogline/cloud'))), 'cli.js');
  } catch {
    throw new Error('fogline-cloud was not found (is @fogline/cloud installed and built? run npm run build)');
  }
}

export const newClusterId = () => randomBytes(3).toString('hex');

export const gatewayIdOf = (site: string) => `gw-${site}`;
/** Every gateway's site: one per simulated fleet, then the lab for real devices. */
export const gatewaySites = (options: StackOptions) => [...options.sites, stackDefaults.labSite];
export const demoDeviceId = 'my-sensor';

/** Where each part keeps its files under the stack's folder. */
export const layout = (dataDir: string) => ({
  cloudDir: join(dataDir, 'cloud'),
  cloudConfig: join(dataDir, 'cloud', 'cloud.json'),
  gatewayDir: (site: string) => join(dataDir, gatewayIdOf(site)),
  gatewayConfig: (site: string) => join(dataDir, gatewayIdOf(site), 'gateway.json'),
  deviceSecrets: (site: string) => join(dataDir, gatewayIdOf(site), 'sim-devices.jsonl'),
  logs: join(dataDir, 'logs'),
});

/**
 * The cloud's config. Maintenance trains every 10 minutes and scores every 2 (the defaults,
 * hourly and 5-minutely, suit a fleet on real time; this one replays a month in half an hour).
 */
export function writeCloudConfig(options: StackOptions, clusterId = 'local'): CloudWorkerSpec[] {
  const paths = layout(options.dataDir);
  mkdirSync(paths.cloudDir, { recursive: true });
  const base = {
    dataDir: paths.cloudDir,
    broker: options.brokerUrl
      ? { mode: 'external', url: options.brokerUrl, sharedGroup: `fogline-${clusterId}` }
      : { host: options.host, port: options.cloudBrokerPort },
    store: options.storeUrl ? { kind: 'postgres', url: options.storeUrl } : { kind: 'level' },
    http: { host: options.host, port: options.httpPort },
    schedules: { maintenanceTrain: '0 */10 * * * *', maintenanceScore: '30 */2 * * * *' },
    log: { level: 'info' },
  };
  writeFileSync(paths.cloudConfig, `${JSON.stringify(base, null, 2)}\n`, { mode: 0o600 });
  if (options.cloudWorkers <= 1) return [{ nodeId: `cloud-${clusterId}`, configPath: paths.cloudConfig }];
  // Node ids carry the stack's id: on a broker others share, sessions and groups stay apart.
  return Array.from({ length: options.cloudWorkers }, (_, i) => {
    const nodeId = `w${i + 1}-${clusterId}`;
    const configPath = join(paths.cloudDir, `cloud-w${i + 1}.json`);
    const port = options.httpPort === 0 ? 0 : options.httpPort + i;
    const config = { ...base, node: { id: nodeId }, http: { ...base.http, port } };
    writeFileSync(configPath, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
    return { nodeId, configPath };
  });
}

/**
 * A gateway's config, rewritten on every run: the cloud's broker port may differ. Fifteen-minute
 * windows hold three of a device's five-minute readings (the model's features are hourly);
 * fifteen minutes of lateness covers a device of the replay falling behind the others (at
 * x1440 that is 0.6 s of wall time).
 */
export function writeGatewayConfig(options: StackOptions, site: string, cloudBrokerPort: number, secret: string, mqttPort: number): void {
  const uplink = options.brokerUrl
    ? { url: options.brokerUrl }
    : { url: `mqtt://127.0.0.1:${cloudBrokerPort}`, username: gatewayIdOf(site), password: secret };
  const gatewayId = gatewayIdOf(site);
  const config = {
    gatewayId,
    dataDir: layout(options.dataDir).gatewayDir(site),
    mqtt: { host: options.host, port: mqttPort },
    ops: { host: '127.0.0.1', port: 0 },
    windows: { sizeMs: 15 * 60_000, allowedLatenessMs: 15 * 60_000, idleCloseMs: 30_000 },
    rules: [
      { name: 'dispenser-vibration-high', kind: 'threshold', metric: 'dispenserVibration', above: 2.2, severity: 'critical' },
      { name: 'cabinet-hot', kind: 'threshold', metric: 'cabinetTemperature', above: 34, severity: 'warning' },
      { name: 'sensor-hot', kind: 'threshold', metric: 'temperature', above: 40, severity: 'warning' },
    ],
    uplink,
    log: { level: 'info' },
  };
  const path = layout(options.dataDir).gatewayConfig(site);
  writeFileSync(path, `${JSON.stringify(keepingEdits(config, path), null, 2)}\n`, { mode: 0o600 });
}

/**
 * The config a gateway had, with only what the stack owns written over: its id and folder,
 * where it listens, and where its uplink goes (the cloud's port may change between runs).
 * Everything else a user edited (rules, pipelines, windows, limits, log level) is kept.
 */
function keepingEdits(generated: Record<string, unknown> & { mqtt: object }, path: string): Record<string, unknown> {
  if (!existsSync(path)) return generated;
  let previous: Record<string, unknown>;
  try {
    previous = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new Error(`${path} is not valid JSON (${(error as Error).message}); fix it, or delete it to have the stack write it again`);
  }
  return {
    ...generated,
    ...previous,
    gatewayId: generated.gatewayId,
    dataDir: generated.dataDir,
    mqtt: { ...(previous.mqtt as object), ...generated.mqtt },
    uplink: { ...(previous.uplink as object), ...(generated.uplink as object) },
  };
}

/** The first run: gateway credentials on the cloud, the fleets' and the demo device's on the gateways. */
export async function setUpStack(options: StackOptions, say: (line: string) => void): Promise<StackState> {
  const paths = layout(options.dataDir);
  mkdirSync(paths.logs, { recursive: true });
  writeCloudConfig(options);
  const gatewaySecrets: Record<string, string> = {};
  for (const site of gatewaySites(options)) {
    const gatewayId = gatewayIdOf(site);
    const { stdout } = await run(process.execPath, [cloudCli(), 'gateways', 'add', gatewayId, '-c', paths.cloudConfig]);
    gatewaySecrets[gatewayId] = (JSON.parse(stdout) as { secret: string }).secret;
    mkdirSync(paths.gatewayDir(site), { recursive: true });
    // Written with port 0 for now: only the device commands below read it.
    writeGatewayConfig(options, site, 0, gatewaySecrets[gatewayId], 0);
  }
  for (const site of options.sites) {
    await run(process.execPath, [
      simCli,
      'provision',
      '--fleet',
      `atm=${options.atmsPerSite}`,
      '--site',
      site,
      '--id-prefix',
      `${site}-`,
      '--gateway-config',
      paths.gatewayConfig(site),
      '--out',
      paths.deviceSecrets(site),
    ]);
    say(`  ${gatewayIdOf(site)}: ${options.atmsPerSite} simulated ATMs provisioned`);
  }
  const lab = stackDefaults.labSite;
  const { stdout } = await run(process.execPath, [
    gatewayCli(),
    'devices',
    'add',
    demoDeviceId,
    '--label',
    `site=${lab}`,
    '-c',
    paths.gatewayConfig(lab),
  ]);
  const demo = JSON.parse(stdout) as { deviceId: string; secret: string };
  return {
    version: 1,
    createdAtMs: Date.now(),
    clusterId: newClusterId(),
    gatewaySecrets,
    demoDevice: { deviceId: demo.deviceId, secret: demo.secret, gatewayId: gatewayIdOf(lab) },
    simulatedUntilMs: null,
    runs: 0,
  };
}
