import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { CloudWorkers } from './cloud-workers.js';
import { requireFreePorts } from './port-check.js';
import { writePrometheusTargets } from './prometheus-targets.js';
import { type ServiceProcess, startService, stopService } from './service-process.js';
import { stackApiToken } from './stack-api-token.js';
import type { StackOptions } from './stack-options.js';
import {
  gatewayCli,
  gatewayIdOf,
  gatewaySites,
  layout,
  newClusterId,
  setUpStack,
  simCli,
  writeCloudConfig,
  writeGatewayConfig,
} from './stack-setup.js';
import { readStackState, type StackState, writeStackState } from './stack-state.js';

/** A fleet process: one per site, against that site's gateway. */
interface FleetProcess {
  readonly site: string;
  readonly child: ChildProcess;
  readonly summaryPath: string;
  readonly exited: Promise<number | null>;
}

/** What a test or a script needs to reach the running stack (running.json, removed at stop). */
export interface RunningStackFile {
  readonly pid: number;
  readonly httpPort: number;
  readonly cloudBrokerPort: number;
  /** The cloud's nodes: one, or the workers of a cluster (each with its own API port). */
  readonly cloudWorkers: { readonly nodeId: string; readonly pid: number; readonly httpPort: number }[];
  readonly gateways: { readonly site: string; readonly gatewayId: string; readonly mqttPort: number; readonly opsPort: number }[];
  readonly demoDevice: { readonly deviceId: string; readonly secret: string; readonly gatewayId: string };
  /** The parts' process ids: they run in process groups of their own, so a SIGKILL of the stack leaves them. */
  readonly processes: { readonly name: string; readonly pid: number }[];
}

const statusEveryMs = 10_000;

/** A path as a person would type it here: relative inside the working directory, absolute outside. */
const shown = (path: string) => {
  const inside = relative(process.cwd(), path);
  return inside === '' ? '.' : inside.startsWith('..') ? path : inside;
};

/**
 * The whole stack on the embedded defaults, as `npm start` runs it: a cloud, a gateway per site
 * and a simulated fleet per gateway, all in one data folder. The fleet first replays history up
 * to now at `speed`, then (with `live`) keeps publishing in real time. A stop (SIGINT, SIGTERM)
 * goes in order: the fleet (which reports how far it got), the gateways (which forward what they
 * hold), the cloud. The next run carries on from the stored state.
 */
export class Stack {
  private cloudWorkers?: CloudWorkers;
  private readonly gateways: ServiceProcess[] = [];
  private fleets: FleetProcess[] = [];
  private state!: StackState;
  private stopping = false;
  private statusTimer?: NodeJS.Timeout;
  private apiToken?: string;
  private readonly finished: Promise<number>;
  private finish!: (code: number) => void;

  constructor(
    readonly options: StackOptions,
    private readonly say: (line: string) => void = (line) => console.log(line),
  ) {
    this.finished = new Promise((resolve) => {
      this.finish = resolve;
    });
  }

  /** Runs until stop(); resolves with the exit code. */
  async run(): Promise<number> {
    try {
      this.apiToken = stackApiToken(this.options.host);
      await this.checkPorts();
      await this.loadOrSetUp();
      await this.startCloud();
      await this.startGateways();
      this.printBanner();
      this.startStatus();
      void this.runFleet();
    } catch (error) {
      this.say(`fogline stack: ${(error as Error).message}`);
      await this.stopAll();
      return 1;
    }
    return this.finished;
  }

  private async checkPorts(): Promise<void> {
    const { host, httpPort, cloudBrokerPort, gatewayPorts, sites, labPort, brokerUrl, cloudWorkers } = this.options;
    const httpPorts = httpPort === 0 ? [0] : Array.from({ length: cloudWorkers }, (_, i) => httpPort + i);
    await requireFreePorts([
      ...httpPorts.map((port) => ({ port, host, what: 'the dashboard and API', flag: '--http-port' })),
      ...(brokerUrl ? [] : [{ port: cloudBrokerPort, host, what: "the cloud's broker for gateways", flag: '--cloud-port' }]),
      ...sites.map((site, i) => ({ port: gatewayPorts[i], host, what: `gateway ${gatewayIdOf(site)}'s MQTT`, flag: '--gateway-ports' })),
      { port: labPort, host, what: 'the lab gateway for your devices', flag: '--lab-port' },
    ]);
  }

