import { CredentialStore, RddContext } from '@fogline/shared';
import { type Logger, pino } from 'pino';
import { WebhookDispatcher } from './alerts/webhook-dispatcher.js';
import { type ApiDeps, createApi } from './api/api.js';
import { type HttpListener, listenHttp } from './api/http-server.js';
import { LiveEvents } from './api/live-events.js';
import { LiveFeed } from './api/live-feed.js';
import { overviewOf } from './api/overview.js';
import { ScheduledJobs } from './cluster/scheduled-jobs.js';
import { CommandService, type GatewayPublisher } from './commands/command-service.js';
import type { CloudConfig } from './config/cloud-config.js';
import { type EmbeddedIntake, startEmbeddedIntake } from './intake/embedded-intake.js';
import { type ExternalSubscriber, subscribeExternal } from './intake/external-subscriber.js';
import { observeIntake } from './intake/intake-observers.js';
import { IntakeRouter } from './intake/intake-router.js';
import { exportLake, type LakeTableReport } from './lake/lake-export.js';
import { MaintenanceService } from './maintenance/maintenance-service.js';
import { type CloudMetrics, createCloudMetrics } from './ops/cloud-metrics.js';
import { RateMeter } from './ops/rate-meter.js';
import type { CloudStore } from './store/cloud-store.js';
import { openCloudStore } from './store/open-cloud-store.js';

export interface CloudPorts {
  readonly broker?: number;
  readonly brokerTls?: number;
  readonly http: number;
}

const dayMs = 24 * 3_600_000;

/**
 * The cloud aggregation service, as one node: its intake (the embedded broker, or a worker on
 * an external broker's shared subscription), the HTTP API and dashboard, and the scheduled
 * jobs, over a store that is this node's own (level) or the cluster's (PostgreSQL). In every
 * form a partition is acknowledged only after its merge is committed, so a crash costs a
 * resend, which the store recognises.
 */
export class Cloud {
  private embedded?: EmbeddedIntake;
  private external?: ExternalSubscriber;
  private http?: HttpListener;
  private readonly jobs: ScheduledJobs;
  readonly maintenance: MaintenanceService;
  /** Readings merged per second over the last minute, by every node: the overview's rate. */
  readonly readingsRate = new RateMeter(60);
  readonly live: LiveEvents;
  private readonly liveFeed: LiveFeed;
  private readonly router: IntakeRouter;
  private readonly webhooks: WebhookDispatcher;
  private readonly commands: CommandService;

