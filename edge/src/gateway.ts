import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import {
  BoundedRecordStore,
  CredentialStore,
  cloudTopics,
  type DStream,
  measureSublevel,
  RddContext,
  type Reading,
  StreamingContext,
  watchCredentials,
} from '@fogline/shared';
import { type ScheduledTask, schedule, setLogger as setCronLogger } from 'node-cron';
import { type Logger, pino } from 'pino';
import { DevicePresence, presenceDevicesMax } from './broker/device-presence.js';
import { type RunningBroker, startBroker } from './broker/gateway-broker.js';
import { RateLimiter } from './broker/rate-limiter.js';
import { SubscriberAcl } from './broker/subscriber-acl.js';
import { CommandDesk } from './commands/command-desk.js';
import type { GatewayConfig } from './config/gateway-config.js';
import { cleanDisconnectMark, IngestLog, type LogEntry } from './ingest/ingest-log.js';
import { type DeadLetter, PublishIngest } from './ingest/publish-ingest.js';
import { ResendMemo } from './ingest/resend-memo.js';
import { SparkplugNodes, sparkplugNamespace } from './ingest/sparkplug-nodes.js';
import { encodeRebirthRequest } from './ingest/sparkplug-payload.js';
import { createGatewayMetrics, type GatewayMetrics } from './ops/gateway-metrics.js';
import { LogThrottle } from './ops/log-throttle.js';
import { operatorRoutes } from './ops/operator-routes.js';
import { portOf, startOpsServer } from './ops/ops-server.js';
import { JobRunner } from './pipeline/gateway-job.js';
import { ReadingRouter } from './pipeline/reading-router.js';
import { type Alert, RuleEngine } from './pipeline/rules.js';
import { WindowPipeline } from './pipeline/window-pipeline.js';
import { GatewayStore } from './store/gateway-store.js';
import { Outbox } from './store/outbox.js';
import { Uplink } from './uplink/uplink.js';

/** A record as JSON for a dead letter, or its string form when it has none (a cycle, a BigInt). */
function safeJson(record: unknown): string {
  try {
    return JSON.stringify(record) ?? String(record);
  } catch {
    return String(record);
  }
}

/** The resend memo's snapshot is written at most this often (it holds every device's memo). */
export const resendMemoSnapshotIntervalMs = 60_000;

/** How long a stopping gateway waits for the uplink to forward the outbox; what is left stays for next time. */
export const uplinkFlushOnStopMs = 5_000;

/** What a user pipeline module exports by default: a function that wires DStreams. */
export type UserPipeline = (
  readings: DStream<Reading>,
  api: {
    emitAlert(alert: Omit<Alert, 'gatewayId' | 'id'>): void;
    /**
     * Sends a command to one of this gateway's devices, at the edge (closed-loop control): it is
     * delivered as the cloud's are, and its steps are counted in commands_total. Returns its id.
     */
    sendCommand(deviceId: string, name: string, args?: Record<string, unknown>, expiresInMs?: number): string;
    logger: Logger;
  },
) => void;

export interface GatewayPorts {
  readonly mqtt: number;
  readonly tls?: number;
  readonly websocket?: number;
  readonly ops: number;
}

/**
 * One gateway: the embedded broker, the durable ingest path, the event-time windows, rules
 * and user pipelines, the outbox. Start order is the recovery order: open the store, read
 * the checkpoint, replay the log into the windows, and only then accept devices.
 */
export class Gateway {
  private readonly tasks: ScheduledTask[] = [];
  private uplink: Uplink | undefined;
  /** Bytes received from devices and forwarded to the cloud, for the status record and the bandwidth figure. */
  readonly counters = { bytesReceived: 0, bytesForwarded: 0 };
  private readonly streaming: StreamingContext[] = [];
  private stopping: Promise<void> | undefined;

  private constructor(
    readonly config: GatewayConfig,
    readonly logger: Logger,
    readonly metrics: GatewayMetrics,
    readonly store: GatewayStore,
    readonly log: IngestLog,
    readonly outbox: Outbox,
    readonly pipeline: WindowPipeline,
    readonly deadLetters: BoundedRecordStore<DeadLetter>,
    readonly lateReadings: BoundedRecordStore<Reading>,
    readonly credentials: CredentialStore,
    private readonly rdd: RddContext,
    private readonly rules: RuleEngine,
    private readonly memo: ResendMemo,
    private broker?: RunningBroker,
    private ops?: Server,
  ) {}

