#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { CredentialStore, exitWithError, parsePort } from '@fogline/shared';
import { Command, InvalidArgumentError } from 'commander';
import { type ConfigOverrides, loadGatewayConfig } from './config/gateway-config.js';
import { Gateway } from './gateway.js';

/** The version in this package's package.json (dist/cli.js sits one folder below it). */
const packageVersion = (): string =>
  (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const portFlag = (value: string): number => {
  try {
    return parsePort(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
};

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
    .option('--mqtt-port <port>', 'overrides mqtt.port; 0 picks a free port (env FOGLINE_MQTT_PORT)', portFlag)
    .option('--ops-port <port>', 'overrides ops.port for /metrics and /healthz (env FOGLINE_OPS_PORT)', portFlag);

function load(options: CommonOptions) {
  const overrides: ConfigOverrides = {
    gatewayId: options.gatewayId,
    dataDir: options.dataDir,
    mqttPort: options.mqttPort,
    opsPort: options.opsPort,
  };
  return loadGatewayConfig(options.config, overrides);
}

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
      console.log(JSON.stringify(load(options), null, 2));
    } catch (error) {
      fail(error);
    }
  },
);

const devices = program.command('devices').description('manage device credentials (stored hashed with scrypt)');

withCommon(devices.command('add <deviceId>').description('create a device and print its secret, once'))
  .option('--label <key=value...>', 'labels that travel with the device (site, model, ...)')
  .action(async (deviceId: string, options: CommonOptions & { label?: string[] }) => {
    try {
      const labels: Record<string, string> = {};
      for (const pair of options.label ?? []) {
        const [key, ...rest] = pair.split('=');
        if (!key || rest.length === 0) throw new Error(`--label was ${JSON.stringify(pair)}, expected key=value`);
        labels[key] = rest.join('=');
      }
      const secret = await new CredentialStore(load(options).mqtt.credentialsFile as string).add(deviceId, labels);
      console.log(JSON.stringify({ deviceId, secret, labels }));
      console.error(`Device ${deviceId} added. Its secret is shown once; it is stored only hashed.`);
    } catch (error) {
      fail(error);
    }
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
    const secrets = await new CredentialStore(load(options).mqtt.credentialsFile as string).addMany(entries);
    for (const [i, { deviceId, labels = {} }] of entries.entries()) console.log(JSON.stringify({ deviceId, secret: secrets[i], labels }));
    console.error(`${entries.length} devices added. Their secrets are shown once; they are stored only hashed.`);
  } catch (error) {
    fail(error);
  }
});

withCommon(devices.command('list').description('list devices (never secrets)')).action((options: CommonOptions) => {
  try {
    for (const device of new CredentialStore(load(options).mqtt.credentialsFile as string).list()) console.log(JSON.stringify(device));
  } catch (error) {
    fail(error);
  }
});

withCommon(devices.command('remove <deviceId>').description('remove a device; it can no longer connect')).action(
  (deviceId: string, options: CommonOptions) => {
    try {
      if (!new CredentialStore(load(options).mqtt.credentialsFile as string).remove(deviceId)) throw new Error(`no device ${deviceId}`);
      console.error(`Device ${deviceId} removed.`);
    } catch (error) {
      fail(error);
    }
  },
);

await program.parseAsync(process.argv);
