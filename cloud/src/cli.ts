#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { addCredentialCommands, CredentialStore, countOption, exitWithError, portOption } from '@fogline/shared';
import { Command } from 'commander';
import { Cloud } from './cloud.js';
import { type CloudConfig, type CloudOverrides, loadCloudConfig, printableCloudConfig } from './config/cloud-config.js';
import { rebuildFromArchive } from './lake/rebuild.js';
import { evaluationTable, type ModelEvaluation } from './maintenance/evaluation-table.js';
import { executeOnce, shell } from './sql-shell.js';

/** The version in this package's package.json (dist/cli.js sits one folder below it). */
const packageVersion = (): string =>
  (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

interface CommonOptions {
  config?: string;
  dataDir?: string;
  nodeId?: string;
  brokerPort?: number;
  httpPort?: number;
}

const withCommon = (command: Command) =>
  command
    .option('-c, --config <file>', 'config file (YAML or JSON)')
    .option('--data-dir <dir>', 'overrides dataDir (env FOGLINE_CLOUD_DATA_DIR)')
    .option('--node-id <id>', 'overrides node.id: this node in a cluster, stable across restarts (env FOGLINE_CLOUD_NODE_ID)')
    .option(
      '--broker-port <port>',
      'overrides broker.port of the embedded broker; 0 picks a free port (env FOGLINE_CLOUD_BROKER_PORT)',
      portOption,
    )
    .option('--http-port <port>', 'overrides http.port of the API (env FOGLINE_CLOUD_HTTP_PORT)', portOption);

const load = (options: CommonOptions) => {
  const overrides: CloudOverrides = {
    dataDir: options.dataDir,
    nodeId: options.nodeId,
    brokerPort: options.brokerPort,
    httpPort: options.httpPort,
  };
  return loadCloudConfig(options.config, overrides);
};

const fail: (error: unknown) => never = (error) => exitWithError('fogline-cloud', error);

function brokerSummary(config: CloudConfig, ports: Cloud['ports']): string {
  if (config.broker.mode === 'external')
    return `subscribed on ${config.broker.url}${config.broker.sharedGroup ? ` (shared group ${config.broker.sharedGroup}, node ${config.node.id})` : ''}`;
  const listeners = [ports.broker !== undefined && `port ${ports.broker}`, ports.brokerTls !== undefined && `TLS port ${ports.brokerTls}`];
  return `gateway broker on ${listeners.filter(Boolean).join(' and ')}`;
}

const program = new Command('fogline-cloud')
  .version(packageVersion(), '-V, --version', 'print the version')
  .description('The fogline cloud: exactly-once merge of gateway partitions, storage, HTTP API.')
  .showHelpAfterError();

withCommon(program.command('start').description('run the cloud service until SIGINT or SIGTERM')).action(async (options: CommonOptions) => {
  let cloud: Cloud;
  try {
    cloud = await Cloud.start(load(options));
  } catch (error) {
    fail(error);
  }
  const { ports, config } = cloud;
  console.error(`fogline-cloud ready: ${brokerSummary(config, ports)}; API on http://${config.http.host}:${ports.http}/api/v1`);
  const shutdown = () =>
    cloud.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  // SIGHUP re-reads the gateways' credentials (as a change to the file does by itself); it does not stop the cloud.
  process.on('SIGHUP', () => cloud.reloadCredentials());
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
});

withCommon(program.command('check-config').description('validate the configuration and print it with defaults filled in')).action(
  (options: CommonOptions) => {
    try {
      console.log(JSON.stringify(printableCloudConfig(load(options)), null, 2));
    } catch (error) {
      fail(error);
    }
  },
);

const gateways = program.command('gateways').description('manage gateway credentials (stored hashed with scrypt)');

const credentialsOf = (options: CommonOptions) => new CredentialStore(load(options).broker.credentialsFile as string);

addCredentialCommands(gateways, {
  noun: 'gateway',
  idField: 'gatewayId',
  secretGoes: "Put it in the gateway's config (uplink.password, or FOGLINE_UPLINK_PASSWORD)",
  runningServer: 'a running cloud',
  withCommon,
  store: credentialsOf,
  fail,
});

interface ListOptions extends CommonOptions {
  connected?: boolean;
  url?: string;
}

withCommon(
  gateways
    .command('list')
    .description('list gateways (never secrets); --connected asks the running cloud which are online, with the last-seen time'),
)
  .option('--connected', 'only the gateways online now, from their status records (through the running cloud)')
  .option('--url <url>', "the cloud's HTTP address (default: http.host and http.port of the config)")
  .action(async (options: ListOptions) => {
    try {
      const known = credentialsOf(options)
        .list()
        .map((g) => ({ gatewayId: g.deviceId, createdAt: g.createdAt, labels: g.labels }));
      if (!options.connected) {
        for (const gateway of known) console.log(JSON.stringify(gateway));
        return;
      }
      const response = await apiOf(options).request('/api/v1/gateways');
      const { gateways: seen } = (await response.json()) as {
        gateways: { gatewayId: string; lastSeenMs: number; status: { online?: boolean; atMs?: number } | null }[];
      };
      for (const gateway of known) {
        const stats = seen.find((g) => g.gatewayId === gateway.gatewayId);
        if (stats?.status?.online !== true) continue;
        const lastSeenMs = Math.max(stats.lastSeenMs, stats.status.atMs ?? 0);
        console.log(JSON.stringify({ ...gateway, connected: true, lastSeen: new Date(lastSeenMs).toISOString() }));
      }
    } catch (error) {
      fail(error);
    }
  });

/** A running cloud's API, from --url or the config's http.host and http.port, with its token. */
function apiOf(options: CommonOptions & { url?: string }) {
  const { http } = load(options);
  const base = options.url ?? `http://${http.host === '0.0.0.0' ? '127.0.0.1' : http.host}:${http.port}`;
  const token = http.adminToken ?? http.readToken;
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const request = async (path: string, init: RequestInit = {}) => {
    const response = await fetch(`${base}${path}`, { ...init, headers: { ...headers, ...(init.headers as Record<string, string>) } }).catch(
      (error: Error) => {
        throw new Error(`no cloud answers at ${base} (${error.cause ?? error.message}); start it, or pass --url`);
      },
    );
    if (!response.ok) {
      const answer = (await response.json().catch(() => ({}))) as { error?: string; errors?: string[] };
      throw new Error(`${path.split('?')[0]}: ${answer.error ?? answer.errors?.join('; ') ?? response.statusText}`);
    }
    return response;
  };
  return { base, request };
}

withCommon(
  program
    .command('dead-letters')
    .description(
      "print the running cloud's dead letters (what its intake could not read) and the messages it kept aside (a newer format, or parked after failing again and again), as JSON lines",
    )
    .option('--tail', 'keep printing new ones as they come, until stopped')
    .option('-n, --limit <count>', 'how many of the newest to print first', countOption(10_000), 20)
    .option('--url <url>', "the cloud's HTTP address (default: http.host and http.port of the config)"),
).action(async (options: CommonOptions & { tail?: boolean; limit: number; url?: string }) => {
  try {
    const { request } = apiOf(options);
    // The records carry no id: a line is new when the previous answer did not hold it. Every
    // answer is the store's whole bounded content, so what is remembered stays bounded too.
    const linesNow = async () => {
      const answer = (await (await request('/api/v1/dead-letters?limit=10000')).json()) as { deadLetters: object[]; kept: object[] };
      return [
        ...answer.deadLetters.map((letter) => JSON.stringify({ kind: 'dead-letter', ...letter })),
        ...answer.kept.map((kept) => JSON.stringify({ kind: 'kept', ...kept })),
      ];
    };
    let seen = await linesNow();
    for (const line of seen.slice(-options.limit)) console.log(line);
    while (options.tail) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const now = await linesNow();
      const before = new Set(seen);
      for (const line of now) if (!before.has(line)) console.log(line);
      seen = now;
    }
  } catch (error) {
    fail(error);
  }
});