  private async loadOrSetUp(): Promise<void> {
    const existing = readStackState(this.options.dataDir);
    if (existing) {
      this.state = existing;
      this.say(`fogline: resuming the stack in ${this.options.dataDir} (run ${existing.runs + 1})`);
    } else {
      this.say(`fogline: setting up a new stack in ${this.options.dataDir}`);
      this.state = await setUpStack(this.options, this.say);
    }
    this.state.runs++;
    this.state.clusterId ??= newClusterId();
    writeStackState(this.options.dataDir, this.state);
  }

  private async startCloud(): Promise<void> {
    const specs = writeCloudConfig(this.options, this.state.clusterId);
    this.cloudWorkers = new CloudWorkers(
      specs,
      layout(this.options.dataDir).logs,
      this.say,
      (name, code) => this.partExited(name, code),
      () => this.writeRunning(),
    );
    await this.cloudWorkers.start();
  }

  private get cloud(): ServiceProcess | undefined {
    return this.cloudWorkers?.primary;
  }

  private async startGateways(): Promise<void> {
    const paths = layout(this.options.dataDir);
    const mqttPorts = [...this.options.gatewayPorts, this.options.labPort];
    for (const [i, site] of gatewaySites(this.options).entries()) {
      const gatewayId = gatewayIdOf(site);
      writeGatewayConfig(this.options, site, this.cloud?.ports.broker ?? 0, this.state.gatewaySecrets[gatewayId], mqttPorts[i]);
      const gateway = await startService(
        gatewayId,
        gatewayCli(),
        ['start', '-c', paths.gatewayConfig(site)],
        'gateway ready',
        join(paths.logs, `${gatewayId}.log`),
      );
      this.gateways.push(gateway);
      this.watch(gateway);
    }
    this.writeRunning();
  }

  private writeRunning(): void {
    const workers = this.cloudWorkers?.all ?? [];
    const running: RunningStackFile = {
      pid: process.pid,
      httpPort: this.cloud?.ports.http ?? 0,
      cloudBrokerPort: this.cloud?.ports.broker ?? 0,
      cloudWorkers: workers.map(({ nodeId, service }) => ({ nodeId, pid: service.child.pid ?? 0, httpPort: service.ports.http })),
      gateways: gatewaySites(this.options).map((site, i) => ({
        site,
        gatewayId: gatewayIdOf(site),
        mqttPort: this.gateways[i].ports.mqtt,
        opsPort: this.gateways[i].ports.ops,
      })),
      demoDevice: this.state.demoDevice,
      processes: [...workers.map((w) => w.service), ...this.gateways].flatMap((p) =>
        p.child.pid ? [{ name: p.name, pid: p.child.pid }] : [],
      ),
    };
    writeFileSync(join(this.options.dataDir, 'running.json'), `${JSON.stringify(running, null, 2)}\n`, { mode: 0o600 });
    writePrometheusTargets(this.options.dataDir, running);
  }

  /** A part that exits while the stack runs takes the stack down, with the reason from its log (cluster workers are restarted first). */
  private watch(service: ServiceProcess): void {
    void service.exited.then((code) => this.partExited(service.name, code));
  }

  private partExited(name: string, code: number | null): void {
    if (this.stopping) return;
    this.say(`fogline: ${name} exited (code ${code}); see ${join(layout(this.options.dataDir).logs, `${name}.log`)}`);
    void this.stop(1);
  }

