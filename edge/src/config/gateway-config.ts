import { dirname, isAbsolute, resolve } from 'node:path';
import {
  ConfigError,
  describeIssues,
  portClashes,
  portFromEnvironment,
  readConfigFile,
  redactSecrets,
  type SecretSetting,
  secretsFromEnvironment,
} from '@fogline/shared';
import { validate as validCron } from 'node-cron';
import { z } from 'zod';
import { mappingPresets } from '../ingest/mapping-presets.js';
import { CompiledMapping, type MappingSpec } from '../ingest/payload-mapping.js';

const port = z.number().int().min(0, 'a port from 0 to 65535').max(65535, 'a port from 0 to 65535');
const positiveInt = z.number().int().positive();

/** The job a gateway runs unless its config names one: every reading into the windows, and the rules. */
export const defaultJobModule = '@fogline/edge/jobs/default-job.js';
const cronExpression = z.string().min(1);

const severity = (fallback: 'info' | 'warning' | 'critical') => z.enum(['info', 'warning', 'critical']).default(fallback);
/** Fields every rule has; `metric` matches exactly, or with * as a wildcard. */
const ruleBase = { name: z.string().min(1), metric: z.string().min(1) };

const ruleSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    ...ruleBase,
    kind: z.literal('threshold'),
    above: z.number().optional(),
    below: z.number().optional(),
    severity: severity('warning'),
  }),
  z.strictObject({ ...ruleBase, kind: z.literal('deadband'), band: z.number().positive(), severity: severity('info') }),
  z.strictObject({ ...ruleBase, kind: z.literal('rate-of-change'), perSecondMax: z.number().positive(), severity: severity('warning') }),
  z.strictObject({
    ...ruleBase,
    kind: z.literal('silence'),
    metric: z.string().min(1).default('*'),
    silentMsMax: positiveInt,
    severity: severity('warning'),
  }),
]);

const jsonPath = z.string().regex(/^\$/, 'a JSON path starting with $ ($.ENERGY.Power)');

/** A payload mapping: a preset's name, and any of its fields to replace (see mapping-presets.ts). */
const mappingSchema = z.strictObject({
  preset: z.enum(Object.keys(mappingPresets) as [string, ...string[]]).optional(),
  name: z.string().min(1).optional(),
  topic: z.string().min(1).optional(),
  deviceId: z.string().min(1).optional(),
  timestamp: z
    .strictObject({ path: jsonPath, unit: z.enum(['ms', 's', 'iso']), withoutOffset: z.enum(['utc', 'arrival']).optional() })
    .optional(),
  payload: z.enum(['json', 'number']).optional(),
  values: z
    .union([
      z.literal('auto'),
      z
        .array(z.strictObject({ path: jsonPath, metric: z.string().min(1), scale: z.number().optional(), offset: z.number().optional() }))
        .min(1),
    ])
    .optional(),
  root: jsonPath.optional(),
  exclude: z.array(z.string().min(1)).optional(),
  metricPrefix: z.string().optional(),
  when: z.strictObject({ path: jsonPath, equals: z.union([z.string(), z.number(), z.boolean()]) }).optional(),
  clients: z.array(z.string().min(1)).optional(),
});

