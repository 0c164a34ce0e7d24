import type { BoundedRecordStore } from '@fogline/shared';
import { type DeviceTopic, parseDeviceTopic, type Reading } from '@fogline/shared';
import type { AedesPublishPacket, Client, PublishPacket } from 'aedes';
import type { Logger } from 'pino';
import type { RateLimiter } from '../broker/rate-limiter.js';
import type { GatewayConfig } from '../config/gateway-config.js';
import type { GatewayMetrics } from '../ops/gateway-metrics.js';
import { LogThrottle } from '../ops/log-throttle.js';
import type { BatchOperation } from '../store/gateway-store.js';
import { type Decoded, decodePayload } from './decode-payload.js';
import type { IngestLog } from './ingest-log.js';
import { type MappedOutcome, PayloadMappings } from './payload-mapping.js';
import { payloadDigest, type ResendMemo } from './resend-memo.js';
import { SparkplugNodes } from './sparkplug-nodes.js';

export interface DeadLetter {
  readonly receivedAtMs: number;
  readonly deviceId: string;
  readonly topic: string;
  readonly qos: number;
  readonly reason: string;
  /** The first bytes of the payload, base64, to see what the device sent. */
  readonly payloadHead: string;
}

/** Bytes of a payload kept in its dead letter. */
export const deadLetterPayloadBytesMax = 256;
/** How long a QoS 1 publish over the rate limit may be held before the device is refused. */
export const throttleWaitMsMax = 5_000;

type Done = (error?: Error | null) => void;

const noOperations: BatchOperation[] = [];

/** The gateway's identity for an MQTT client, set when it authenticates. */
export const deviceOf = new WeakMap<Client, string>();

/** Each connection's number (an aedes Client is one connection), for the resend memo. */
const connectionOf = new WeakMap<Client, number>();
let connectionsSeen = 0;
function connectionNumber(client: Client): number {
  let connection = connectionOf.get(client);
  if (connection === undefined) {
    connection = ++connectionsSeen; // 0 is the previous run's
    connectionOf.set(client, connection);
  }
  return connection;
}

/** A PUBLISH packet's size on the wire: fixed header with its remaining-length varint, topic, packet id, payload. */
export function publishPacketBytes(packet: PublishPacket): number {
  const remaining = 2 + Buffer.byteLength(packet.topic) + (packet.qos > 0 ? 2 : 0) + packet.payload.length;
  return 1 + (remaining < 128 ? 1 : remaining < 16_384 ? 2 : remaining < 2_097_152 ? 3 : 4) + remaining;
}

/** A short, bounded label for the dead-letter metric. */
function reasonLabel(problem: string): string {
  if (problem.startsWith('payload is not valid JSON')) return 'invalid-json';
  if (problem.includes("ahead of the gateway's clock")) return 'future-timestamp';
  if (problem.includes('is not telemetry/')) return 'unknown-topic';
  if (problem.includes('readingsPerMessageMax')) return 'too-many-readings';
  if (problem.includes('valueAbsMax')) return 'value-out-of-range';
  if (problem.startsWith('payload of')) return 'payload-too-large';
  if (problem.startsWith('topic has')) return 'topic-too-deep';
  return 'invalid-reading';
}

/** A decoder for a topic outside the contract: Sparkplug B, or a payload mapping. */
interface ForeignDecoder {
  /** For metrics: sparkplug, or the mapping's name. */
  readonly name: string;
  decode(payload: Buffer, deviceId: string, receivedAtMs: number, limits: GatewayConfig['limits']): MappedOutcome;
}

/**
 * The ingest path of one device publish, aedes's authorizePublish hook. aedes sends PUBACK
 * when this calls back, so for QoS 1 the readings are on disk first. Read as a sequence:
 *
 *   authorize (ACL) -> check limits -> throttle -> skip resends -> decode -> log -> acknowledge
 *
 * A publish outside the device's own topics closes its connection ([MQTT-3.3.5-2] leaves a
 * 3.1.1 server no other refusal). Anything else a device gets wrong is dead-lettered with the
 * reason and acknowledged: the device stays connected, and the valid readings of a partly
 * bad publish still count.
 */
/** Where ingest hands readings: the reading router. Logged ones reach it from the log's commits. */
export interface ReadingSink {
  /** Readings accepted without a log entry (QoS 0 on the fast path). */
  acceptUnlogged(readings: readonly Reading[]): void;
  /** Whether n more readings can be taken now; past the job's queue bound a publish is refused. */
  hasRoomFor(n: number): boolean;
}