  private printBanner(): void {
    const host = this.options.host === '0.0.0.0' ? '127.0.0.1' : this.options.host;
    const http = `http://${host}:${this.cloud?.ports.http}`;
    const lab = this.gateways[this.gateways.length - 1];
    const demo = this.state.demoDevice;
    const dir = shown(this.options.dataDir);
    const lines = [
      '',
      `fogline is running. Data in ${dir}/, logs in ${dir}/logs/.`,
      `  dashboard      ${http}/`,
      `  API            ${http}/api/v1/overview`,
      this.options.brokerUrl
        ? `  broker         ${this.options.brokerUrl} (external: gateways publish there, the cloud subscribes)`
        : `  cloud broker   mqtt://${host}:${this.cloud?.ports.broker} (for gateways)`,
      ...(this.cloudWorkers?.clustered
        ? [
            `  cloud workers  ${this.cloudWorkers.all.map(({ nodeId, service }) => `${nodeId} (API :${service.ports.http})`).join(', ')}`,
            `  store          ${this.options.storeUrl ? this.options.storeUrl.replace(/\/\/[^@/]*@/, '//***@') : 'level'}`,
          ]
        : []),
      ...this.gateways.map(
        (g, i) =>
          `  ${i === 0 ? 'gateways' : '        '}       ${g.name}: mqtt://${host}:${g.ports.mqtt}, metrics http://127.0.0.1:${g.ports.ops}/metrics${g === lab ? ' (for your devices)' : ''}`,
      ),
      `  fleet          ${this.options.atmsPerSite * this.options.sites.length} simulated ATMs (${this.options.sites.join(', ')})`,
      '',
      'Point a real device at the lab gateway (Debian: apt-get install mosquitto-clients):',
      `  mosquitto_pub -h ${host} -p ${lab.ports.mqtt} -u ${demo.deviceId} -P '${demo.secret}' -t telemetry/${demo.deviceId} -m '{"temperature": 21.5}'`,
      `More devices: node edge/dist/cli.js devices add <id> --label site=lab -c ${shown(layout(this.options.dataDir).gatewayConfig('lab'))}`,
      'Ctrl-C stops everything; run it again to carry on from here.',
      '',
    ];
    for (const line of lines) this.say(line);
  }

  /** History first (from where the last run stopped, at most historyMs back), then live. */
  private async runFleet(): Promise<void> {
    const { historyMs, intervalMs, speed, live } = this.options;
    const nowMs = Math.floor(Date.now() / 60_000) * 60_000;
    const fromMs = Math.max(this.state.simulatedUntilMs ?? 0, nowMs - historyMs);
    if (nowMs - fromMs >= intervalMs) {
      const hours = (nowMs - fromMs) / 3_600_000;
      this.say(
        `fogline: replaying ${hours >= 48 ? `${Math.round(hours / 24)} days` : `${hours.toFixed(1)} hours`} of fleet history at x${speed} (about ${Math.ceil((nowMs - fromMs) / speed / 60_000)} min)`,
      );
      const code = await this.runFleets(
        ['--start', String(fromMs), '--duration', String(nowMs - fromMs), '--speed', String(speed)],
        'replay',
      );
      if (this.stopping) return;
      if (code !== 0) return void this.stop(1);
      this.say('fogline: history replayed');
    }
    if (!live) {
      this.say('fogline: the fleet is idle (--no-live); Ctrl-C stops the stack');
      return;
    }
    this.say('fogline: the fleet now publishes in real time');
    const code = await this.runFleets(['--start', 'now', '--speed', '1'], 'live');
    if (!this.stopping && code !== 0) void this.stop(1);
  }

