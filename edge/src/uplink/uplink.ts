import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { cloudTopics } from '@fogline/shared';
import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { GatewayConfig } from '../config/gateway-config.js';
import { LogThrottle } from '../ops/log-throttle.js';
import type { Outbox, OutboxRecord } from '../store/outbox.js';

type UplinkConfig = NonNullable<GatewayConfig['uplink']>;

export interface UplinkEvents {
  onSent(record: OutboxRecord): void;
  onConnected(connected: boolean): void;
  /** A command for one of this gateway's devices, from the cloud. */
  onCommand?(payload: Buffer): void;
  /** A command status report dropped at commandReportsMax while the cloud was out of reach. */
  onReportDropped?(): void;
}

/** Command status reports kept while the cloud is out of reach, at most; past it the oldest is dropped (counted). */
export const commandReportsMax = 10_000;

/** How long a stopping uplink waits for the PUBACK of its offline status, and then for its connection to close, at most. */
export const offlineStatusWaitMsMax = 2000;

/**
 * Drains the outbox to the cloud broker over MQTT at QoS 1: alerts first, then partitions,
 * older before newer, at most inFlightMax unacknowledged. A record leaves the outbox only when
 * its PUBACK arrives; after a disconnect everything still in the outbox is sent again, and the
 * cloud skips the (gatewayId, seq) it has already merged. The level outbox, not MQTT.js's
 * in-memory store, is the source of truth (that store is slow to replay and can lose
 * messages published during the replay), so each connection is a fresh client.
 *
 * Reconnects back off exponentially with jitter, from reconnectMsMin to reconnectMsMax. The
 * connection's will marks the gateway offline (retained), and each connect publishes the
 * status (online) and the device registry with its labels (retained).
 */
/** Unconfirmed records kept, at most, as a multiple of inFlightMax (see keepUnconfirmed). */
export const unconfirmedPerInFlightMax = 10;

export class Uplink {
  private client: MqttClient | undefined;
  private readonly inFlight = new Set<string>();
  /** Sent on a connection that closed before their acknowledgement: maybe merged, so never dropped; sent again. */
  private readonly unconfirmed = new Set<string>();
  /** Set while the pump reads the outbox: what was removed meanwhile (see pump). */
  private removedDuringNext?: Set<string>;
  private pumping = false;
  private readonly readFailureLog = new LogThrottle();
  private stopped = false;
  private attempt = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private tokens: number;
  private tokensAtMs = Date.now();