/** The gateway's configuration file (YAML or JSON); every field has a default but gatewayId. */
export const gatewayConfigSchema = z.strictObject({
  gatewayId: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'an id of 1-64 letters, digits, _ . -'),
  dataDir: z.string().min(1).default('./data/gateway'),
  mqtt: z
    .strictObject({
      host: z.string().default('0.0.0.0'),
      port: port.default(1883),
      tls: z.strictObject({ port: port.default(8883), keyFile: z.string().min(1), certFile: z.string().min(1) }).optional(),
      websocket: z.strictObject({ port: port.default(8083) }).optional(),
      /** The plain TCP listener; false leaves only TLS (and WebSocket, if configured). */
      plaintext: z.boolean().default(true),
      /** Devices without credentials are let in only when this says so. */
      allowAnonymous: z.boolean().default(false),
      credentialsFile: z.string().min(1).optional(),
      /** Local tools that may subscribe (read-only): Node-RED, a historian, a PLC. */
      subscribers: z
        .strictObject({
          /** Their credentials (fogline-gateway subscribers add); default <dataDir>/subscribers.json. */
          credentialsFile: z.string().min(1).optional(),
          /** What each may read, in Mosquitto's acl_file format; without it, telemetry/#, events/# and alerts/#. */
          aclFile: z.string().min(1).optional(),
        })
        .prefault({}),
    })
    .prefault({}),
  limits: z
    .strictObject({
      payloadBytesMax: positiveInt.default(64 * 1024),
      /** A packet whose declared size is over this is refused while its length is parsed, before its body is read. */
      packetBytesMax: positiveInt.default(256 * 1024),
      /** The same before the client's CONNECT is accepted. */
      connectPacketBytesMax: positiveInt.default(16 * 1024),
      /** Connections open at once (all listeners), at most; more are closed at once (counted). */
      connectionsMax: positiveInt.default(20_000),
      /** A connection that has not sent CONNECT within this is closed. */
      connectTimeoutMs: positiveInt.default(10_000),
      /** Failed logins from one address within loginFailureWindowMs before it is refused without a check (counted). */
      loginFailuresMax: positiveInt.default(5),
      loginFailureWindowMs: positiveInt.default(60_000),
      topicLevelsMax: positiveInt.default(3),
      readingsPerMessageMax: positiveInt.default(1000),
      messagesPerSecondMax: positiveInt.default(100),
      /** Readings stamped further ahead of the gateway's clock are refused; 0 turns the check off. */
      futureSkewMsMax: z
        .number()
        .int()
        .min(0)
        .default(5 * 60_000),
      /**
       * Values further from zero are dead-lettered. At most 1e100: a window's sum of squared
       * deviations then stays finite for any count a gateway can hold, so no aggregate, on the
       * gateway or merged in the cloud, can overflow.
       */
      valueAbsMax: z.number().positive().max(1e100, 'at most 1e100 (aggregates must stay finite)').default(1e100),
    })
    .prefault({}),
  ingest: z
    .strictObject({
      /**
       * process: an acknowledged reading survives a crash of the gateway (the write is in the
       * operating system); power: it survives a power cut too (each group commit, and each
       * outbox-and-checkpoint write, is fsynced before its acknowledgements).
       */
      durability: z.enum(['process', 'power']).default('process'),
      /** durable: QoS 0 goes through the ingest log like QoS 1; fast: QoS 0 skips it (best effort). */
      qos0: z.enum(['durable', 'fast']).default('fast'),
      logBytesMax: positiveInt.default(256 * 1024 * 1024),
      deadLettersMax: positiveInt.default(10_000),
      lateReadingsMax: positiveInt.default(10_000),
      /** QoS 1 publishes remembered per device to recognise resends (a client's unacknowledged publishes at a break). */
      resendMemoPerDeviceMax: positiveInt.default(16),
      /** Devices with a resend memo, at most; past it the memo idle longest is dropped (counted). */
      resendMemoDevicesMax: positiveInt.default(100_000),
    })
    .prefault({}),
  windows: z
    .strictObject({
      sizeMs: positiveInt.default(60_000),
      allowedLatenessMs: z.number().int().min(0).default(5_000),
      /** A window that received nothing for this long (wall clock) closes. */
      idleCloseMs: positiveInt.default(120_000),
      openStatesMax: positiveInt.default(500_000),
      /** Devices with no open window whose watermark is kept in memory, at most; past it the oldest is forgotten (counted): it starts again from the watermark stored when the gateway started. */
      restingDevicesMax: positiveInt.default(1_000_000),
      partitions: positiveInt.default(4),
    })
    .prefault({}),
  outbox: z
    .strictObject({
      bytesMax: positiveInt.default(512 * 1024 * 1024),
      compressAboveBytes: z.number().int().min(0).default(512),
    })
    .prefault({}),
  /** Where the outbox drains to: the cloud's MQTT broker. Without it, the outbox only fills (up to outbox.bytesMax). */
  uplink: z
    .strictObject({
      url: z.string().regex(/^(mqtts?|wss?):\/\//, 'an mqtt://, mqtts://, ws:// or wss:// URL'),
      username: z.string().optional(),
      password: z.string().optional(),
      caFile: z.string().optional(),
      certFile: z.string().optional(),
      keyFile: z.string().optional(),
      /** Envelopes published and not yet acknowledged, at most. */
      inFlightMax: positiveInt.default(32),
      reconnectMsMin: positiveInt.default(500),
      reconnectMsMax: positiveInt.default(30_000),
      /** Bytes per second the uplink may send; 0 = no cap. */
      bandwidthBytesPerSecondMax: z.number().int().min(0).default(0),
    })
    .optional(),
  rules: z.array(ruleSchema).default([]),
  /** Sparkplug B (spBv1.0/...) edge nodes: births, data, deaths, seq checks, rebirth requests. */
  sparkplug: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** Credentials that may publish for any edge node (a relay); others only for the node of their own id. */
      clients: z.array(z.string().min(1)).default([]),
    })
    .prefault({}),
  /** How publishes outside telemetry/{id} and events/{id} become readings (Tasmota, Zigbee2MQTT, Shelly, state topics...). */
  mappings: z.array(mappingSchema).default([]),
  /**
   * The gateway's job: modules (a path, relative to this file, or a package's module), each
   * exporting default (readings, api) => void, wired onto one stream of readings. The default
   * job forwards every reading into the windows and checks the rules; name it beside your own
   * to keep that.
   */
  job: z
    .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
    .default([defaultJobModule])
    .transform((job) => (Array.isArray(job) ? job : [job])),
  /** How the readings are cut into the job's micro-batches. */
  batch: z
    .strictObject({
      intervalMs: positiveInt.max(60_000).default(100),
      readingsMax: positiveInt.default(10_000),
      queuedReadingsMax: positiveInt.default(200_000),
    })
    .prefault({}),
  pipelines: z
    .array(
      z.strictObject({
        module: z.string().min(1),
        batchIntervalMs: positiveInt.default(1000),
        /** A node-cron expression: run the pipeline's batches on this schedule instead of every batchIntervalMs. */
        schedule: cronExpression.optional(),
      }),
    )
    .default([]),
  schedules: z
    .strictObject({
      compaction: cronExpression.default('0 */10 * * * *'),
      status: cronExpression.default('*/30 * * * * *'),
      windowCheck: cronExpression.default('* * * * * *'),
    })
    .prefault({}),
  ops: z.strictObject({ host: z.string().default('127.0.0.1'), port: port.default(9464) }).prefault({}),
  log: z.strictObject({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') }).prefault({}),
});