/** What ingest does when the log cannot take a publish. */
export interface IngestPolicies {
  /** At logBytesMax: make room (the windows close their oldest), while publishes are refused. */
  logFull(): void;
  /** An ingest-log write failed (a full disk): the device resends. */
  writeFailed(): void;
}

export interface PublishIngestParts {
  readonly config: GatewayConfig;
  readonly log: IngestLog;
  readonly sink: ReadingSink;
  readonly policies: IngestPolicies;
  readonly deadLetters: BoundedRecordStore<DeadLetter>;
  readonly rate: RateLimiter;
  readonly memo: ResendMemo;
  readonly metrics: GatewayMetrics;
  readonly logger: Logger;
  /** Plain counters the status record carries (prom-client's are async to read). */
  readonly counters: { bytesReceived: number };
}

export class PublishIngest {
  private readonly writeFailureLog = new LogThrottle();
  /** One warning per interval says dead letters are arriving (the metric counts each). */
  private readonly deadLetterLog = new LogThrottle();
  // prom-client hashes a label object on every inc(); the children are bound once here.
  private readonly messagesByQos: { inc(n?: number): void }[];

  private readonly config: GatewayConfig;
  private readonly log: IngestLog;
  private readonly sink: ReadingSink;
  private readonly policies: IngestPolicies;
  private readonly deadLetters: BoundedRecordStore<DeadLetter>;
  private readonly rate: RateLimiter;
  private readonly memo: ResendMemo;
  private readonly metrics: GatewayMetrics;
  private readonly logger: Logger;
  private readonly counters: { bytesReceived: number };

  constructor(parts: PublishIngestParts) {
    ({
      config: this.config,
      log: this.log,
      sink: this.sink,
      policies: this.policies,
      deadLetters: this.deadLetters,
      rate: this.rate,
      memo: this.memo,
      metrics: this.metrics,
      logger: this.logger,
      counters: this.counters,
    } = parts);
    const { config, metrics } = parts;
    this.messagesByQos = ['0', '1', '2'].map((qos) => metrics.messages.labels(qos));
    this.mappings = new PayloadMappings(config.mappings);
  }

  readonly authorizePublish = (client: Client | null, packet: PublishPacket, done: Done): void => {
    if (!client) return done(null); // the broker's own publishes: wills, status records
    const deviceId = deviceOf.get(client) ?? client.id;
    this.messagesByQos[packet.qos].inc();
    const bytes = publishPacketBytes(packet);
    this.metrics.bytesIn.inc(bytes);
    this.counters.bytesReceived += bytes;
    // A device answering a command: for the command desk, not the ingest log (the prefix test
    // first: no string is built per publish on the hot path).
    if (packet.topic.startsWith('commands/') && packet.topic === `commands/${deviceId}/ack`) {
      this.commandAnswered?.(deviceId, packet.payload as Buffer);
      return done(null);
    }
    const topic = parseDeviceTopic(packet.topic);
    // Outside the contract's topics, a payload mapping may know the topic (Tasmota, Zigbee2MQTT...).
    const foreign = topic ? undefined : this.foreignDecoderOf(packet.topic);
    if (!this.authorize(client, deviceId, topic, packet, done)) return;
    if (!this.checkLimits(deviceId, topic, packet, done, foreign !== undefined)) return;
    this.throttle(deviceId, packet, done, () => this.ingest(client, deviceId, topic, packet, done, foreign));
  };

  private readonly mappings: PayloadMappings;

  /**
   * How a topic outside the contract is read, found once per publish: Sparkplug B's namespace,
   * else the first payload mapping whose topic matches; undefined leaves it unmapped.
   */
  private foreignDecoderOf(topic: string): ForeignDecoder | undefined {
    const sparkplug = this.sparkplug;
    if (sparkplug && SparkplugNodes.owns(topic))
      return { name: 'sparkplug', decode: (payload, deviceId, atMs, limits) => sparkplug.handle(topic, payload, deviceId, atMs, limits) };
    const found = this.mappings.find(topic);
    if (!found) return undefined;
    return {
      name: found.mapping.spec.name,
      decode: (payload, deviceId, atMs, limits) => found.mapping.decode(found.captured, payload, deviceId, atMs, limits),
    };
  }
  /** A device's answer to a command (commands/{deviceId}/ack); set by the gateway. */
  commandAnswered?: (deviceId: string, payload: Buffer) => void;
  /** Sparkplug B edge nodes, when the gateway reads them (sparkplug.enabled); set once the broker can send NCMD. */
  sparkplug?: SparkplugNodes;

