import type { Server as HttpServer } from 'node:http';
import type { Server } from 'node:net';
import { CredentialStore, cloudTopics, RddContext, watchCredentials } from '@fogline/shared';
import { type ServerType, serve } from '@hono/node-server';
import mqtt, { type MqttClient } from 'mqtt';
import { type ScheduledTask, schedule } from 'node-cron';
import { type Logger, pino } from 'pino';
import { type ApiDeps, createApi } from './api/api.js';
import { LiveEvents } from './api/live-events.js';
import { LiveFeed } from './api/live-feed.js';
import { overviewOf } from './api/overview.js';
import type { CloudConfig } from './config/cloud-config.js';
import { type CloudBroker, startCloudBroker } from './intake/cloud-broker.js';
import { observeIntake } from './intake/intake-observers.js';
import { IntakeStore } from './intake/intake-store.js';
import { PoisonGuard } from './intake/poison-guard.js';
import { MaintenanceService } from './maintenance/maintenance-service.js';
import { type CloudMetrics, createCloudMetrics } from './ops/cloud-metrics.js';
import { RateMeter } from './ops/rate-meter.js';

export interface CloudPorts {
  readonly broker?: number;
  readonly brokerTls?: number;
  readonly http: number;
}

/**
 * The cloud aggregation service: receives what gateways publish (on its embedded broker, or
 * by subscribing on an external one), merges partitions exactly once into its store, and
 * serves the HTTP API. In both modes a partition is acknowledged only after its merge is on
 * disk, so a crash costs a resend, which the store recognises.
 */
export class Cloud {
  private broker?: CloudBroker;
  private external?: MqttClient;
  private http?: ServerType;
  private retentionTask?: ScheduledTask;
  private maintenanceTasks: ScheduledTask[] = [];
  readonly maintenance: MaintenanceService;
  /** Readings merged per second over the last minute: the overview's rate. */
  readonly readingsRate = new RateMeter(60);
  readonly live: LiveEvents;
  private readonly liveFeed: LiveFeed;
  private readonly poisonGuard: PoisonGuard;

  private constructor(
    readonly config: CloudConfig,
    readonly logger: Logger,
    readonly store: IntakeStore,
    readonly metrics: CloudMetrics,
    readonly credentials: CredentialStore,
    readonly rdd: RddContext,
  ) {
    this.maintenance = new MaintenanceService(store, rdd, logger);
    this.live = new LiveEvents({ clientsMax: config.http.liveClientsMax, pendingEventsMax: config.http.livePendingEventsMax }, metrics);
    this.liveFeed = new LiveFeed(this.live, () => overviewOf(store, this.readingsRate, this.maintenance), config.http.liveIntervalMs);
    observeIntake(store, metrics, logger);
    this.poisonGuard = new PoisonGuard((topic, reason, payload) => store.park(topic, reason, payload));
    store.events.on('merged', ({ readings }) => {
      this.readingsRate.add(readings);
      this.liveFeed.markChanged();
    });
    store.events.on('alert', (alert) => {
      this.liveFeed.markChanged();
      this.live.publish('alert', alert);
    });
    this.maintenance.events.on('scored', (summary) => {
      this.liveFeed.markChanged();
      this.live.publish('risk', summary);
    });
  }

  static async start(config: CloudConfig, logger: Logger = pino({ level: config.log.level })): Promise<Cloud> {
    const store = await IntakeStore.open(config.dataDir, config.intake.durability);
    const cloud = new Cloud(
      config,
      logger,
      store,
      createCloudMetrics(),
      new CredentialStore(config.broker.credentialsFile as string),
      new RddContext({ defaultParallelism: 2 }),
    );
    if (config.broker.mode === 'embedded') await cloud.startEmbeddedBroker();
    else await cloud.subscribeExternal();
    await cloud.startHttp();
    cloud.liveFeed.start();
    cloud.retentionTask = schedule(config.schedules.retention, () => void cloud.applyRetention());
    const quietly = (what: string, run: () => Promise<unknown>) => () =>
      void run().catch((error: Error) => logger.error({ error: error.message }, `${what} failed`));
    cloud.maintenanceTasks = [
      schedule(
        config.schedules.maintenanceTrain,
        quietly('maintenance training', () => cloud.maintenance.train()),
      ),
      schedule(
        config.schedules.maintenanceScore,
        quietly('maintenance scoring', () => cloud.maintenance.score()),
      ),
    ];
    await cloud.maintenance.score(); // models trained by an earlier run rank devices from the start
    logger.info({ ports: cloud.ports, dataDir: config.dataDir, broker: config.broker.mode }, 'cloud ready');
    return cloud;
  }

  get ports(): CloudPorts {
    const address = (server?: { address(): unknown }) => (server?.address() as { port: number } | null)?.port;
    return { broker: this.broker?.ports.plaintext, brokerTls: this.broker?.ports.tls, http: address(this.http as unknown as Server) ?? 0 };
  }

  get api() {
    const deps: ApiDeps = {
      store: this.store,
      rdd: this.rdd,
      metrics: this.metrics,
      token: this.config.http.token,
      broker: () => this.brokerHealth(),
      maintenance: this.maintenance,
      readingsRate: this.readingsRate,
      live: this.live,
    };
    return createApi(deps);
  }