interface ExportOptions extends CommonOptions {
  table?: string;
  from?: string;
  to?: string;
  format: string;
  url?: string;
}

withCommon(
  program
    .command('export')
    .description(
      "stream a running cloud's windows, hours or days to standard output, as CSV or NDJSON; or, with --format parquet, have it write every table to its Parquet lake now",
    )
    .option('--table <table>', 'windows, hours or days (for csv and ndjson)')
    .option('--from <time>', 'from this time on: epoch ms or ISO-8601 (2026-11-24T00:00:00Z)')
    .option('--to <time>', 'up to this time (not included)')
    .option('--format <format>', 'csv, ndjson or parquet', 'csv')
    .option('--url <url>', "the cloud's HTTP address (default: http.host and http.port of the config)"),
).action(async (options: ExportOptions) => {
  try {
    if (options.format === 'parquet') {
      const response = await apiOf(options).request('/api/v1/lake/export', { method: 'POST' });
      console.log(JSON.stringify(await response.json(), null, 2));
      return;
    }
    if (!options.table) throw new Error('--table is required for csv and ndjson: windows, hours or days');
    const query = new URLSearchParams({ table: options.table, format: options.format });
    if (options.from) query.set('from', options.from);
    if (options.to) query.set('to', options.to);
    const response = await apiOf(options).request(`/api/v1/export?${query}`);
    if (response.body) await pipeline(Readable.fromWeb(response.body as never), process.stdout);
  } catch (error) {
    fail(error);
  }
});