  /**
   * A connection has closed. After a DISCONNECT the client has every PUBACK, so the device's
   * resend memo is cleared, and the log records where, so that a restart clears it there too.
   */
  readonly clientGone = (client: Client): void => {
    const deviceId = deviceOf.get(client) ?? client.id;
    const clean = (client as unknown as { _disconnected?: boolean })._disconnected === true;
    if (!clean || deviceId === null || !this.memo.has(deviceId)) return;
    this.memo.clear(deviceId);
    this.log.appendCleanDisconnect(deviceId, (error) => {
      if (error) this.logger.warn({ deviceId, error: error.message }, 'clean disconnect not logged; a restart keeps its resend memo');
    });
  };

  private authorize(client: Client, deviceId: string, topic: DeviceTopic | undefined, packet: PublishPacket, done: Done): boolean {
    if (topic && (topic.deviceId !== deviceId || topic.kind === 'commands')) {
      this.metrics.aclDenied.inc({ action: 'publish' });
      this.logger.warn({ deviceId, clientId: client.id, topic: packet.topic }, "publish outside the device's own topics refused");
      done(new Error(`device ${deviceId} may not publish to ${packet.topic}`));
      return false;
    }
    return true;
  }

  private checkLimits(deviceId: string, topic: DeviceTopic | undefined, packet: PublishPacket, done: Done, foreign: boolean): boolean {
    const { payloadBytesMax, topicLevelsMax } = this.config.limits;
    let problem: string | undefined;
    // A topic of the contract has at most 3 levels; a mapped or Sparkplug topic has its own shape; only others need counting.
    const levels = topic
      ? topic.kind === 'telemetry' && topic.metric !== undefined
        ? 3
        : 2
      : foreign
        ? 0
        : packet.topic.split('/').length;
    if (packet.payload.length > payloadBytesMax)
      problem = `payload of ${packet.payload.length} bytes is over payloadBytesMax ${payloadBytesMax}`;
    else if (levels > topicLevelsMax) problem = `topic has ${levels} levels, over topicLevelsMax ${topicLevelsMax}`;
    if (problem === undefined) return true;
    void this.log
      .writeOnly(this.deadLetterOperations(deviceId, packet, [problem]))
      .catch((error) => this.logger.error({ error }, 'dead letter write failed'));
    done(null);
    return false;
  }

  private throttle(deviceId: string, packet: PublishPacket, done: Done, next: () => void, waitedMs = 0): void {
    const waitMs = this.rate.take(deviceId);
    if (waitMs === 0) return next();
    if (packet.qos === 0) {
      this.metrics.rateLimited.inc({ action: 'dropped' });
      return done(null); // best effort: over the rate, QoS 0 is not kept
    }
    if (waitedMs + waitMs > throttleWaitMsMax) {
      this.metrics.rateLimited.inc({ action: 'refused' });
      return done(new Error(`device ${deviceId} is over messagesPerSecondMax ${this.rate.messagesPerSecondMax}`));
    }
    // Holding the acknowledgement slows the device down without losing anything it sent.
    this.metrics.rateLimited.inc({ action: 'throttled' });
    setTimeout(() => this.throttle(deviceId, packet, done, next, waitedMs + waitMs), waitMs);
  }

  private ingest(
    client: Client,
    deviceId: string,
    topic: DeviceTopic | undefined,
    packet: PublishPacket,
    done: Done,
    foreign?: ForeignDecoder,
  ): void {
    const receivedAtMs = Date.now();
    const messageId = packet.qos > 0 ? (packet.messageId ?? 0) : 0;
    const digest = messageId > 0 ? payloadDigest(packet.payload as Uint8Array) : 0;
    const connection = connectionNumber(client);
    if (messageId > 0 && this.memo.isResend(deviceId, connection, messageId, digest, packet.dup, this.log.committedEnd)) {
      this.metrics.duplicates.inc();
      return done(null);
    }
    const decoded = this.decode(client, deviceId, topic, packet, receivedAtMs, foreign);
    if (!decoded.ok) return done(decoded.error);
    const { readings, problems } = decoded;
    const deadLetterOps = problems.length > 0 ? this.deadLetterOperations(deviceId, packet, problems) : noOperations;
    const durable = packet.qos > 0 || this.config.ingest.qos0 === 'durable';
    if (readings.length === 0) {
      void this.log.writeOnly(deadLetterOps).catch((error) => this.logger.error({ error }, 'dead letter write failed'));
      return done(null);
    }
    if (!this.sink.hasRoomFor(readings.length)) return this.refuseBusy(packet, done);
    if (!durable) {
      this.sink.acceptUnlogged(readings);
      if (deadLetterOps.length > 0) void this.log.writeOnly(deadLetterOps).catch(() => {});
      return done(null);
    }
    if (!this.log.hasRoomFor(readings.length * 32)) return this.refuseFull(packet, done);
    const offset = this.log.append(deviceId, messageId, digest, receivedAtMs, readings, deadLetterOps, (error) => {
      if (!error) return done(null);
      this.memo.forget(deviceId, messageId);
      this.metrics.storeWriteFailures.inc({ what: 'ingest' });
      this.policies.writeFailed();
      const held = this.writeFailureLog.take();
      if (held !== undefined)
        this.logger.error(
          { error: error.message, deviceId, heldBack: held },
          'ingest log write failed; the device is not acknowledged and resends',
        );
      done(error);
    });
    // Remembered now, not at commit: a resend can arrive while the original is still in the batch.
    if (messageId > 0) this.memo.remember(deviceId, connection, messageId, digest, offset, receivedAtMs);
  }