  static async start(config: GatewayConfig, logger: Logger = pino({ level: config.log.level })): Promise<Gateway> {
    const metrics = createGatewayMetrics();
    const store = await GatewayStore.open(config.dataDir, config.ingest.durability);
    const checkpoint = await store.readCheckpoint();
    const outbox = new Outbox(store, config.outbox.bytesMax, config.outbox.compressAboveBytes, checkpoint.nextSeq, (kind, readings) => {
      metrics.outboxDropped.inc({ kind });
      metrics.outboxDroppedReadings.inc(readings);
    });
    await outbox.init();
    const deadLetters = new BoundedRecordStore<DeadLetter>(store.dead, config.ingest.deadLettersMax);
    const lateReadings = new BoundedRecordStore<Reading>(store.late, config.ingest.lateReadingsMax);
    await deadLetters.init();
    await lateReadings.init();
    const logSize = await measureSublevel(store.log);
    const nextOffset = Math.max(checkpoint.nextOffset, await IngestLog.endOffset(store));
    const log = new IngestLog(store, config.ingest.logBytesMax, {
      nextOffset,
      bytes: logSize.bytes,
      oldestOffset: logSize.firstKey === undefined ? nextOffset : Number(logSize.firstKey),
    });
    const rdd = new RddContext({ defaultParallelism: 1, localDir: config.dataDir });
    const rules = new RuleEngine(config.rules, config.gatewayId);
    const memo = new ResendMemo(config.ingest.resendMemoPerDeviceMax, config.ingest.resendMemoDevicesMax, () =>
      metrics.resendMemoEvicted.inc(),
    );
    let gateway: Gateway | undefined;
    const pipeline = new WindowPipeline(
      store,
      outbox,
      rdd,
      config,
      checkpoint,
      {
        onLate: (reading) => gateway?.recordLate(reading),
        onDuplicate: () => metrics.duplicateReadings.inc(),
        onRefused: (reading, reason) => gateway?.deadLetterRecord(reading, reason),
        onWindowsWritten: (windows, envelopes) =>
          gateway?.afterWindowsWritten(
            windows.length,
            windows.some((w) => w.early),
            envelopes,
          ),
      },
      await store.readWatermarks(),
    );
    gateway = new Gateway(
      config,
      logger,
      metrics,
      store,
      log,
      outbox,
      pipeline,
      deadLetters,
      lateReadings,
      new CredentialStore(config.mqtt.credentialsFile as string),
      rdd,
      rules,
      memo,
    );
    await gateway.startJob(checkpoint.replayFromOffset);
    await gateway.replay(checkpoint, nextOffset);
    await gateway.startServing();
    return gateway;
  }

  private job?: JobRunner;
  private router?: ReadingRouter;

  /** Loads the job and the router that feeds it; the job's state comes back from the store. */
  private async startJob(replayFromOffset: number): Promise<void> {
    const { config, metrics, logger } = this;
    const job = await JobRunner.start(
      config.job,
      this.pipeline,
      this.store,
      {
        gatewayId: config.gatewayId,
        raise: (alerts) => this.raise(alerts),
        rulesEnabled: this.rules.enabled,
        checkRules: (readings, nowMs) => {
          const alerts: Alert[] = [];
          for (const reading of readings) alerts.push(...this.rules.check(reading, nowMs));
          return alerts;
        },
        sendCommand: (deviceId, name, args, expiresInMs) => this.sendCommand(deviceId, name, args, expiresInMs),
        labelsOf: (deviceId) => this.credentials.labels(deviceId) ?? {},
        deadLetter: (record, reason) => this.deadLetterRecord(record, reason),
        batchFailed: (error, batchMs) => {
          metrics.jobBatchesFailed.inc();
          logger.error({ batchMs, error: error.message }, 'job batch failed');
        },
      },
      config.batch.intervalMs,
      logger,
      await this.store.readJobState(),
      replayFromOffset,
    );
    this.job = job;
    this.router = new ReadingRouter(
      job,
      {
        batchIntervalMs: config.batch.intervalMs,
        batchReadingsMax: config.batch.readingsMax,
        queuedReadingsMax: config.batch.queuedReadingsMax,
      },
      (readings) => {
        metrics.readings.inc(readings.length);
        for (const queue of this.userQueues) queue.push(readings);
      },
    );
  }

