#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { addCredentialCommands, CredentialStore, countOption, exitWithError, portOption } from '@fogline/shared';
import { Command } from 'commander';
import { type ConfigOverrides, loadGatewayConfig, printableGatewayConfig } from './config/gateway-config.js';
import { Gateway } from './gateway.js';
import { opsPageRecordsMax } from './ops/operator-routes.js';
import { opsClient, printRecords } from './ops/ops-client.js';

/** The version in this package's package.json (dist/cli.js sits one folder below it). */
const packageVersion = (): string =>
  (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

interface CommonOptions {
  config?: string;
  gatewayId?: string;
  dataDir?: string;
  mqttPort?: number;
  opsPort?: number;
}

const withCommon = (command: Command) =>
  command
    .option('-c, --config <file>', 'config file (YAML or JSON)')
    .option('--gateway-id <id>', 'overrides gatewayId (env FOGLINE_GATEWAY_ID)')
    .option('--data-dir <dir>', 'overrides dataDir (env FOGLINE_DATA_DIR)')
    .option('--mqtt-port <port>', 'overrides mqtt.port; 0 picks a free port (env FOGLINE_MQTT_PORT)', portOption)
    .option('--ops-port <port>', 'overrides ops.port for /metrics and /healthz (env FOGLINE_OPS_PORT)', portOption);

function load(options: CommonOptions) {
  const overrides: ConfigOverrides = {
    gatewayId: options.gatewayId,
    dataDir: options.dataDir,
    mqttPort: options.mqttPort,
    opsPort: options.opsPort,
  };
  return loadGatewayConfig(options.config, overrides);
}

const credentialsOf = (options: CommonOptions) => new CredentialStore(load(options).mqtt.credentialsFile as string);

const fail: (error: unknown) => never = (error) => exitWithError('fogline-gateway', error);

const program = new Command('fogline-gateway')
  .version(packageVersion(), '-V, --version', 'print the version')
  .description('The fogline gateway: embedded MQTT broker, durable ingest, event-time aggregation, store-and-forward.')
  .showHelpAfterError();

withCommon(program.command('start').description('run the gateway until SIGINT or SIGTERM, then drain open windows into the outbox')).action(
  async (options: CommonOptions) => {
    let gateway: Gateway;
    try {
      gateway = await Gateway.start(load(options));
    } catch (error) {
      fail(error);
    }
    const { ports, config } = gateway;
    console.error(
      `fogline-gateway ${config.gatewayId} ready: MQTT on port ${ports.mqtt}${ports.tls ? `, MQTT over TLS on ${ports.tls}` : ''}${
        ports.websocket ? `, MQTT over WebSocket on ${ports.websocket}` : ''
      }; metrics on http://${config.ops.host}:${ports.ops}/metrics`,
    );
    const shutdown = (signal: string) => {
      gateway.logger.info({ signal }, 'stopping');
      gateway.stop({ drain: true }).then(
        () => process.exit(0),
        (error) => {
          gateway.logger.error({ error: error.message }, 'stop failed');
          process.exit(1);
        },
      );
    };
    // SIGHUP re-reads the credentials file (as a change to it does by itself); it does not stop the gateway.
    process.on('SIGHUP', () => gateway.reloadCredentials());
    process.once('SIGINT', () => shutdown('SIGINT'));
    process.once('SIGTERM', () => shutdown('SIGTERM'));
  },
);

withCommon(program.command('check-config').description('validate the configuration and print it with defaults filled in')).action(
  (options: CommonOptions) => {
    try {
      console.log(JSON.stringify(printableGatewayConfig(load(options)), null, 2));
    } catch (error) {
      fail(error);
    }
  },
);

const devices = program.command('devices').description('manage device credentials (stored hashed with scrypt)');

addCredentialCommands(devices, {
  noun: 'device',
  idField: 'deviceId',
  secretGoes: 'Give it to the device (its MQTT password)',
  runningServer: 'a running gateway',
  withCommon,
  store: credentialsOf,
  fail,
});

withCommon(
  devices
    .command('import')
    .description('bulk provisioning: read {"deviceId", "labels"} lines on stdin, print {"deviceId", "secret", "labels"} lines, once'),
).action(async (options: CommonOptions) => {
  try {
    const entries: { deviceId: string; labels?: Record<string, string> }[] = [];
    let lineNumber = 0;
    for await (const line of createInterface({ input: process.stdin })) {
      lineNumber++;
      if (line.trim() === '') continue;
      let entry: unknown;
      try {
        entry = JSON.parse(line);
      } catch {
        throw new Error(
          `stdin line ${lineNumber} was ${JSON.stringify(line.slice(0, 60))}, expected JSON {"deviceId": ..., "labels": {...}}`,
        );
      }
      const { deviceId, labels } = (entry ?? {}) as { deviceId?: unknown; labels?: unknown };
      if (typeof deviceId !== 'string')
        throw new Error(`stdin line ${lineNumber}: deviceId was ${JSON.stringify(deviceId)}, expected a string`);
      const labelsOk =
        labels === undefined ||
        (typeof labels === 'object' && labels !== null && Object.values(labels).every((value) => typeof value === 'string'));
      if (!labelsOk) throw new Error(`stdin line ${lineNumber}: labels was ${JSON.stringify(labels)}, expected an object of strings`);
      entries.push({ deviceId, labels: labels as Record<string, string> | undefined });
    }
    const secrets = await credentialsOf(options).addMany(entries);
    for (const [i, { deviceId, labels = {} }] of entries.entries()) console.log(JSON.stringify({ deviceId, secret: secrets[i], labels }));
    console.error(`${entries.length} devices added. Their secrets are shown once; they are stored only hashed.`);
  } catch (error) {
    fail(error);
  }
});

interface OpsOptions extends CommonOptions {
  url?: string;
}

withCommon(
  devices
    .command('list')
    .description('list devices (never secrets); --connected asks the running gateway who is connected, with the last-seen time'),
)
  .option('--connected', 'only the devices connected now (from the running gateway, through its ops port)')
  .option('--url <url>', "the running gateway's ops address (default: ops.host and ops.port of the config)")
  .action(async (options: OpsOptions & { connected?: boolean }) => {
    try {
      if (!options.connected) {
        for (const device of credentialsOf(options).list()) console.log(JSON.stringify(device));
        return;
      }
      const { devices: connected } = await opsClient(load(options), options.url)<{ devices: unknown[] }>('/devices?connected=1');
      for (const device of connected) console.log(JSON.stringify(device));
    } catch (error) {
      fail(error);
    }
  });

for (const [name, route, what] of [
  ['dead-letters', '/dead-letters', 'publishes (or parts of them) refused, with the reason and the first bytes of the payload'],
  ['late', '/late', 'readings that arrived after their window had closed'],
] as const) {
  withCommon(program.command(name).description(`print the newest ${what}, as JSON lines, from the running gateway`))
    .option('--tail', 'keep printing new ones as they come, until stopped')
    .option('-n, --limit <count>', 'how many of the newest to print first (at most 1000)', countOption(opsPageRecordsMax), 20)
    .option('--url <url>', "the running gateway's ops address (default: ops.host and ops.port of the config)")
    .action(async (options: OpsOptions & { tail?: boolean; limit: number }) => {
      try {
        await printRecords(opsClient(load(options), options.url), route, options.limit, options.tail ?? false);
      } catch (error) {
        fail(error);
      }
    });
}

const subscribers = program
  .command('subscribers')
  .description('manage local subscribers: read-only credentials for Node-RED, a historian or a PLC (see mqtt.subscribers.aclFile)');

addCredentialCommands(subscribers, {
  noun: 'subscriber',
  idField: 'subscriberId',
  secretGoes: "Put it in the tool's MQTT connection (username: the subscriber's id)",
  runningServer: 'a running gateway',
  withCommon,
  store: (options: CommonOptions) => new CredentialStore(load(options).mqtt.subscribers.credentialsFile as string),
  fail,
});

withCommon(subscribers.command('list').description('list local subscribers (never secrets)')).action((options: CommonOptions) => {
  try {
    for (const s of new CredentialStore(load(options).mqtt.subscribers.credentialsFile as string).list())
      console.log(JSON.stringify({ subscriberId: s.deviceId, createdAt: s.createdAt, labels: s.labels }));
  } catch (error) {
    fail(error);
  }
});

await program.parseAsync(process.argv);