  /**
   * The publish's readings: by the contract, as Sparkplug B, or by the mapping its topic matched. A mapped
   * publish for a device the client may not speak for is refused as any ACL breach is (the
   * connection closes); one the mapping ignores (Shelly's NotifyEvent) is acknowledged, counted.
   */
  private decode(
    client: Client,
    deviceId: string,
    topic: DeviceTopic | undefined,
    packet: PublishPacket,
    receivedAtMs: number,
    foreign: ForeignDecoder | undefined,
  ): ({ ok: true } & Decoded) | { ok: false; error: Error | null } {
    const payload = packet.payload as Buffer;
    const { limits } = this.config;
    if (!foreign) return { ok: true, ...decodePayload(packet.topic, payload, receivedAtMs, limits, topic) };
    const outcome = foreign.decode(payload, deviceId, receivedAtMs, limits);
    if (outcome.kind === 'decoded') return { ok: true, ...outcome.decoded };
    if (outcome.kind === 'ignored') {
      this.metrics.mappedIgnored.inc({ mapping: foreign.name });
      return { ok: false, error: null };
    }
    this.metrics.aclDenied.inc({ action: 'publish' });
    this.logger.warn({ deviceId, clientId: client.id, topic: packet.topic, reason: outcome.reason }, 'mapped publish refused');
    return { ok: false, error: new Error(outcome.reason) };
  }

  /** The policy at logBytesMax: close the oldest window to free the log, and refuse meanwhile. */
  private refuseFull(packet: PublishPacket, done: Done): void {
    // A failed write is counted and retried by the window checks; here it only must not escape.
    this.policies.logFull();
    if (packet.qos === 0) {
      this.metrics.qos0Dropped.inc();
      return done(null);
    }
    this.metrics.ingestRefused.inc();
    done(new Error(`ingest log is full (logBytesMax ${this.log.logBytesMax}); retry later`));
  }

  /** The policy when the job's queue is full (it falls behind): refuse, as when the log is full. */
  private refuseBusy(packet: PublishPacket, done: Done): void {
    if (packet.qos === 0) {
      this.metrics.qos0Dropped.inc();
      return done(null);
    }
    this.metrics.ingestRefused.inc();
    done(new Error('the gateway job is behind (batch.queuedReadingsMax readings wait); retry later'));
  }

  private deadLetterOperations(
    deviceId: string,
    packet: PublishPacket | AedesPublishPacket,
    problems: readonly string[],
  ): BatchOperation[] {
    const payloadHead = Buffer.from(packet.payload as Uint8Array)
      .subarray(0, deadLetterPayloadBytesMax)
      .toString('base64');
    const receivedAtMs = Date.now();
    const held = this.deadLetterLog.take(receivedAtMs);
    if (held !== undefined)
      this.logger.warn(
        { deviceId, topic: packet.topic, reason: problems[0], heldBack: held },
        'publish dead-lettered (see fogline-gateway dead-letters; heldBack: dead letters since the last such line)',
      );
    return problems.flatMap((reason) => {
      this.metrics.deadLetters.inc({ reason: reasonLabel(reason) });
      const before = this.deadLetters.dropped;
      const operations = this.deadLetters.append({ receivedAtMs, deviceId, topic: packet.topic, qos: packet.qos, reason, payloadHead });
      if (this.deadLetters.dropped > before) this.metrics.deadLettersDropped.inc();
      return operations;
    });
  }
}