  /** Waits until every reading acknowledged so far has been through the job into the windows. */
  async settled(): Promise<void> {
    await this.log.settled();
    await this.router?.flushed();
  }

  /** A record the job could not take (a function of it threw, or the windows refused it), dead-lettered with why. */
  private deadLetterRecord(record: unknown, reason: string): void {
    const reading = record as Partial<Reading> | null;
    const deviceId = typeof reading?.deviceId === 'string' ? reading.deviceId : '';
    this.metrics.deadLetters.inc({ reason: 'job' });
    const before = this.deadLetters.dropped;
    const payload = Buffer.from(safeJson(record)).subarray(0, 256).toString('base64');
    const operations = this.deadLetters.append({
      receivedAtMs: Date.now(),
      deviceId,
      topic: '(job)',
      qos: 0,
      reason,
      payloadHead: payload,
    });
    if (this.deadLetters.dropped > before) this.metrics.deadLettersDropped.inc();
    const held = this.jobErrorLog.take();
    if (held !== undefined)
      this.logger.warn({ deviceId, reason, heldBack: held }, 'job dead-lettered a record (see fogline-gateway dead-letters)');
    this.log.writeOnly(operations).catch((error) => this.logger.error({ error: error.message }, 'dead letter write failed'));
  }

  private readonly jobErrorLog = new LogThrottle();

  /** A command at the edge, from a job or a pipeline: delivered as the cloud's are. */
  private sendCommand(deviceId: string, name: string, args: Record<string, unknown> = {}, expiresInMs = 60_000): string {
    const nowMs = Date.now();
    const id = `${this.config.gatewayId}-edge-${randomUUID()}`;
    const command = { id, deviceId, name, args, createdAtMs: nowMs, expiresAtMs: nowMs + expiresInMs };
    this.commandDesk?.accept(Buffer.from(JSON.stringify(command)), nowMs);
    return id;
  }

  /**
   * Rebuilds the open windows from the log after the checkpoint, and the resend memo from its
   * snapshot and the log after that, exactly as it was.
   */
  private async replay(checkpoint: { replayFromOffset: number; nextOffset: number }, nextOffset: number): Promise<void> {
    const { replayFromOffset } = checkpoint;
    const router = this.router as ReadingRouter;
    const snapshot = await this.store.readResendMemo();
    this.memo.restore(snapshot.devices);
    this.memoSnapshotOffset = snapshot.offset;
    let replayed = 0;
    for await (const entry of this.log.readFrom(Math.min(replayFromOffset, snapshot.offset))) {
      if (entry.offset >= snapshot.offset) this.rememberLogged(entry);
      if (entry.offset < replayFromOffset) continue;
      // Alerts of entries below the checkpoint's nextOffset were written before the restart.
      await router.replay(entry.readings, entry.offset, entry.offset < checkpoint.nextOffset);
      replayed++;
    }
    await router.endReplay();
    this.logger.info({ replayed, replayFromOffset, nextOffset }, 'ingest log replayed');
  }

  private rememberLogged(entry: LogEntry): void {
    if (entry.messageId === cleanDisconnectMark) this.memo.clear(entry.deviceId);
    else if (entry.messageId > 0) this.memo.remember(entry.deviceId, 0, entry.messageId, entry.digest, -1);
  }

