import { resolve } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { durationFlag, numberFlag } from '../cli-flags.js';
import { Stack } from './stack.js';
import { stackDefaults } from './stack-options.js';

const portFlag = (flag: string) => numberFlag(flag, 0, 65535, { integer: true });

const listFlag = (flag: string, item: RegExp, expected: string) => (value: string) => {
  const items = value.split(',').map((s) => s.trim());
  const bad = items.find((s) => !item.test(s));
  if (bad !== undefined) throw new InvalidArgumentError(`${flag} was ${JSON.stringify(value)}: ${JSON.stringify(bad)} is not ${expected}`);
  return items;
};

interface StackFlags {
  dataDir: string;
  host: string;
  httpPort: number;
  cloudPort: number;
  gatewayPorts: number[];
  labPort: number;
  sites: string[];
  atms: number;
  history: number;
  speed: number;
  interval: number;
  seed: number;
  live: boolean;
  quiet?: boolean;
  cloudWorkers: number;
  store?: string;
  broker?: string;
}

/** The clustered form needs a shared store and an external broker; says which flag is missing. */
export function clusterProblem(flags: Pick<StackFlags, 'cloudWorkers' | 'store' | 'broker'>): string | undefined {
  if (flags.store !== undefined && !/^postgres(ql)?:\/\//.test(flags.store))
    return `--store was ${JSON.stringify(flags.store)}, expected a postgres:// URL (leave it out for the embedded store)`;
  if (flags.broker !== undefined && !/^(mqtts?|wss?):\/\//.test(flags.broker))
    return `--broker was ${JSON.stringify(flags.broker)}, expected an mqtt://, mqtts://, ws:// or wss:// URL`;
  if (flags.cloudWorkers > 1 && (!flags.store || !flags.broker))
    return `--cloud-workers ${flags.cloudWorkers} needs --store postgres://... and --broker mqtt://...: workers share one PostgreSQL and an external broker's shared subscription`;
  if (flags.store && !flags.broker)
    return '--store postgres://... needs --broker mqtt://...: the cloud on PostgreSQL takes the gateways from an external broker';
  return undefined;
}

/** `fogline-sim stack`: what `npm start` runs. */
export function addStackCommand(program: Command, fail: (error: unknown) => never): void {
  program
    .command('stack')
    .description('run the whole stack: a cloud, a gateway per site and a simulated fleet per gateway (what npm start runs)')
    .option('--data-dir <dir>', 'where the stack keeps everything; a second run carries on from it', stackDefaults.dataDir)
    .option('--host <address>', 'where every listener binds (0.0.0.0 lets devices on the network in)', stackDefaults.host)
    .option('--http-port <port>', 'the dashboard and API (0: any free port)', portFlag('--http-port'), stackDefaults.httpPort)
    .option('--cloud-port <port>', 'the cloud\u2019s broker, for the gateways', portFlag('--cloud-port'), stackDefaults.cloudBrokerPort)
    .option(
      '--gateway-ports <ports>',
      'the gateways\u2019 MQTT ports, one per site',
      (value: string) => value.split(',').map((port) => portFlag('--gateway-ports')(port.trim())),
      [...stackDefaults.gatewayPorts],
    )
    .option('--lab-port <port>', 'the lab gateway, for real devices (no simulated fleet)', portFlag('--lab-port'), stackDefaults.labPort)
    .option(
      '--sites <names>',
      'a gateway and a simulated fleet per site',
      listFlag('--sites', /^(?!lab$)[a-z0-9-]{1,32}$/, 'a site name (a-z, 0-9, -; not lab)'),
      [...stackDefaults.sites],
    )
    .option('--atms <count>', 'simulated ATMs per site', numberFlag('--atms', 1, 5000, { integer: true }), stackDefaults.atmsPerSite)
    .option('--history <duration>', 'history replayed on the first run, ending now', durationFlag('--history'), stackDefaults.historyMs)
    .option('--speed <x>', 'how fast the history is replayed', numberFlag('--speed', 1, 100_000), stackDefaults.speed)
    .option('--interval <duration>', 'a reading per ATM this often (simulated)', durationFlag('--interval'), stackDefaults.intervalMs)
    .option('--seed <n>', 'the fleet\u2019s seed', numberFlag('--seed', 0, 2 ** 31, { integer: true }), stackDefaults.seed)
    .option('--no-live', 'after the history, leave the fleet idle instead of publishing in real time')
    .option('--quiet', 'no status line every 10 s')
    .option(
      '--cloud-workers <n>',
      'the cloud as a cluster of this many workers (needs --store and --broker)',
      numberFlag('--cloud-workers', 1, 64, { integer: true }),
      1,
    )
    .option('--store <url>', 'a PostgreSQL the cloud keeps its data in (postgres://user:password@host/db); default: embedded')
    .option('--broker <url>', 'an external MQTT broker between gateways and cloud (mqtt://host:1883); default: the cloud\u2019s own')
    .action(async (flags: StackFlags) => {
      if (flags.gatewayPorts.length !== flags.sites.length)
        fail(new Error(`--gateway-ports has ${flags.gatewayPorts.length} ports for ${flags.sites.length} sites, expected one per site`));
      const problem = clusterProblem(flags);
      if (problem) fail(new Error(problem));
      const stack = new Stack({
        dataDir: resolve(flags.dataDir),
        host: flags.host,
        httpPort: flags.httpPort,
        cloudBrokerPort: flags.cloudPort,
        sites: flags.sites,
        gatewayPorts: flags.gatewayPorts,
        labPort: flags.labPort,
        atmsPerSite: flags.atms,
        historyMs: flags.history,
        speed: flags.speed,
        intervalMs: flags.interval,
        seed: flags.seed,
        live: flags.live,
        quiet: flags.quiet ?? false,
        cloudWorkers: flags.cloudWorkers,
        storeUrl: flags.store,
        brokerUrl: flags.broker,
      });
      const stop = () => void stack.stop(0);
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      process.exit(await stack.run());
    });
}
