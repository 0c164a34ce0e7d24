import { hostname } from 'node:os';
import { dirname, isAbsolute, resolve } from 'node:path';
import {
  ConfigError,
  describeIssues,
  portClashes,
  portFromEnvironment,
  readConfigFile,
  redacted,
  redactSecrets,
  type SecretSetting,
  secretsFromEnvironment,
} from '@fogline/shared';
import { validate as validCron } from 'node-cron';
import { z } from 'zod';

const port = z.number().int().min(0, 'a port from 0 to 65535').max(65535, 'a port from 0 to 65535');
const positiveInt = z.number().int().positive();
/** A schedule that never runs its job (training, scoring, retention or export only on request). */
export const scheduleOff = 'off';
const defaultNodeId = () =>
  hostname()
    .replace(/[^A-Za-z0-9_.-]/g, '-')
    .slice(0, 64) || 'node';

/** The cloud's configuration (YAML or JSON); every field has a default. */
export const cloudConfigSchema = z.strictObject({
  dataDir: z.string().min(1).default('./data/cloud'),
  /** embedded: an aedes broker for gateways in this process; external: subscribe on `url`. */
  broker: z
    .strictObject({
      mode: z.enum(['embedded', 'external']).default('embedded'),
      host: z.string().default('0.0.0.0'),
      port: port.default(1884),
      /** The plain TCP listener; false leaves only TLS (gateway secrets then never cross the network in clear). */
      plaintext: z.boolean().default(true),
      tls: z.strictObject({ port: port.default(8884), keyFile: z.string().min(1), certFile: z.string().min(1) }).optional(),
      limits: z
        .strictObject({
          /** A packet whose declared size is over this is refused while its length is parsed (envelopes are compressed). */
          packetBytesMax: positiveInt.default(32 * 1024 * 1024),
          /** The same before the gateway's CONNECT is accepted. */
          connectPacketBytesMax: positiveInt.default(16 * 1024),
          /** Connections per listener at once, at most; more are closed at once (counted). */
          connectionsMax: positiveInt.default(10_000),
          /** A connection that has not sent CONNECT within this is closed. */
          connectTimeoutMs: positiveInt.default(10_000),
          /** Failed logins from one address within loginFailureWindowMs before it is refused unchecked (counted). */
          loginFailuresMax: positiveInt.default(5),
          loginFailureWindowMs: positiveInt.default(60_000),
        })
        .prefault({}),
      /** Gateways without credentials are let in only when this says so. */
      allowAnonymous: z.boolean().default(false),
      credentialsFile: z.string().min(1).optional(),
      url: z
        .string()
        .regex(/^(mqtts?|wss?):\/\//, 'an mqtt://, mqtts://, ws:// or wss:// URL')
        .optional(),
      username: z.string().optional(),
      password: z.string().optional(),
      /** The MQTT client id on the external broker; unset: fogline-cloud, or fogline-cloud-<node.id> with a sharedGroup. */
      clientId: z.string().min(1).optional(),
      /**
       * With an external broker: share the gateways' partitions and alerts among the workers
       * of this group ($share/<group>/...), each message going to one of them.
       */
      /** How long the external broker keeps this node's session (its subscriptions and unacknowledged messages) while it is away. */
      sessionExpiryS: z
        .number()
        .int()
        .min(0)
        .default(7 * 24 * 3600),
      sharedGroup: z
        .string()
        .regex(/^[A-Za-z0-9_-]{1,64}$/, 'a group name of letters, digits, _ or - (at most 64)')
        .optional(),
    })
    .prefault({}),
  /** Where the cloud keeps what it merges: an embedded level folder (dataDir), or PostgreSQL shared by a cluster. */
  store: z
    .strictObject({
      kind: z.enum(['level', 'postgres']).default('level'),
      /** postgres://user:password@host:port/database (or the PG* environment variables when unset). */
      url: z
        .string()
        .regex(/^postgres(ql)?:\/\//, 'a postgres:// URL')
        .optional(),
      /** Connections this node keeps to PostgreSQL, at most; intake and queries wait for a free one. */
      poolSize: z.number().int().min(2, 'at least 2 (one for intake, one for queries)').max(1000).default(10),
    })
    .prefault({}),
  /** This process as a node of a cluster: its id is stable across restarts (the broker resumes its session by it). */
  node: z
    .strictObject({
      id: z
        .string()
        .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'an id of letters, digits, _, . or - (at most 64)')
        .default(defaultNodeId),
    })
    .prefault({}),
  intake: z
    .strictObject({
      /** process: a merge survives a crash of the cloud before its PUBACK; power: also a power cut (fsync per merge). */
      durability: z.enum(['process', 'power']).default('process'),
    })
    .prefault({}),
  http: z
    .strictObject({
      host: z.string().default('127.0.0.1'),
      port: port.default(8080),
      /** Bearer token for the API's reads (GET routes and SQL): dashboards, Grafana, scripts. */
      readToken: z.string().min(16, 'a token of at least 16 characters').optional(),
      /** Bearer token for every route, writes included (training, lake export). */
      adminToken: z.string().min(16, 'a token of at least 16 characters').optional(),
      /** The admin token under its earlier name. */
      token: z.string().min(16, 'a token of at least 16 characters').optional(),
      /** Dashboards following /api/v1/events at once; one more is refused with 503 (counted). */
      liveClientsMax: z.number().int().min(1).default(100),
      /** Unflushed events per dashboard; one this far behind is disconnected and reconnects (counted). */
      livePendingEventsMax: z.number().int().min(1).default(100),
      /** How often the dashboards get a fresh overview while data arrives. */
      liveIntervalMs: z.number().int().min(100).default(2000),
    })
    .prefault({}),
  /** Limits of POST /api/v1/sql (and so of fogline-cloud sql). */
  sql: z
    .strictObject({
      /** Rows a query returns, at most; a longer result is cut and says so (truncated: true). */
      rowsMax: z.number().int().min(1).default(100_000),
      /** A query running longer answers 504. */
      timeoutMs: z.number().int().min(100).default(30_000),
      /** Queries running at once on this node; one more is refused with 503. */
      queriesAtOnceMax: z.number().int().min(1).default(2),
    })
    .prefault({}),
  /** The Parquet lake the lakeExport schedule (and fogline-cloud export --format parquet) writes. */
  lake: z
    .strictObject({
      /** Default: <dataDir>/lake. */
      path: z.string().optional(),
      /** Days before the last export looked at again, for data that arrived late. */
      lateDays: z.number().int().min(0).default(2),
      /** Date partitions older than this are deleted from the lake. */
      retentionDays: z.number().positive().default(3650),
    })
    .prefault({}),
  /** How long each resolution is kept; the retention schedule deletes what is older. */
  retention: z
    .strictObject({
      windowsDays: z.number().positive().default(7),
      hoursDays: z.number().positive().default(90),
      daysDays: z.number().positive().default(3650),
      /** Envelopes kept whole in the archive (for rebuild and jobs over history); 0 keeps no archive. */
      archiveDays: z.number().min(0).default(30),
    })
    .prefault({}),
  /** Predictive maintenance: what the models learn from. */
  maintenance: z
    .strictObject({
      /**
       * Train on the last this many days of hour rollups; unset: the whole history. Set it when a
       * replay or an import is under way, so a model does not learn from half a history.
       */
      trainingWindowDays: z.number().positive().optional(),
    })
    .prefault({}),
  /** node-cron expressions with seconds, or "off" for a job that must not run on a schedule. */
  schedules: z
    .strictObject({
      retention: z.string().default('0 15 * * * *'),
      /** Retrain the predictive-maintenance models on the whole history. */
      maintenanceTrain: z.string().default('0 5 * * * *'),
      /** Re-score every device from its latest hours. */
      maintenanceScore: z.string().default('0 */5 * * * *'),
      /** Write the new and changed days of every table to the Parquet lake. */
      lakeExport: z.string().default('0 30 * * * *'),
    })
    .prefault({}),
  /** Where alerts go besides the API and the dashboard: webhooks per severity, signed. */
  alerting: z
    .strictObject({
      /** The key webhooks without a secret of their own are signed with (or FOGLINE_CLOUD_WEBHOOK_SECRET). */
      webhookSecret: z.string().min(16, 'a secret of at least 16 characters').optional(),
      webhooks: z
        .array(
          z.strictObject({
            name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'a name of letters, digits, _ . - (at most 64)'),
            url: z.string().regex(/^https?:\/\//, 'an http:// or https:// URL'),
            severities: z
              .array(z.enum(['info', 'warning', 'critical']))
              .min(1)
              .default(['warning', 'critical']),
            secret: z.string().min(16, 'a secret of at least 16 characters').optional(),
            timeoutMs: positiveInt.default(5_000),
            attemptsMax: positiveInt.default(10),
            backoffMsMin: positiveInt.default(1_000),
            backoffMsMax: positiveInt.default(300_000),
            queueMax: positiveInt.default(10_000),
          }),
        )
        .default([]),
    })
    .prefault({}),
  log: z.strictObject({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') }).prefault({}),
});

export type CloudConfig = z.output<typeof cloudConfigSchema>;

/** The cloud's secrets: each may come from its environment variable, or from a file named by <variable>_FILE. */
export const cloudSecretSettings: readonly SecretSetting[] = [
  { path: ['http', 'readToken'], env: 'FOGLINE_CLOUD_READ_TOKEN' },
  { path: ['http', 'adminToken'], env: 'FOGLINE_CLOUD_ADMIN_TOKEN' },
  { path: ['http', 'token'], env: 'FOGLINE_CLOUD_TOKEN' },
  { path: ['broker', 'password'], env: 'FOGLINE_CLOUD_BROKER_PASSWORD' },
  { path: ['store', 'url'], env: 'FOGLINE_CLOUD_STORE_URL' },
  { path: ['alerting', 'webhookSecret'], env: 'FOGLINE_CLOUD_WEBHOOK_SECRET' },
];

/** The config fit to print: secrets replaced by [redacted], and the passwords inside its URLs. */
export const printableCloudConfig = (config: CloudConfig) =>
  redactSecrets(
    {
      ...config,
      alerting: {
        ...config.alerting,
        webhooks: config.alerting.webhooks.map((hook) => (hook.secret ? { ...hook, secret: redacted } : hook)),
      },
    },
    cloudSecretSettings.filter((setting) => setting.path.join('.') !== 'store.url'),
    [
      ['store', 'url'],
      ['broker', 'url'],
    ],
  );

/** Addresses only this machine can reach: an API bound to one may run without a token. */
export const isLoopback = (host: string) => host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);

function tokenProblems(config: CloudConfig): string[] {
  const { http } = config;
  const problems: string[] = [];
  if (http.token !== undefined && http.adminToken !== undefined)
    problems.push("http.token was set with http.adminToken, expected one of them (http.token is the admin token's earlier name)");
  const admin = http.adminToken ?? http.token;
  if (admin !== undefined && admin === http.readToken)
    problems.push('http.readToken was the same as the admin token, expected a different one (a reader must not be able to write)');
  if (!isLoopback(http.host) && admin === undefined && http.readToken === undefined)
    problems.push(
      `http.host was ${JSON.stringify(http.host)} with no token, expected http.readToken and http.adminToken (or FOGLINE_CLOUD_READ_TOKEN and FOGLINE_CLOUD_ADMIN_TOKEN) when the API listens beyond this machine`,
    );
  return problems;
}

/** The cloud's listeners and their fixed ports (an external broker's are not ours). */
function listenerPorts(config: CloudConfig): [string, number | undefined][] {
  const embedded = config.broker.mode === 'embedded';
  return [
    ['broker.port', embedded && config.broker.plaintext ? config.broker.port : undefined],
    ['broker.tls.port', embedded ? config.broker.tls?.port : undefined],
    ['http.port', config.http.port],
  ];
}

export interface CloudOverrides {
  readonly dataDir?: string;
  readonly nodeId?: string;
  readonly brokerPort?: number;
  readonly httpPort?: number;
}

export function parseCloudConfig(raw: unknown, baseDir = process.cwd()): CloudConfig {
  const result = cloudConfigSchema.safeParse(raw);
  if (!result.success) throw new ConfigError(describeIssues(raw, result.error.issues));
  const config = result.data;
  const problems: string[] = [];
  if (config.broker.mode === 'embedded' && !config.broker.plaintext && !config.broker.tls)
    problems.push('broker.plaintext was false without broker.tls, expected at least one listener for the embedded broker');
  if (config.broker.sharedGroup && config.broker.mode !== 'external')
    problems.push(
      `broker.sharedGroup was ${JSON.stringify(config.broker.sharedGroup)} with broker.mode embedded, expected broker.mode external (shared subscriptions live on an external broker)`,
    );
  if (config.store.kind === 'postgres' && config.broker.mode === 'embedded')
    problems.push(
      'store.kind was postgres with broker.mode embedded, expected broker.mode external: a cluster shares its gateways through an external broker',
    );
  if (config.broker.mode === 'external' && !config.broker.url)
    problems.push('broker.url was missing, expected the URL of the external broker when broker.mode is external');
  for (const [name, expression] of Object.entries(config.schedules)) {
    if (expression !== scheduleOff && !validCron(expression))
      problems.push(
        `schedules.${name} was ${JSON.stringify(expression)}, expected a cron expression (sec min hour day month weekday) or "off"`,
      );
  }
  problems.push(...portClashes(listenerPorts(config)), ...tokenProblems(config));
  if (problems.length > 0) throw new ConfigError(problems);
  const within = (path: string) => (isAbsolute(path) ? path : resolve(baseDir, path));
  const dataDir = within(config.dataDir);
  return {
    ...config,
    http: { ...config.http, adminToken: config.http.adminToken ?? config.http.token, token: undefined },
    dataDir,
    lake: { ...config.lake, path: within(config.lake.path ?? resolve(dataDir, 'lake')) },
    broker: {
      ...config.broker,
      credentialsFile: within(config.broker.credentialsFile ?? resolve(dataDir, 'gateways.json')),
      tls: config.broker.tls && {
        ...config.broker.tls,
        keyFile: within(config.broker.tls.keyFile),
        certFile: within(config.broker.tls.certFile),
      },
    },
  };
}

/**
 * File, then FOGLINE_CLOUD_DATA_DIR / FOGLINE_CLOUD_NODE_ID / FOGLINE_CLOUD_BROKER_PORT /
 * FOGLINE_CLOUD_HTTP_PORT and the secrets' variables (cloudSecretSettings, each also as
 * <variable>_FILE), then flags.
 */
export function loadCloudConfig(path: string | undefined, flags: CloudOverrides = {}, env = process.env): CloudConfig {
  let raw = secretsFromEnvironment(readConfigFile(path), cloudSecretSettings, env);
  const overrides: CloudOverrides[] = [
    {
      dataDir: env.FOGLINE_CLOUD_DATA_DIR,
      nodeId: env.FOGLINE_CLOUD_NODE_ID,
      brokerPort: portFromEnvironment(env, 'FOGLINE_CLOUD_BROKER_PORT'),
      httpPort: portFromEnvironment(env, 'FOGLINE_CLOUD_HTTP_PORT'),
    },
    flags,
  ];
  for (const o of overrides) {
    if (o.dataDir !== undefined) raw = { ...raw, dataDir: o.dataDir };
    if (o.nodeId !== undefined) raw = { ...raw, node: { ...(raw.node as object), id: o.nodeId } };
    if (o.brokerPort !== undefined) raw = { ...raw, broker: { ...(raw.broker as object), port: o.brokerPort } };
    if (o.httpPort !== undefined) raw = { ...raw, http: { ...(raw.http as object), port: o.httpPort } };
  }
  return parseCloudConfig(raw, path ? dirname(resolve(path)) : process.cwd());
}