  private async startServing(): Promise<void> {
    const { config, logger, metrics } = this;
    this.log.onCommitted = (entries) => this.onCommitted(entries);
    // node-cron warns on the console whenever a busy second delays a tick; into our log instead.
    const cron = logger.child({ component: 'node-cron' });
    setCronLogger({
      info: (message) => cron.debug(message),
      warn: (message) => cron.debug(message),
      error: (message) => cron.error(String(message)),
      debug: (message) => cron.trace(String(message)),
    });
    const rate = new RateLimiter(config.limits.messagesPerSecondMax);
    const router = this.router as ReadingRouter;
    const ingest = new PublishIngest({
      config,
      log: this.log,
      sink: {
        acceptUnlogged: (readings) => router.route(readings, Number.POSITIVE_INFINITY),
        hasRoomFor: (n) => router.hasRoomFor(n),
      },
      policies: {
        logFull: () => void this.pipeline.closeOldest().catch(() => {}),
        writeFailed: () => {
          this.pipeline.lastIngestFailureMs = Date.now();
        },
      },
      deadLetters: this.deadLetters,
      rate,
      memo: this.memo,
      metrics,
      logger,
      counters: this.counters,
    });
    if (config.sparkplug.enabled) ingest.sparkplug = this.sparkplugNodes();
    await this.startUserPipelines();
    const presence = new DevicePresence(presenceDevicesMax, () => metrics.presenceForgotten.inc());
    const subscribers = {
      credentials: new CredentialStore(config.mqtt.subscribers.credentialsFile as string),
      acl: config.mqtt.subscribers.aclFile ? SubscriberAcl.fromFile(config.mqtt.subscribers.aclFile) : SubscriberAcl.defaults,
    };
    const desk = new CommandDesk({
      publishToDevice: (deviceId, payload) =>
        this.broker?.aedes.publish({ cmd: 'publish', topic: `commands/${deviceId}`, payload, qos: 1, retain: false, dup: false }, () => {}),
      isConnected: (deviceId) => presence.isConnected(deviceId),
      report: (report) => {
        metrics.commands.inc({ status: report.status });
        this.uplink?.reportCommandStatus(report);
      },
    });
    this.commandDesk = desk;
    presence.onConnected = (deviceId) => desk.deviceConnected(deviceId);
    ingest.commandAnswered = (deviceId, payload) => desk.acknowledged(deviceId, payload);
    this.broker = await startBroker(config, this.credentials, ingest, rate, metrics, logger, {
      presence,
      subscribers,
      commandDelivered: (deviceId, payload) => desk.delivered(deviceId, payload),
    });
    this.subscribersWatch = watchCredentials(
      subscribers.credentials,
      (ids) => this.revoke(ids),
      (error) => logger.error({ error: error.message, file: subscribers.credentials.path }, 'subscribers file not reloaded'),
    );
    this.credentialsWatch = watchCredentials(
      this.credentials,
      (ids) => this.revoke(ids),
      (error) => logger.error({ error: error.message, file: this.credentials.path }, 'credentials file not reloaded'),
    );
    this.ops = await startOpsServer(
      config.ops.host,
      config.ops.port,
      metrics.registry,
      () => this.health(),
      operatorRoutes(
        this.credentials,
        presence,
        this.deadLetters,
        this.lateReadings,
        () => ingest.sparkplug?.list() ?? [],
        () => this.job?.describe() ?? {},
      ),
    );
    this.startUplink();
    this.tasks.push(
      schedule(config.schedules.windowCheck, () => this.checkWindows()),
      schedule(config.schedules.compaction, () => void this.compact()),
      schedule(config.schedules.status, () => this.publishStatus()),
    );
    this.publishStatus();
    logger.info({ gatewayId: config.gatewayId, ports: this.ports, dataDir: config.dataDir }, 'gateway ready');
  }

  /** Sparkplug B edge nodes; a rebirth request goes out on the node's NCMD topic, as a host application sends it. */
  private sparkplugNodes(): SparkplugNodes {
    const { metrics, logger } = this;
    return new SparkplugNodes(
      {
        requestRebirth: (group, node) => {
          metrics.sparkplugRebirthRequests.inc();
          logger.info({ group, node }, 'sparkplug: rebirth requested');
          this.broker?.aedes.publish(
            {
              cmd: 'publish',
              topic: `${sparkplugNamespace}/${group}/NCMD/${node}`,
              payload: Buffer.from(encodeRebirthRequest(Date.now())),
              qos: 0,
              retain: false,
              dup: false,
            },
            () => {},
          );
        },
        seqGap: () => metrics.sparkplugSeqGaps.inc(),
        nodeForgotten: () => metrics.sparkplugNodesForgotten.inc(),
      },
      this.config.sparkplug.clients,
    );
  }

  /** Commands from the cloud on their way to devices. */
  private commandDesk?: CommandDesk;
  private credentialsWatch?: { reload(): void; close(): void };
  private subscribersWatch?: { reload(): void; close(): void };

  /** Re-reads the credentials file now (the CLI calls it on SIGHUP; a change to the file does it by itself). */
  reloadCredentials(): void {
    this.credentialsWatch?.reload();
    this.subscribersWatch?.reload();
  }