export type GatewayConfig = Omit<z.output<typeof gatewayConfigSchema>, 'mappings'> & {
  /** The mappings with their presets filled in, checked. */
  readonly mappings: readonly MappingSpec[];
};
export type GatewayRule = GatewayConfig['rules'][number];

/** Flags and environment variables that override the file, by config path. */
export interface ConfigOverrides {
  readonly gatewayId?: string;
  readonly dataDir?: string;
  readonly mqttPort?: number;
  readonly opsPort?: number;
}

const envOverrides = (env: NodeJS.ProcessEnv): ConfigOverrides => ({
  gatewayId: env.FOGLINE_GATEWAY_ID,
  dataDir: env.FOGLINE_DATA_DIR,
  mqttPort: portFromEnvironment(env, 'FOGLINE_MQTT_PORT'),
  opsPort: portFromEnvironment(env, 'FOGLINE_OPS_PORT'),
});

/** The gateway's secrets: each may come from its environment variable, or from a file named by <variable>_FILE. */
export const gatewaySecretSettings: readonly SecretSetting[] = [{ path: ['uplink', 'password'], env: 'FOGLINE_UPLINK_PASSWORD' }];

/** The config fit to print: secrets replaced by [redacted]. */
export const printableGatewayConfig = (config: GatewayConfig) => redactSecrets(config, gatewaySecretSettings);

/** Each mapping's preset filled in and the result checked; a problem per mapping that cannot work. */
function resolveMappings(given: z.output<typeof mappingSchema>[], problems: string[]): MappingSpec[] {
  return given.flatMap((mapping, i) => {
    const { preset, ...fields } = mapping;
    const defined = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
    const spec = { ...(preset ? mappingPresets[preset] : {}), name: preset ?? `mapping-${i}`, ...defined } as Partial<MappingSpec>;
    const missing = (['topic', 'deviceId', 'values'] as const).filter((field) => spec[field] === undefined);
    if (missing.length > 0) {
      problems.push(`mappings.${i}.${missing[0]} was missing, expected it or a preset (${Object.keys(mappingPresets).join(', ')})`);
      return [];
    }
    try {
      new CompiledMapping(spec as MappingSpec);
    } catch (error) {
      problems.push(`mappings.${i}: ${(error as Error).message}`);
      return [];
    }
    return [spec as MappingSpec];
  });
}

/** A module named by a path (./my-job.js, /opt/jobs/x.js) is taken from the config's folder; anything else is a package name. */
const isPath = (module: string) => module.startsWith('.') || isAbsolute(module);

/** The gateway's listeners and their fixed ports. */
function listenerPorts(config: z.output<typeof gatewayConfigSchema>): [string, number | undefined][] {
  return [
    ['mqtt.port', config.mqtt.plaintext ? config.mqtt.port : undefined],
    ['mqtt.tls.port', config.mqtt.tls?.port],
    ['mqtt.websocket.port', config.mqtt.websocket?.port],
    ['ops.port', config.ops.port],
  ];
}