interface SqlOptions extends CommonOptions {
  execute?: string;
  format: string;
  url?: string;
}

withCommon(
  program
    .command('sql')
    .description(
      "SQL over a running cloud's tables (windows, hours, days, devices, alerts, risk, archive), as spark-sql: a shell, or -e for one query",
    )
    .option('-e, --execute <query>', 'run one query, print it and exit')
    .option('--format <format>', 'with -e: table, csv or json', 'table')
    .option('--url <url>', "the cloud's HTTP address (default: http.host and http.port of the config)"),
).action(async (options: SqlOptions) => {
  try {
    if (!['table', 'csv', 'json'].includes(options.format))
      throw new Error(`--format was ${JSON.stringify(options.format)}, expected table, csv or json`);
    const { base, request } = apiOf(options);
    if (options.execute !== undefined) process.stdout.write(await executeOnce(request, options.execute, options.format));
    else await shell(request, base);
  } catch (error) {
    fail(error);
  }
});

interface RebuildOptions extends CommonOptions {
  force?: boolean;
}

withCommon(
  program
    .command('rebuild')
    .description('recompute windows, hours and days from the archive of envelopes (stop every node of the cloud first)')
    .option('--force', 'rebuild even when merged envelopes are missing from the archive (their readings are lost)'),
).action(async (options: RebuildOptions) => {
  try {
    console.log(JSON.stringify(await rebuildFromArchive(load(options), { force: options.force ?? false }), null, 2));
  } catch (error) {
    fail(error);
  }
});

const maintenance = program.command('maintenance').description('predictive maintenance of a running cloud, through its API');

interface EvaluateOptions extends CommonOptions {
  truth: string;
  url?: string;
  train?: boolean;
  json?: boolean;
}

withCommon(
  maintenance
    .command('evaluate')
    .description("score the trained models on their held-out devices against fogline-sim's ground truth (--truth)")
    .requiredOption('--truth <file>', 'the ground-truth JSON lines `fogline-sim --truth <file>` wrote')
    .option('--url <url>', "the cloud's HTTP address (default: http.host and http.port of the config)")
    .option('--train', 'train the models first')
    .option('--json', 'print the API answer as JSON instead of a table'),
).action(async (options: EvaluateOptions) => {
  try {
    const { request } = apiOf(options);
    const post = async (path: string, body?: string) => (await request(`/api/v1/maintenance/${path}`, { method: 'POST', body })).json();
    if (options.train) console.error(JSON.stringify(await post('train')));
    const answer = (await post('evaluate', readFileSync(options.truth, 'utf8'))) as { models?: ModelEvaluation[]; errors?: string[] };
    if (options.json || !answer.models) console.log(JSON.stringify(answer, null, 2));
    else console.log(evaluationTable(answer.models));
  } catch (error) {
    fail(error);
  }
});

await program.parseAsync(process.argv);