  /** Devices removed or given a new secret: their live connections close, and they must log in again. */
  private revoke(deviceIds: readonly string[]): void {
    // A credentialed device's client id is its id (see the broker's authenticate).
    const clients = (this.broker?.aedes as unknown as { clients?: Record<string, { close(): void }> } | undefined)?.clients;
    for (const deviceId of deviceIds) {
      const client = clients?.[deviceId];
      this.metrics.credentialsRevoked.inc();
      if (!client) continue;
      client.close();
      this.logger.warn({ deviceId }, 'device removed or its secret changed: connection closed');
    }
  }

  get ports(): GatewayPorts {
    const broker = this.broker?.ports ?? { mqtt: 0 };
    return { ...broker, ops: this.ops ? portOf(this.ops) : 0 };
  }

  /** Committed log entries go to the router, as QoS 0 readings on the fast path do. */
  private onCommitted(entries: readonly LogEntry[]): void {
    const router = this.router as ReadingRouter;
    for (const entry of entries) router.route(entry.readings, entry.offset);
    if (entries.length > 0) this.metrics.commitBatch.observe(entries.length);
  }

  private raise(alerts: readonly Alert[]): void {
    if (alerts.length === 0) return;
    for (const alert of alerts) {
      this.metrics.alerts.inc({ rule: alert.rule, severity: alert.severity });
      // Also on the gateway's own broker, for local subscribers (Node-RED, a siren): alerts/{deviceId}.
      this.broker?.aedes.publish(
        {
          cmd: 'publish',
          topic: `alerts/${alert.deviceId}`,
          payload: Buffer.from(JSON.stringify(alert)),
          qos: 1,
          retain: false,
          dup: false,
        },
        () => {},
      );
    }
    this.pipeline.writeAlerts(alerts).then(
      () => void this.uplink?.pump(),
      (error) => this.logger.error({ error: error.message }, 'alert write failed'),
    );
  }

  private readonly lateLog = new LogThrottle();

  private recordLate(reading: Reading): void {
    this.metrics.late.inc();
    const held = this.lateLog.take();
    if (held !== undefined)
      this.logger.warn(
        { deviceId: reading.deviceId, metric: reading.metric, ts: reading.ts, heldBack: held },
        'reading arrived after its window closed (see fogline-gateway late; heldBack: late readings since the last such line)',
      );
    const before = this.lateReadings.dropped;
    const operations = this.lateReadings.append(reading);
    if (this.lateReadings.dropped > before) this.metrics.lateDropped.inc();
    this.log.writeOnly(operations).catch((error) => this.logger.error({ error: error.message }, 'late reading write failed'));
  }

  private afterWindowsWritten(windows: number, early: boolean, envelopes: number): void {
    this.metrics.windowsClosed.inc({ cause: early ? 'early' : 'watermark' }, windows);
    this.metrics.envelopes.inc(envelopes);
    void this.uplink?.pump();
    void this.compact();
  }

  private startUplink(): void {
    if (!this.config.uplink) return;
    this.uplink = new Uplink(
      this.config.uplink,
      this.config.gatewayId,
      this.outbox,
      () => Object.fromEntries(this.credentials.list().map((d) => [d.deviceId, d.labels])),
      () => this.health(),
      this.logger.child({ component: 'uplink' }),
      {
        onSent: (record) => {
          this.metrics.uplinkSent.inc({ kind: record.kind });
          this.metrics.bytesForwarded.inc(record.bytes.length);
          this.counters.bytesForwarded += record.bytes.length;
        },
        onConnected: (connected) => this.metrics.uplinkConnected.set(connected ? 1 : 0),
        onCommand: (payload) => this.commandDesk?.accept(payload),
        onReportDropped: () => this.metrics.commandReportsDropped.inc(),
      },
    );
    this.uplink.start();
  }

  /** Runs every second: closes windows the watermark passed or that went idle, and checks silence rules. */
  private checkWindows(): void {
    this.pipeline.closeReady().then(
      () => this.windowWriteRecovered(),
      (error: Error) => this.windowWriteFailed(error),
    );
    if (this.rules.enabled) this.raise(this.rules.checkSilence(Date.now()));
    this.commandDesk?.expire();
    this.metrics.openStates.set(this.pipeline.aggregator.openStateCount);
    const watermarks = this.pipeline.aggregator.watermarkRange();
    if (watermarks) {
      this.metrics.watermarkLow.set(watermarks.lowMs / 1000);
      this.metrics.watermarkHigh.set(watermarks.highMs / 1000);
    }
    this.metrics.logBytes.set(this.log.bytesHeld);
    this.metrics.outboxBytes.set(this.outbox.bytesHeld);
  }