function applyOverrides(raw: Record<string, unknown>, overrides: ConfigOverrides): Record<string, unknown> {
  const out: Record<string, unknown> = { ...raw };
  const section = (name: string) => ({ ...((out[name] as Record<string, unknown> | undefined) ?? {}) });
  if (overrides.gatewayId !== undefined) out.gatewayId = overrides.gatewayId;
  if (overrides.dataDir !== undefined) out.dataDir = overrides.dataDir;
  if (overrides.mqttPort !== undefined) out.mqtt = { ...section('mqtt'), port: overrides.mqttPort };
  if (overrides.opsPort !== undefined) out.ops = { ...section('ops'), port: overrides.opsPort };
  return out;
}

/** Validates a config object; throws ConfigError listing every problem. */
export function parseGatewayConfig(raw: unknown, baseDir = process.cwd()): GatewayConfig {
  const result = gatewayConfigSchema.safeParse(raw);
  if (!result.success) throw new ConfigError(describeIssues(raw, result.error.issues));
  const config = result.data;
  const problems: string[] = [];
  for (const [i, rule] of config.rules.entries()) {
    if (rule.kind === 'threshold' && rule.above === undefined && rule.below === undefined) {
      problems.push(`rules.${i} was ${JSON.stringify(rule.name)} with neither above nor below, expected at least one bound`);
    }
  }
  for (const [name, expression] of Object.entries(config.schedules)) {
    if (!validCron(expression))
      problems.push(`schedules.${name} was ${JSON.stringify(expression)}, expected a cron expression (sec min hour day month weekday)`);
  }
  if (!config.mqtt.plaintext && !config.mqtt.tls && !config.mqtt.websocket)
    problems.push('mqtt.plaintext was false with neither mqtt.tls nor mqtt.websocket, expected at least one listener');
  for (const [i, pipeline] of config.pipelines.entries()) {
    if (pipeline.schedule !== undefined && !validCron(pipeline.schedule))
      problems.push(
        `pipelines.${i}.schedule was ${JSON.stringify(pipeline.schedule)}, expected a cron expression (sec min hour day month weekday)`,
      );
  }
  problems.push(...portClashes(listenerPorts(config)));
  const mappings = resolveMappings(config.mappings, problems);
  if (config.uplink && config.uplink.reconnectMsMin > config.uplink.reconnectMsMax)
    problems.push(
      `uplink.reconnectMsMin was ${config.uplink.reconnectMsMin}, expected at most uplink.reconnectMsMax ${config.uplink.reconnectMsMax}`,
    );
  if (config.limits.payloadBytesMax > config.limits.packetBytesMax)
    problems.push(
      `limits.payloadBytesMax was ${config.limits.payloadBytesMax}, expected at most limits.packetBytesMax ${config.limits.packetBytesMax}`,
    );
  if (problems.length > 0) throw new ConfigError(problems);
  const within = (path: string) => (isAbsolute(path) ? path : resolve(baseDir, path));
  return {
    ...config,
    mappings,
    dataDir: within(config.dataDir),
    mqtt: {
      ...config.mqtt,
      credentialsFile: within(config.mqtt.credentialsFile ?? resolve(within(config.dataDir), 'devices.json')),
      subscribers: {
        credentialsFile: within(config.mqtt.subscribers.credentialsFile ?? resolve(within(config.dataDir), 'subscribers.json')),
        aclFile: config.mqtt.subscribers.aclFile && within(config.mqtt.subscribers.aclFile),
      },
      tls: config.mqtt.tls && { ...config.mqtt.tls, keyFile: within(config.mqtt.tls.keyFile), certFile: within(config.mqtt.tls.certFile) },
    },
    pipelines: config.pipelines.map((p) => ({ ...p, module: isPath(p.module) ? within(p.module) : p.module })),
    job: config.job.map((module) => (isPath(module) ? within(module) : module)),
    uplink: config.uplink && {
      ...config.uplink,
      caFile: config.uplink.caFile && within(config.uplink.caFile),
      certFile: config.uplink.certFile && within(config.uplink.certFile),
      keyFile: config.uplink.keyFile && within(config.uplink.keyFile),
    },
  };
}

/**
 * Reads the file (YAML or JSON), applies environment variables (FOGLINE_GATEWAY_ID,
 * FOGLINE_DATA_DIR, FOGLINE_MQTT_PORT, FOGLINE_OPS_PORT, and the secrets'
 * FOGLINE_UPLINK_PASSWORD or FOGLINE_UPLINK_PASSWORD_FILE), then flags, and validates.
 * Relative paths are taken from the file's folder.
 */
export function loadGatewayConfig(path: string | undefined, flags: ConfigOverrides = {}, env = process.env): GatewayConfig {
  const raw = secretsFromEnvironment(readConfigFile(path), gatewaySecretSettings, env);
  const merged = applyOverrides(applyOverrides(raw, envOverrides(env)), flags);
  return parseGatewayConfig(merged, path ? dirname(resolve(path)) : process.cwd());
}
