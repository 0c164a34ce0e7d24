#!/usr/bin/env node
import { readFileSync, writeFileSync } from 'node:fs';
import { exitWithError } from '@fogline/shared';
import { Command, InvalidArgumentError, Option } from 'commander';
import { durationFlag, labelFlag, numberFlag, startFlag } from './cli-flags.js';
import { deliveryDefaults } from './device/delivery-options.js';
import { type FleetSpec, fleetIdentities, parseFleetGroups } from './fleet/fleet.js';
import { FleetRunner, type GatewayTarget } from './fleet/fleet-runner.js';
import { loadProfiles } from './profiles/load-profiles.js';
import { readDeviceSecrets, requireSecrets } from './provision/device-secrets.js';
import { provisionDevices } from './provision/provision-devices.js';
import { StatusLine } from './report/status-line.js';
import { addStackCommand } from './stack/stack-command.js';

/** The version in this package's package.json (dist/cli.js sits one folder below it). */
const packageVersion = (): string =>
  (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

interface FleetFlags {
  fleet: string;
  profiles?: string;
  idPrefix: string;
  site?: string;
  label?: Record<string, string>;
}

interface RunFlags extends FleetFlags {
  gateway?: string;
  dryRun?: boolean;
  seed: number;
  start?: number;
  speed: number;
  interval: number;
  jitter: number;
  skew: number;
  outOfOrder: number;
  late: number;
  lateBy: number;
  malformed: number;
  qos: '0' | '1';
  stormEvery?: number;
  stormFraction: number;
  duration?: number;
  count?: number;
  credentials?: string;
  ca?: string;
  inFlightMax: number;
  connectConcurrency: number;
  connectTimeout: number;
  keepalive: number;
  drainTimeout: number;
  record?: string;
  truth?: string;
  summary?: string;
  quiet?: boolean;
}

const ratio = (flag: string) => numberFlag(flag, 0, 1);
const fail: (error: unknown) => never = (error) => exitWithError('fogline-sim', error);

const withFleet = (command: Command) =>
  command
    .option('-f, --fleet <spec>', 'devices per profile, as profile=count,...', 'atm=100')
    .option('--profiles <file>', 'YAML or JSON file of extra profiles (see the README for the format)')
    .option('--id-prefix <prefix>', 'put before every device id, so several fleets can share a cloud', '')
    .option('--site <name>', 'the site label of every device')
    .option('--label <key=value>', 'another label for every device (repeatable)', labelFlag);

function fleetLabels(flags: FleetFlags): Record<string, string> {
  return { ...(flags.site ? { site: flags.site } : {}), ...(flags.label ?? {}) };
}

const program = new Command('fogline-sim')
  .version(packageVersion(), '-V, --version', 'print the version')
  .description('A simulated fleet of ATMs, motors and sensors that degrade and fail, with ground truth, against a fogline gateway.')
  .showHelpAfterError();

withFleet(program.command('run', { isDefault: true }).description('run a fleet against a gateway (or a dry run into files)'))
  .option('-g, --gateway <url>', 'the gateway, as mqtt://host:port, mqtts:// or ws://')
  .option('--dry-run', 'send nothing; generate as fast as possible (with --record, the readings go to the file)')
  .option(
    '-s, --seed <n>',
    'the same seed and options give the same readings, byte for byte',
    numberFlag('--seed', 0, 2 ** 32 - 1, { integer: true }),
    1,
  )
  .option(
    '--start <time>',
    'simulated time of the first reading: ISO time, epoch ms, now, or -30d for 30 days ago (default: now)',
    startFlag(),
  )
  .option('--speed <x>', 'simulated seconds per real second (1440: a day a minute)', numberFlag('--speed', 0.001, 1e9), 1)
  .option(
    '-i, --interval <duration>',
    'simulated time between two readings of a device',
    durationFlag('--interval'),
    deliveryDefaults.intervalMs,
  )
  .option('--jitter <ratio>', 'each interval varies by up to this fraction', ratio('--jitter'), deliveryDefaults.jitterRatio)
  .option('--skew <duration>', 'standard deviation of the devices\u2019 clock errors', durationFlag('--skew', { allowZero: true }), 0)
  .option('--out-of-order <ratio>', 'fraction of readings sent after the next one', ratio('--out-of-order'), 0)
  .option('--late <ratio>', 'fraction of readings held back by --late-by', ratio('--late'), 0)
  .option('--late-by <duration>', 'how long a late reading is held back (simulated)', durationFlag('--late-by'), deliveryDefaults.lateByMs)
  .option('--malformed <ratio>', 'fraction of telemetry publishes replaced by a malformed payload', ratio('--malformed'), 0)
  .addOption(new Option('-q, --qos <qos>', 'MQTT QoS of every publish').choices(['0', '1']).default('1'))
  .option('--storm-every <duration>', 'a reconnect storm this often (simulated time)', durationFlag('--storm-every'))
  .option('--storm-fraction <ratio>', 'fraction of devices that lose their connection in a storm', ratio('--storm-fraction'), 0.2)
  .option(
    '-d, --duration <duration>',
    'simulated time to run (wall time is duration / speed); default: until Ctrl-C',
    durationFlag('--duration'),
  )
  .option('-n, --count <n>', 'telemetry readings per device, at most', numberFlag('--count', 1, Number.MAX_SAFE_INTEGER, { integer: true }))
  .option('--credentials <file>', 'device secrets as the gateway issued them (JSON lines of {deviceId, secret})')
  .option('--ca <file>', 'CA certificate (PEM) of the gateway\u2019s TLS listener')
  .option(
    '--in-flight-max <n>',
    'publishes per device waiting for an acknowledgement, at most; beyond, readings are dropped and counted',
    numberFlag('--in-flight-max', 1, 1e6, { integer: true }),
    100,
  )
  .option(
    '--connect-concurrency <n>',
    'connections opened at once while the fleet comes up',
    numberFlag('--connect-concurrency', 1, 1e5, { integer: true }),
    500,
  )
  .option('--connect-timeout <duration>', 'how long one connection attempt may take', durationFlag('--connect-timeout'), 30_000)
  .option('--keepalive <seconds>', 'MQTT keepalive', numberFlag('--keepalive', 0, 65535, { integer: true }), 60)
  .option(
    '--drain-timeout <duration>',
    'after the last reading, how long to wait for acknowledgements',
    durationFlag('--drain-timeout', { allowZero: true }),
    10_000,
  )
  .option('--record <file>', 'write every publish, in order, as JSON lines {t, topic, payload}')
  .option('--truth <file>', 'write the ground truth (degradation onsets, failures, repairs) as JSON lines')
  .option('--summary <file>', 'write the full summary, with readings per device and metric, as JSON')
  .option('--quiet', 'no status line')
  .addHelpText(
    'after',
    `
Examples:
  fogline-sim --gateway mqtt://127.0.0.1:1883 --fleet atm=200,motor=50 --credentials devices.jsonl
  fogline-sim --gateway mqtt://127.0.0.1:1883 --fleet atm=500 --start -30d --speed 1440 --interval 1m --duration 30d --truth truth.jsonl
  fogline-sim --dry-run --fleet atm=10 --duration 7d --interval 1m --record readings.jsonl --truth truth.jsonl`,
  )
  .action(async (flags: RunFlags) => {
    try {
      const profiles = loadProfiles(flags.profiles);
      if (!flags.gateway && !flags.dryRun) throw new InvalidArgumentError('--gateway <url> is required (or --dry-run)');
      if (flags.dryRun && flags.duration === undefined && flags.count === undefined)
        throw new InvalidArgumentError('a dry run needs --duration or --count: it runs as fast as it can');
      const startMs = flags.start ?? startFlag()('now');
      const fleet: FleetSpec = {
        seed: flags.seed,
        startMs,
        endMs: flags.duration === undefined ? Number.POSITIVE_INFINITY : startMs + flags.duration,
        groups: parseFleetGroups(flags.fleet, profiles),
        idPrefix: flags.idPrefix,
        labels: fleetLabels(flags),
        delivery: {
          intervalMs: flags.interval,
          jitterRatio: flags.jitter,
          skewMsStddev: flags.skew,
          outOfOrderRatio: flags.outOfOrder,
          lateRatio: flags.late,
          lateByMs: flags.lateBy,
          malformedRatio: flags.malformed,
          readingsPerDeviceMax: flags.count,
        },
      };
      let gateway: GatewayTarget | undefined;
      if (flags.gateway && !flags.dryRun) {
        const secrets = flags.credentials ? readDeviceSecrets(flags.credentials) : undefined;
        if (secrets && flags.credentials)
          requireSecrets(
            secrets,
            fleetIdentities(fleet, profiles).map((identity) => identity.id),
            flags.credentials,
          );
        gateway = {
          url: flags.gateway,
          qos: flags.qos === '0' ? 0 : 1,
          secrets,
          ca: flags.ca ? readFileSync(flags.ca) : undefined,
          connectConcurrency: flags.connectConcurrency,
          connectTimeoutMs: flags.connectTimeout,
          keepaliveS: flags.keepalive,
          inFlightMax: flags.inFlightMax,
          drainTimeoutMs: flags.drainTimeout,
        };
      }
      const stop = new AbortController();
      process.once('SIGINT', () => {
        stop.abort();
        process.once('SIGINT', () => process.exit(130));
      });
      process.once('SIGTERM', () => stop.abort());
      const status = new StatusLine(flags.quiet ? 'off' : process.stderr.isTTY ? 'tty' : 'lines', 10_000);
      const summary = await new FleetRunner({
        fleet,
        profiles,
        speed: flags.speed,
        gateway,
        storms: flags.stormEvery ? { everyMs: flags.stormEvery, fraction: flags.stormFraction } : undefined,
        recordPath: flags.record,
        truthPath: flags.truth,
        status,
        signal: stop.signal,
      }).run();
      if (flags.summary) writeFileSync(flags.summary, `${JSON.stringify(summary, null, 2)}\n`);
      const { perDevice: _, ...compact } = summary;
      console.log(JSON.stringify(compact, null, 2));
      process.exit(0);
    } catch (error) {
      fail(error);
    }
  });

withFleet(program.command('provision').description('create the fleet\u2019s devices on a gateway through its CLI, and keep their secrets'))
  .requiredOption('-o, --out <file>', 'where the secrets go, as JSON lines (devices already in it are skipped)')
  .option('--gateway-config <file>', 'the gateway\u2019s config file (its credentials file is written)')
  .option('--gateway-data-dir <dir>', 'the gateway\u2019s data folder, if not in its config')
  .option('--gateway-cli <file>', 'the fogline-gateway script (default: the installed @fogline/edge)')
  .action(async (flags: FleetFlags & { out: string; gatewayConfig?: string; gatewayDataDir?: string; gatewayCli?: string }) => {
    try {
      const profiles = loadProfiles(flags.profiles);
      const devices = fleetIdentities(
        {
          seed: 0,
          startMs: 0,
          endMs: 0,
          groups: parseFleetGroups(flags.fleet, profiles),
          idPrefix: flags.idPrefix,
          labels: fleetLabels(flags),
          delivery: deliveryDefaults,
        },
        profiles,
      );
      const { added, kept } = await provisionDevices(devices, {
        outPath: flags.out,
        gatewayConfig: flags.gatewayConfig,
        gatewayDataDir: flags.gatewayDataDir,
        gatewayCli: flags.gatewayCli,
      });
      console.error(`${added} devices provisioned, ${kept} already in ${flags.out}.`);
    } catch (error) {
      fail(error);
    }
  });

program
  .command('profiles')
  .description('print the profiles (built-in, and from --profiles) after validation')
  .option('--profiles <file>', 'YAML or JSON file of extra profiles')
  .action((flags: { profiles?: string }) => {
    try {
      console.log(JSON.stringify(Object.fromEntries(loadProfiles(flags.profiles)), null, 2));
    } catch (error) {
      fail(error);
    }
  });

addStackCommand(program, fail);

await program.parseAsync(process.argv);