  private readonly windowWriteLog = new LogThrottle();
  private windowWritesFailing = 0;

  private windowWriteFailed(error: Error): void {
    this.metrics.storeWriteFailures.inc({ what: 'windows' });
    this.windowWritesFailing++;
    const held = this.windowWriteLog.take();
    if (held !== undefined)
      this.logger.error(
        { error: error.message, pendingWrites: this.pipeline.pendingWrites },
        'window write failed; retried every window check',
      );
  }

  private windowWriteRecovered(): void {
    if (this.windowWritesFailing === 0) return;
    this.logger.warn({ failedAttempts: this.windowWritesFailing }, 'window writes resumed');
    this.windowWritesFailing = 0;
  }

  /** Where the stored resend memo's snapshot stands: the log from here on completes it. */
  private memoSnapshotOffset = 0;
  private memoSnapshotAtMs = Number.NEGATIVE_INFINITY;

  /**
   * Drops log entries whose readings are all in written windows. The resend memo they also
   * fed is first saved as a snapshot, so a restart still rebuilds it exactly.
   */
  private compact(): Promise<void> {
    // One at a time: two snapshots written out of order could point past compacted entries.
    this.compacting ??= this.compactNow().finally(() => {
      this.compacting = undefined;
    });
    return this.compacting;
  }

  private compacting: Promise<void> | undefined;

  private async compactNow(): Promise<void> {
    const committedEnd = this.log.committedEnd;
    const keepFrom = Math.min(this.pipeline.checkpoint.replayFromOffset, committedEnd);
    if (keepFrom <= this.log.oldestHeld) return;
    try {
      // The snapshot holds every device's memo: taken at most every resendMemoSnapshotIntervalMs,
      // the log behind it waiting that much longer, not at every window write.
      // A log past half its budget cannot wait for the interval.
      const nowMs = Date.now();
      const due = nowMs - this.memoSnapshotAtMs >= resendMemoSnapshotIntervalMs || this.log.bytesHeld > this.log.logBytesMax / 2;
      if (keepFrom > this.memoSnapshotOffset && due) {
        this.memoSnapshotAtMs = nowMs;
        const devices = this.memo.snapshot(committedEnd);
        await this.store.write([this.store.resendMemoOperation({ offset: committedEnd, devices })]);
        this.memoSnapshotOffset = committedEnd;
      }
      await this.log.compactBelow(Math.min(keepFrom, this.memoSnapshotOffset));
    } catch (error) {
      this.logger.error({ error: (error as Error).message }, 'log compaction failed');
    }
  }

  /** The retained status record on the gateway's own broker; the uplink forwards it. */
  private publishStatus(): void {
    this.uplink?.publishStatus();
    const status = { gatewayId: this.config.gatewayId, online: true, atMs: Date.now(), ...this.health() };
    this.broker?.aedes.publish(
      {
        cmd: 'publish',
        topic: cloudTopics.status(this.config.gatewayId),
        payload: Buffer.from(JSON.stringify(status)),
        qos: 0,
        retain: true,
        dup: false,
      },
      () => {},
    );
  }

  health(): Record<string, unknown> {
    const watermarks = this.pipeline.aggregator.watermarkRange();
    return {
      gatewayId: this.config.gatewayId,
      connectedDevices: this.broker?.aedes.connectedClients ?? 0,
      logBytes: this.log.bytesHeld,
      outboxBytes: this.outbox.bytesHeld,
      openWindowStates: this.pipeline.aggregator.openStateCount,
      pendingWindowWrites: this.pipeline.pendingWrites,
      watermarkLowMs: watermarks?.lowMs ?? null,
      watermarkHighMs: watermarks?.highMs ?? null,
      devicesWithEventTime: this.pipeline.aggregator.sourceCount,
      deadLetters: this.deadLetters.size,
      lateReadings: this.lateReadings.size,
      bytesReceivedFromDevices: this.counters.bytesReceived,
      bytesForwarded: this.counters.bytesForwarded,
      uplinkConnected: this.uplink?.connected ?? null,
      uplinkInFlight: this.uplink?.inFlightCount ?? 0,
      commandsWaiting: this.commandDesk?.size ?? 0,
      pipelineBatchesFailed: this.pipelineErrors.count,
      pipelineLastError: this.pipelineErrors.last ?? null,
      jobQueuedReadings: this.router?.queued ?? 0,
      jobBatchesRun: this.job?.batchesRun ?? 0,
      jobBatchesFailed: this.job?.batchesFailed ?? 0,
      jobRecordErrors: this.job?.recordErrors ?? 0,
      jobLastError: this.job?.lastError ?? null,
    };
  }