  constructor(
    private readonly config: UplinkConfig,
    private readonly gatewayId: string,
    private readonly outbox: Outbox,
    private readonly registry: () => Record<string, Readonly<Record<string, string>>>,
    private readonly status: () => Record<string, unknown>,
    private readonly logger: Logger,
    private readonly events: UplinkEvents,
  ) {
    this.tokens = config.bandwidthBytesPerSecondMax;
    // The outbox must not drop what is on its way: the cloud may merge it.
    outbox.keeps = (id) => this.inFlight.has(id) || this.unconfirmed.has(id);
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  get inFlightCount(): number {
    return this.inFlight.size;
  }

  start(): void {
    this.connect();
  }

  private connect(): void {
    if (this.stopped) return;
    const { url, username, password, caFile, certFile, keyFile } = this.config;
    const client = mqtt.connect(url, {
      clientId: `fogline-gateway-${this.gatewayId}`,
      clean: true,
      reconnectPeriod: 0, // reconnects are ours: backoff with jitter, and a fresh client each time
      connectTimeout: 10_000,
      username,
      password,
      ca: caFile ? readFileSync(caFile) : undefined,
      cert: certFile ? readFileSync(certFile) : undefined,
      key: keyFile ? readFileSync(keyFile) : undefined,
      will: {
        topic: cloudTopics.status(this.gatewayId),
        payload: Buffer.from(JSON.stringify({ gatewayId: this.gatewayId, online: false })),
        qos: 1,
        retain: true,
      },
    });
    this.client = client;
    client.on('connect', () => {
      this.attempt = 0;
      this.events.onConnected(true);
      this.logger.info({ url }, 'uplink connected');
      this.publishRetained(cloudTopics.devices(this.gatewayId), this.registry());
      this.publishStatus();
      // Commands for the devices: a clean session subscribes again at each connection.
      client.subscribe(cloudTopics.commands(this.gatewayId), { qos: 1 }, (error) => {
        if (error) this.logger.warn({ error: error.message }, 'uplink: not subscribed to commands');
      });
      this.flushReports();
      void this.pump();
    });
    client.on('message', (topic, payload) => {
      if (topic === cloudTopics.commands(this.gatewayId)) this.events.onCommand?.(payload);
    });
    client.on('error', (error) => this.logger.warn({ error: error.message }, 'uplink error'));
    client.on('close', () => {
      if (this.client !== client) return;
      this.keepUnconfirmed();
      this.inFlight.clear();
      this.events.onConnected(false);
      client.removeAllListeners();
      client.end(true);
      this.client = undefined;
      this.scheduleReconnect();
    });
  }

  /**
   * What was in flight when a connection closed may have been merged, its acknowledgement lost
   * with the connection. Kept (never dropped at outbox.bytesMax) until a later connection has
   * it acknowledged; at most unconfirmedMax, the oldest forgotten past it.
   */
  private keepUnconfirmed(): void {
    for (const id of this.inFlight) this.unconfirmed.add(id);
    const max = this.config.inFlightMax * unconfirmedPerInFlightMax;
    for (const id of this.unconfirmed) {
      if (this.unconfirmed.size <= max) break;
      this.unconfirmed.delete(id);
    }
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    const { reconnectMsMin, reconnectMsMax } = this.config;
    const ceiling = Math.min(reconnectMsMax, reconnectMsMin * 2 ** this.attempt);
    const delayMs = Math.round(ceiling * (0.5 + Math.random() * 0.5)); // jitter: a fleet does not reconnect in step
    this.attempt++;
    this.reconnectTimer = setTimeout(() => this.connect(), delayMs);
  }

  /** Publishes the retained status record (online, with health figures). */
  private readonly reports: object[] = [];

  /** A step of a command, reported to the cloud now, or when the uplink is connected again. */
  reportCommandStatus(report: object): void {
    this.reports.push(report);
    if (this.reports.length > commandReportsMax) {
      this.reports.shift();
      this.events.onReportDropped?.();
    }
    this.flushReports();
  }

  private flushReports(): void {
    const client = this.client;
    if (!client?.connected) return;
    for (const report of this.reports.splice(0))
      client.publish(cloudTopics.commandStatus(this.gatewayId), JSON.stringify(report), { qos: 1 }, (error) => {
        if (error) this.reports.push(report); // the next connection sends it
      });
  }

  publishStatus(): void {
    this.publishRetained(cloudTopics.status(this.gatewayId), {
      gatewayId: this.gatewayId,
      online: true,
      atMs: Date.now(),
      ...this.status(),
    });
  }

  private publishRetained(topic: string, body: unknown): void {
    if (this.client?.connected) this.client.publish(topic, JSON.stringify(body), { qos: 1, retain: true });
  }

  /** Sends what the outbox holds, inFlightMax at a time; call it when the outbox gains records. */
  async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.client?.connected && !this.stopped) {
        const room = this.config.inFlightMax - this.inFlight.size;
        if (room <= 0) return; // an acknowledgement resumes the pump
        // next() reads a snapshot: a record acknowledged and removed while it runs would be
        // in it, and out of inFlight, so it is filtered out here rather than sent twice.
        const removedMeanwhile = new Set<string>();
        this.removedDuringNext = removedMeanwhile;
        // next() reserves what it returns in inFlight, so the outbox cannot drop it on the way.
        const read = await this.outbox.next(room, this.inFlight);
        this.removedDuringNext = undefined;
        const records = read.filter((r) => {
          if (!removedMeanwhile.has(r.id)) return true;
          this.inFlight.delete(r.id); // acknowledged and removed while next() read: not again
          return false;
        });
        if (records.length === 0) return;
        for (const [i, record] of records.entries()) {
          await this.waitForBandwidth(record.bytes.length);
          if (!this.send(record)) {
            for (const unsent of records.slice(i)) this.inFlight.delete(unsent.id);
            return;
          }
        }
      }
    } catch (error) {
      // The store may be reopening after a failed write (a full disk): the next acknowledgement,
      // window or reconnect pumps again.
      if (this.readFailureLog.take() !== undefined)
        this.logger.warn({ error: (error as Error).message }, 'uplink could not read the outbox');
    } finally {
      this.pumping = false;
    }
  }

  private send(record: OutboxRecord): boolean {
    const client = this.client;
    if (!client?.connected) return false;
    // A reconnect clears the reservations: the outbox may have dropped it since (counted).
    if (this.outbox.wasDropped(record.id)) return true;
    const topic =
      record.kind === 'alert' ? cloudTopics.alerts(this.gatewayId) : cloudTopics.partition(this.gatewayId, record.partition ?? 0);
    this.inFlight.add(record.id);
    client.publish(topic, Buffer.from(record.bytes), { qos: 1 }, (error) => {
      if (this.client !== client) return; // that connection is gone; the record is sent again
      if (error) {
        this.inFlight.delete(record.id);
        return;
      }
      // In flight until it is gone from the outbox: a pump in between would send it again.
      this.outbox.remove(record).then(
        () => {
          this.inFlight.delete(record.id);
          this.unconfirmed.delete(record.id);
          this.removedDuringNext?.add(record.id);
          this.events.onSent(record);
          void this.pump();
        },
        (removeError: Error) => {
          this.inFlight.delete(record.id);
          this.logger.error({ error: removeError.message }, 'outbox delete failed');
        },
      );
    });
    return true;
  }

  private async waitForBandwidth(bytes: number): Promise<void> {
    const max = this.config.bandwidthBytesPerSecondMax;
    if (max === 0) return;
    for (;;) {
      const now = Date.now();
      this.tokens = Math.min(max, this.tokens + ((now - this.tokensAtMs) * max) / 1000);
      this.tokensAtMs = now;
      // A record larger than a second's budget goes alone once the bucket is full.
      if (this.tokens >= Math.min(bytes, max)) {
        this.tokens -= bytes;
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.ceil(((Math.min(bytes, max) - this.tokens) * 1000) / max)));
    }
  }

  /** Waits until the outbox is empty and nothing is in flight, or timeoutMs passes; true if drained. */
  async flush(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      void this.pump();
      if (this.inFlight.size === 0 && (await this.outbox.size()) === 0) return true;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return false;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    client.removeAllListeners('close');
    if (client.connected) {
      const offline = client
        .publishAsync(cloudTopics.status(this.gatewayId), JSON.stringify({ gatewayId: this.gatewayId, online: false, atMs: Date.now() }), {
          qos: 1,
          retain: true,
        })
        .catch(() => {});
      // A connection that breaks now would leave this PUBACK pending for good (this client never
      // reconnects): the will says offline anyway.
      await Promise.race([offline, sleep(offlineStatusWaitMsMax)]);
    }
    // Forced: what is still in flight stays in the outbox, which is the source of truth. And
    // bounded: MQTT.js never calls back the end of a connection that broke meanwhile.
    await Promise.race([client.endAsync(true), sleep(offlineStatusWaitMsMax)]);
  }
}