  /** Routes one message from a gateway; resolves when it is durably handled (or parked after failing again and again). */
  async receive(topic: string, payload: Uint8Array): Promise<void> {
    const outcome = await this.poisonGuard.run(topic, payload, () => this.route(topic, payload));
    if (outcome === 'parked') {
      this.metrics.parked.inc();
      this.logger.error({ topic }, 'message parked after failing intake again and again');
    }
  }

  private async route(topic: string, payload: Uint8Array): Promise<void> {
    const [, , gatewayId, kind] = topic.split('/');
    this.metrics.bytesIn.inc(payload.length);
    if (kind === 'partitions') {
      const outcome = await this.store.apply(topic, payload);
      this.metrics.envelopes.inc({ outcome });
    } else if (kind === 'alerts') {
      const outcome = await this.store.applyAlert(gatewayId, payload);
      this.metrics.alerts.inc({ outcome });
    } else if (kind === 'status' || kind === 'devices') {
      // A malformed record is dead-lettered with the reason; the gateway stays connected.
      let record: unknown;
      try {
        record = JSON.parse(Buffer.from(payload).toString('utf8'));
      } catch (error) {
        return this.store.reject(topic, `${kind} record is not valid JSON (${(error as Error).message})`, payload);
      }
      if (typeof record !== 'object' || record === null || Array.isArray(record)) {
        return this.store.reject(topic, `${kind} record was ${JSON.stringify(record)}, expected an object`, payload);
      }
      if (kind === 'status') await this.store.putStatus(gatewayId, { ...record, receivedAtMs: Date.now() });
      else await this.store.putRegistry(gatewayId, record as Record<string, Record<string, string>>);
    }
  }

  private async startEmbeddedBroker(): Promise<void> {
    this.broker = await startCloudBroker(this.config.broker, this.credentials, this.metrics, this.logger, (topic, payload) =>
      this.receive(topic, payload),
    );
    this.credentialsWatch = watchCredentials(
      this.credentials,
      (ids) => {
        const closed = this.broker?.disconnect(ids) ?? 0;
        this.logger.warn({ gateways: ids, connectionsClosed: closed }, 'gateways removed or given a new secret');
      },
      (error) => this.logger.error({ error: error.message, file: this.credentials.path }, 'gateway credentials not reloaded'),
    );
  }

  private credentialsWatch?: { reload(): void; close(): void };

  /** Re-reads the gateways' credentials now (the CLI calls it on SIGHUP; a change to the file does it by itself). */
  reloadCredentials(): void {
    this.credentialsWatch?.reload();
  }

  private async subscribeExternal(): Promise<void> {
    const { url, username, password, clientId } = this.config.broker;
    const client = mqtt.connect(url as string, { clientId, clean: false, username, password, reconnectPeriod: 1000 });
    // MQTT.js sends PUBACK after handleMessage calls back: after the merge is on disk.
    client.handleMessage = (packet, callback) => {
      const publish = packet as { topic: string; payload: Buffer };
      this.receive(publish.topic, publish.payload).then(
        () => callback(),
        (error: Error) => {
          this.logger.error({ error: error.message }, 'intake failed');
          callback(error);
        },
      );
    };
    client.on('error', (error) => this.logger.warn({ error: error.message }, 'external broker error'));
    this.external = client;
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
    // Subscribed before start() resolves, so nothing a gateway publishes next is missed; the
    // persistent session (clean: false) keeps the subscriptions across reconnects.
    await client.subscribeAsync([cloudTopics.allPartitions, cloudTopics.allAlerts, cloudTopics.allStatus, 'fogline/v1/+/devices'], {
      qos: 1,
    });
    this.logger.info({ url }, 'subscribed on the external broker');
  }

  private async startHttp(): Promise<void> {
    const { host, port } = this.config.http;
    const app = this.api;
    await new Promise<void>((resolve, reject) => {
      this.http = serve({ fetch: app.fetch, hostname: host, port }, () => resolve());
      (this.http as unknown as Server).once('error', (error: NodeJS.ErrnoException) =>
        reject(error.code === 'EADDRINUSE' ? new Error(`port ${port} is in use; choose another with http.port or --http-port`) : error),
      );
    });
  }

  /** Deletes windows, hours and days older than their retention. */
  async applyRetention(nowMs = Date.now()): Promise<number> {
    const { windowsDays, hoursDays, daysDays } = this.config.retention;
    const day = 24 * 3_600_000;
    const deleted = await this.store.applyRetention(nowMs, { window: windowsDays * day, hour: hoursDays * day, day: daysDays * day });
    this.logger.info({ deleted }, 'retention applied');
    return deleted;
  }

  private brokerHealth(): Record<string, unknown> {
    return this.broker
      ? { mode: 'embedded', connectedGateways: this.broker.aedes.connectedClients }
      : { mode: 'external', connected: this.external?.connected ?? false };
  }

  async stop(): Promise<void> {
    this.liveFeed.stop();
    await this.retentionTask?.stop();
    for (const task of this.maintenanceTasks) await task.stop();
    await new Promise<void>((resolve) => {
      if (!this.http) return resolve();
      this.http.close(() => resolve());
      // Dashboards hold their event streams open: close() alone would wait for them forever.
      (this.http as unknown as HttpServer).closeAllConnections();
    });
    this.credentialsWatch?.close();
    await this.broker?.close();
    if (this.external) await this.external.endAsync();
    await this.rdd.stop();
    await this.store.close();
  }
}