  /** Publishes to the gateways: on the embedded broker, or through the external one (undefined before either runs). */
  private gatewayPublisher(): GatewayPublisher | undefined {
    const embedded = this.embedded?.broker.aedes;
    if (embedded)
      return (topic, payload) =>
        new Promise((resolve, reject) =>
          embedded.publish({ cmd: 'publish', topic, payload: Buffer.from(payload), qos: 1, retain: false, dup: false }, (error) =>
            error ? reject(error) : resolve(),
          ),
        );
    const client = this.external?.client;
    if (client) return async (topic, payload) => void (await client.publishAsync(topic, payload, { qos: 1 }));
    return undefined;
  }
  private lakeExports: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly config: CloudConfig,
    readonly logger: Logger,
    readonly store: CloudStore,
    readonly metrics: CloudMetrics,
    readonly rdd: RddContext,
  ) {
    this.maintenance = new MaintenanceService(store, rdd, logger, config.maintenance.trainingWindowDays);
    this.live = new LiveEvents({ clientsMax: config.http.liveClientsMax, pendingEventsMax: config.http.livePendingEventsMax }, metrics);
    this.liveFeed = new LiveFeed(this.live, () => overviewOf(store, this.readingsRate, this.maintenance), config.http.liveIntervalMs);
    const { webhookSecret, webhooks } = config.alerting;
    this.webhooks = new WebhookDispatcher(
      webhooks.map((hook) => ({ ...hook, secret: hook.secret ?? webhookSecret })),
      metrics,
      logger.child({ component: 'webhooks' }),
    );
    this.commands = new CommandService(store, () => this.gatewayPublisher(), logger.child({ component: 'commands' }));
    this.router = new IntakeRouter(store, metrics, logger, {
      alertMerged: (alert) => this.webhooks.enqueue(alert),
      commandStatus: (gatewayId, payload) => this.commands.report(gatewayId, payload),
      gatewayOnline: (gatewayId) => this.commands.gatewayOnline(gatewayId),
    });
    this.jobs = new ScheduledJobs(store.cluster, logger);
    observeIntake(store, metrics, logger);
    this.relayLiveEvents();
  }

  /** What any node merged, alerted or scored reaches this node's dashboards. */
  private relayLiveEvents(): void {
    this.store.live.on('merged', ({ readings }) => {
      this.readingsRate.add(readings);
      this.liveFeed.markChanged();
    });
    this.store.live.on('alert', (alert) => {
      this.liveFeed.markChanged();
      this.live.publish('alert', alert);
    });
    this.store.live.on('risk', () => {
      void this.maintenance.loadRanking().then(() => {
        this.liveFeed.markChanged();
        this.live.publish('risk', this.maintenance.summary());
      });
    });
  }

  static async start(config: CloudConfig, logger: Logger = pino({ level: config.log.level })): Promise<Cloud> {
    const store = await openCloudStore(config, logger);
    const metrics = createCloudMetrics({ gatewayStats: () => store.registry.gatewayList() });
    const cloud = new Cloud(config, logger, store, metrics, new RddContext({ defaultParallelism: 2 }));
    try {
      await cloud.startParts();
    } catch (error) {
      await cloud.stop().catch(() => {});
      throw error;
    }
    logger.info({ ports: cloud.ports, node: config.node.id, store: store.kind, broker: config.broker.mode }, 'cloud ready');
    return cloud;
  }

  private async startParts(): Promise<void> {
    const { config, store } = this;
    await store.cluster.start(() => this.nodeDetail());
    await this.maintenance.loadRanking();
    const receive = (topic: string, payload: Uint8Array) => this.router.receive(topic, payload);
    if (config.broker.mode === 'embedded') {
      const credentials = new CredentialStore(config.broker.credentialsFile as string);
      this.embedded = await startEmbeddedIntake(config.broker, credentials, this.metrics, this.logger, receive);
    } else {
      this.external = await subscribeExternal(config.broker, config.node.id, receive, this.logger);
    }
    this.http = await listenHttp(this.api, config.http.host, config.http.port);
    this.liveFeed.start();
    this.jobs.add('retention', config.schedules.retention, () => this.applyRetention());
    this.jobs.add('maintenanceTrain', config.schedules.maintenanceTrain, () => this.maintenance.train());
    this.jobs.add('maintenanceScore', config.schedules.maintenanceScore, () => this.maintenance.score());
    this.jobs.add('lakeExport', config.schedules.lakeExport, () => this.exportLake());
    // Models trained by an earlier run rank devices from the start.
    await this.jobs.runIfLeader('maintenanceScore', () => this.maintenance.score());
  }

  /** What this node reports of itself in /api/v1/cluster. */
  private nodeDetail(): Record<string, unknown> {
    return { http: this.http?.port, broker: this.brokerHealth(), readingsPerSecond: this.readingsRate.perSecond() };
  }

  get ports(): CloudPorts {
    const { ports } = this.embedded?.broker ?? {};
    return { broker: ports?.plaintext, brokerTls: ports?.tls, http: this.http?.port ?? 0 };
  }

  get api() {
    const deps: ApiDeps = {
      store: this.store,
      rdd: this.rdd,
      metrics: this.metrics,
      tokens: { read: this.config.http.readToken, admin: this.config.http.adminToken },
      broker: () => this.brokerHealth(),
      maintenance: this.maintenance,
      readingsRate: this.readingsRate,
      live: this.live,
      sql: this.config.sql,
      commands: this.commands,
      retention: this.config.retention,
      exportLake: () => this.exportLake(),
    };
    return createApi(deps);
  }

  /** Routes one message from a gateway; resolves when it is durably handled (or parked after failing again and again). */
  receive(topic: string, payload: Uint8Array): Promise<void> {
    return this.router.receive(topic, payload);
  }

  /** Re-reads the gateways' credentials now (the CLI calls it on SIGHUP; a change to the file does it by itself). */
  reloadCredentials(): void {
    this.embedded?.reloadCredentials();
  }

  /** Deletes windows, hours and days older than their retention. */
  async applyRetention(nowMs = Date.now()): Promise<number> {
    const { windowsDays, hoursDays, daysDays } = this.config.retention;
    const keepMs = { window: windowsDays * dayMs, hour: hoursDays * dayMs, day: daysDays * dayMs };
    const deleted = await this.store.series.applyRetention(nowMs, keepMs);
    const archivedDeleted = await this.applyArchiveRetention(nowMs);
    this.logger.info({ deleted, archivedDeleted, store: this.store.kind }, 'retention applied');
    return deleted;
  }

  /** Writes the new and changed days of every table to the Parquet lake; one export at a time (a second waits for the first). */
  exportLake(): Promise<LakeTableReport[]> {
    const run = this.lakeExports.then(async () => {
      const { path, lateDays, retentionDays } = this.config.lake;
      const reports = await exportLake(this.store, { dir: path as string, lateDays, retentionDays });
      this.logger.info({ lake: path, reports }, 'lake exported');
      return reports;
    });
    this.lakeExports = run.catch(() => {});
    return run;
  }

  /** Deletes archived envelopes older than retention.archiveDays. */
  async applyArchiveRetention(nowMs = Date.now()): Promise<number> {
    return this.store.archive.applyRetention(nowMs - this.config.retention.archiveDays * dayMs);
  }

  private brokerHealth(): Record<string, unknown> {
    if (this.embedded) return { mode: 'embedded', connectedGateways: this.embedded.broker.aedes.connectedClients };
    return {
      mode: 'external',
      connected: this.external?.client.connected ?? false,
      clientId: this.external?.clientId,
      sharedGroup: this.config.broker.sharedGroup,
    };
  }

  async stop(): Promise<void> {
    this.liveFeed.stop();
    await this.jobs.stop();
    await this.http?.close();
    await this.embedded?.close();
    await this.external?.close();
    await this.webhooks.stop();
    await this.store.cluster.stop();
    await this.rdd.stop();
    await this.store.close();
  }
}