  /** Runs one fleet per site to its end (or until stopped); records how far the simulation got. */
  private async runFleets(timeArgs: string[], phase: string): Promise<number> {
    const paths = layout(this.options.dataDir);
    this.fleets = this.options.sites.map((site, i) => {
      const dir = paths.gatewayDir(site);
      const summaryPath = join(dir, `fleet-run${this.state.runs}-${phase}.json`);
      const args = [
        simCli,
        '--fleet',
        `atm=${this.options.atmsPerSite}`,
        '--site',
        site,
        '--id-prefix',
        `${site}-`,
        '--gateway',
        `mqtt://127.0.0.1:${this.gateways[i].ports.mqtt}`,
        '--credentials',
        paths.deviceSecrets(site),
        '--seed',
        String(this.options.seed * 1000 + this.state.runs * 10 + i),
        '--interval',
        String(this.options.intervalMs),
        ...timeArgs,
        '--summary',
        summaryPath,
        '--truth',
        join(dir, `truth-run${this.state.runs}-${phase}.jsonl`),
        '--quiet',
      ];
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      const log = createWriteStream(join(paths.logs, `fleet-${site}.log`), { flags: 'a' });
      child.stdout?.pipe(log);
      child.stderr?.pipe(log);
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      return { site, child, summaryPath, exited };
    });
    const codes = await Promise.all(this.fleets.map((f) => f.exited));
    this.recordProgress();
    return codes.every((code) => code === 0) ? 0 : 1;
  }

  /** The simulated time the fleets reached, from their summaries: where the next run starts. */
  private recordProgress(): void {
    const reached = this.fleets
      .filter((f) => existsSync(f.summaryPath))
      .map((f) => (JSON.parse(readFileSync(f.summaryPath, 'utf8')) as { simulated: { reachedMs: number } }).simulated.reachedMs);
    if (reached.length > 0) this.state.simulatedUntilMs = Math.round(Math.max(this.state.simulatedUntilMs ?? 0, ...reached));
    writeStackState(this.options.dataDir, this.state);
  }

  private startStatus(): void {
    if (this.options.quiet) return;
    this.statusTimer = setInterval(() => void this.printStatus(), statusEveryMs);
    this.statusTimer.unref();
  }

  private async printStatus(): Promise<void> {
    try {
      const response = await fetch(`http://127.0.0.1:${this.cloud?.ports.http}/api/v1/overview`, {
        headers: this.apiToken ? { authorization: `Bearer ${this.apiToken}` } : {},
      });
      const o = (await response.json()) as {
        gateways: { online: number; total: number };
        readings: { total: number; perSecond: number; latestWindowEndMs: number };
        risk: { devicesAlerting: number; devicesScored: number };
      };
      const upTo =
        o.readings.latestWindowEndMs > 0 ? new Date(o.readings.latestWindowEndMs).toISOString().slice(0, 16).replace('T', ' ') : '-';
      this.say(
        `fogline: data up to ${upTo} | readings merged ${o.readings.total.toLocaleString('en')} (${Math.round(o.readings.perSecond).toLocaleString('en')}/s) | gateways online ${o.gateways.online}/${o.gateways.total} | at risk ${o.risk.devicesAlerting}/${o.risk.devicesScored}`,
      );
    } catch {
      // the cloud is busy or stopping; the next tick tries again
    }
  }

  /** Stops the parts in order; resolves when all have exited. */
  async stop(code = 0): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.say('fogline: stopping (the fleet, then the gateways, then the cloud)...');
    await this.stopAll();
    this.say('fogline: stopped');
    this.finish(code);
  }

  private async stopAll(): Promise<void> {
    this.stopping = true;
    clearInterval(this.statusTimer);
    await Promise.all(
      this.fleets.map(async (fleet) => {
        if (fleet.child.exitCode !== null) return;
        fleet.child.kill('SIGINT'); // it drains what is in flight and writes its summary
        const timer = setTimeout(() => fleet.child.kill('SIGKILL'), 30_000);
        await fleet.exited;
        clearTimeout(timer);
      }),
    );
    if (this.fleets.length > 0) this.recordProgress();
    await Promise.all(this.gateways.map((g) => stopService(g)));
    await this.cloudWorkers?.stop();
    rmSync(join(this.options.dataDir, 'running.json'), { force: true });
  }
}