  private readonly userQueues: { push(items: readonly Reading[]): number }[] = [];
  /** Failed batches of the user pipelines, and the last failure, for /healthz. */
  private readonly pipelineErrors: { count: number; last?: { module: string; message: string; batchMs: number } } = { count: 0 };

  private async startUserPipelines(): Promise<void> {
    for (const { module, batchIntervalMs, schedule: cron } of this.config.pipelines) {
      const loaded = (await import(module)) as { default?: UserPipeline };
      if (typeof loaded.default !== 'function')
        throw new Error(`pipeline ${module}: expected a default export function (readings, api) => void`);
      const ssc = new StreamingContext(new RddContext({ defaultParallelism: 1 }), batchIntervalMs);
      const readings = ssc.queueStream<Reading>(100_000);
      loaded.default(readings, {
        emitAlert: (alert) =>
          this.raise([
            {
              ...alert,
              gatewayId: this.config.gatewayId,
              id: `${this.config.gatewayId}/${alert.rule}/${alert.deviceId}/${alert.metric}/${alert.ts}`,
            },
          ]),
        sendCommand: (deviceId, name, args, expiresInMs) => this.sendCommand(deviceId, name, args, expiresInMs),
        logger: this.logger.child({ pipeline: module }),
      });
      // A failing batch is counted, logged and shown on /healthz; the next batch runs as usual.
      const batchFailed = (error: Error, timeMs: number) => {
        this.pipelineErrors.count++;
        this.pipelineErrors.last = { module, message: error.message, batchMs: timeMs };
        this.metrics.pipelineBatchesFailed.inc();
        this.logger.error({ module, batchMs: timeMs, error: error.message }, 'pipeline batch failed');
      };
      if (cron === undefined) ssc.start(batchFailed);
      else {
        // Scheduled runs: each tick is one batch holding everything committed since the last.
        let batchMs = 0;
        const runScheduledBatch = () => {
          batchMs += batchIntervalMs;
          const timeMs = batchMs;
          ssc.runBatch(timeMs).catch((error: Error) => batchFailed(error, timeMs));
        };
        this.tasks.push(schedule(cron, runScheduledBatch));
      }
      this.streaming.push(ssc);
      this.userQueues.push(readings);
      this.logger.info({ module, batchIntervalMs, schedule: cron }, 'user pipeline started');
    }
  }

  /**
   * Stops accepting devices, then (drain) closes every open window into the outbox, so the
   * outbox holds every reading received; without drain, the next start replays the log.
   */
  stop({ drain = true } = {}): Promise<void> {
    this.stopping ??= (async () => {
      for (const task of this.tasks) await task.stop();
      this.credentialsWatch?.close();
      this.subscribersWatch?.close();
      await this.broker?.close();
      await new Promise<void>((resolve) => (this.ops ? this.ops.close(() => resolve()) : resolve()));
      for (const ssc of this.streaming) {
        await ssc.stop();
        await ssc.rddContext.stop();
      }
      await this.log.settled();
      // What was routed goes through the job first; what only the log holds is replayed next start.
      this.router?.stop();
      await this.router?.flushed();
      if (drain) await this.pipeline.drain();
      await this.pipeline.flushed();
      if (this.uplink) {
        // Give the uplink a moment to forward what the drain wrote; the rest waits in the outbox.
        await this.uplink.flush(uplinkFlushOnStopMs);
        await this.uplink.stop();
      }
      await this.rdd.stop();
      await this.job?.stop();
      await this.compacting; // it may be writing the resend memo's snapshot
      await this.store.close();
      this.logger.info({ drained: drain }, 'gateway stopped');
    })();
    return this.stopping;
  }
}
