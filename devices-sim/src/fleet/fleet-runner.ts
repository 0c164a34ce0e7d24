import { setTimeout as sleep } from 'node:timers/promises';
import type { Emission, Publish } from '../device/emission.js';
import type { SimulatedDevice } from '../device/simulated-device.js';
import type { Profile } from '../profiles/profile-schema.js';
import { SeededRandom } from '../random/seeded-random.js';
import { JsonlFile } from '../report/jsonl-file.js';
import { ReadingTally } from '../report/reading-tally.js';
import type { StatusFigures, StatusLine } from '../report/status-line.js';
import { DeviceLink } from '../transport/device-link.js';
import { Fleet, type FleetSpec } from './fleet.js';
import type { FleetSummary } from './fleet-summary.js';

/** Where the fleet sends: a gateway's MQTT URL, with each device's secret when the gateway asks for one. */
export interface GatewayTarget {
  readonly url: string;
  readonly qos: 0 | 1;
  /** deviceId -> secret; without it devices connect anonymously. */
  readonly secrets?: ReadonlyMap<string, string>;
  readonly ca?: Buffer;
  /** Connections opened at once while the fleet comes up. */
  readonly connectConcurrency: number;
  readonly connectTimeoutMs: number;
  readonly keepaliveS: number;
  readonly inFlightMax: number;
  /** After the last reading, how long to wait for acknowledgements. */
  readonly drainTimeoutMs: number;
}

/** Every so often (simulated time) a fraction of the devices lose their connection at once. */
export interface ReconnectStorms {
  readonly everyMs: number;
  readonly fraction: number;
}

export interface RunOptions {
  readonly fleet: FleetSpec;
  readonly profiles: ReadonlyMap<string, Profile>;
  /** Simulated milliseconds per wall-clock millisecond. */
  readonly speed: number;
  /** Undefined: a dry run, as fast as the machine goes, nothing sent (with recordPath, the readings are in the file). */
  readonly gateway?: GatewayTarget;
  readonly storms?: ReconnectStorms;
  /** Every publish, in order, as {"t", "topic", "payload"} lines. */
  readonly recordPath?: string;
  /** The ground truth: degradation onsets, failures and repairs. */
  readonly truthPath?: string;
  readonly status: StatusLine;
  /** Aborting stops the fleet: what is in flight is drained, and the summary says it stopped early. */
  readonly signal?: AbortSignal;
}

const tickMsMax = 50;
const emissionsPerTurnMax = 5_000;

/**
 * Runs a fleet, as a named sequence of steps: connect every device, pace the emissions on the
 * simulated clock (speed x the wall clock), drain what is in flight, close, and summarize.
 * The emissions themselves come from the Fleet, which knows nothing of the network, so what
 * is sent is the same on every run with the same seed; only when it is sent varies.
 */
export class FleetRunner {
  private readonly fleet: Fleet;
  private readonly links: DeviceLink[] = [];
  private readonly tally = new ReadingTally();
  private readonly record: JsonlFile | undefined;
  private readonly truth: JsonlFile | undefined;
  private readonly counts = {
    publishes: 0,
    telemetry: 0,
    events: 0,
    malformed: 0,
    sent: 0,
    delivered: 0,
    telemetryDelivered: 0,
    undelivered: 0,
    droppedInFlightFull: 0,
    droppedRefused: 0,
    failures: 0,
    repairs: 0,
    onsets: 0,
    connected: 0,
    everConnected: 0,
    refused: 0,
    reconnects: 0,
    storms: 0,
    interrupted: 0,
    errors: 0,
    /** Commands obeyed (service, reboot). */
    commands: 0,
  };
  private readonly refusals = new Map<string, number>();
  private readonly malformedByKind = new Map<string, number>();
  private lastError: string | undefined;
  private connectMs = 0;
  private pacedMs = 0;
  private simulatedNowMs: number;
  private nextStormMs: number;
  private stoppedEarly = false;

  constructor(private readonly options: RunOptions) {
    this.fleet = new Fleet(options.fleet, options.profiles);
    this.record = options.recordPath ? new JsonlFile(options.recordPath) : undefined;
    this.truth = options.truthPath ? new JsonlFile(options.truthPath) : undefined;
    this.simulatedNowMs = options.fleet.startMs;
    this.nextStormMs = options.storms ? options.fleet.startMs + options.storms.everyMs : Number.POSITIVE_INFINITY;
  }

  async run(): Promise<FleetSummary> {
    try {
      await this.connect();
      await this.pace();
      await this.drain();
    } finally {
      await this.close();
    }
    return this.summarize();
  }

  private get stopped(): boolean {
    return this.options.signal?.aborted ?? false;
  }

  /** Command ids each device has obeyed: a command sent again is answered, not done twice. */
  private readonly obeyed = new Map<string, Map<string, { status: string; detail: string }>>();

  /** A command reaches a simulated device: it acts at the simulated now, the ground truth records it, and it answers. */
  private obey(device: SimulatedDevice, payload: Buffer): void {
    let command: { id?: unknown; name?: unknown };
    try {
      command = JSON.parse(payload.toString('utf8'));
    } catch {
      return;
    }
    if (typeof command?.id !== 'string' || typeof command.name !== 'string') return;
    const done = this.obeyed.get(device.id) ?? new Map();
    this.obeyed.set(device.id, done);
    let answer = done.get(command.id);
    if (!answer) {
      answer = device.command(command.name, Math.round(this.simulatedNowMs));
      done.set(command.id, answer);
      this.fleet.reschedule(device);
      this.counts.commands++;
    }
    this.links[device.identity.index]?.answer(JSON.stringify({ id: command.id, ...answer }));
  }

  /** Step 1: open every device's connection, a batch at a time, before the simulated clock starts. */
  private async connect(): Promise<void> {
    const target = this.options.gateway;
    if (!target) return;
    const started = performance.now();
    const devices = this.fleet.devices;
    const reconnectJitter = new SeededRandom(this.options.fleet.seed, 'reconnect');
    for (const device of devices) {
      const id = device.id;
      const secret = target.secrets?.get(id);
      this.links.push(
        new DeviceLink(
          id,
          {
            url: target.url,
            qos: target.qos,
            username: target.secrets ? id : undefined,
            password: secret,
            ca: target.ca,
            keepaliveS: target.keepaliveS,
            reconnectMs: 1000 + Math.floor(reconnectJitter.uniform() * 4000),
            connectTimeoutMs: target.connectTimeoutMs,
            inFlightMax: target.inFlightMax,
          },
          {
            connected: (first) => {
              this.counts.connected++;
              if (first) this.counts.everConnected++;
              else this.counts.reconnects++;
            },
            disconnected: () => {
              this.counts.connected--;
            },
            command: (payload) => this.obey(device, payload),
            refused: (reason) => {
              this.counts.refused++;
              this.refusals.set(reason, (this.refusals.get(reason) ?? 0) + 1);
            },
            error: (reason) => {
              this.counts.errors++;
              this.lastError = reason;
            },
          },
        ),
      );
    }
    for (let i = 0; i < this.links.length && !this.stopped; i += target.connectConcurrency) {
      await Promise.all(this.links.slice(i, i + target.connectConcurrency).map((link) => link.open()));
      this.showStatus(0, 0);
      // Nobody answered the first batch: the URL is wrong or the gateway is down. Waiting a
      // connect timeout per batch would take minutes to say so.
      if (i === 0 && this.counts.everConnected === 0 && this.counts.refused === 0)
        throw new Error(`no device could connect to ${target.url} within ${target.connectTimeoutMs} ms (${this.lastError ?? 'no answer'})`);
    }
    this.connectMs = performance.now() - started;
  }

  /** Step 2: hand out emissions as the simulated clock reaches them; flush late ones once the run's end is reached. */
  private async pace(): Promise<void> {
    const { speed, fleet } = this.options;
    const dryRun = !this.options.gateway;
    const wallStart = performance.now();
    let sentAtLastStatus = this.counts.sent;
    let lastStatusMs = wallStart;
    while (!this.fleet.finished && !this.stopped) {
      const wallNow = performance.now();
      const simulatedNow = dryRun ? Number.POSITIVE_INFINITY : fleet.startMs + (wallNow - wallStart) * speed;
      const until = simulatedNow >= fleet.endMs ? Number.POSITIVE_INFINITY : simulatedNow;
      let handled = 0;
      for (let emission = this.fleet.next(until); emission; emission = this.fleet.next(until)) {
        this.handle(emission);
        if (++handled >= emissionsPerTurnMax) break;
      }
      if (!dryRun) this.simulatedNowMs = Math.min(simulatedNow, fleet.endMs);
      if (!dryRun) this.stormsDue(simulatedNow);
      if (wallNow - lastStatusMs >= 1000) {
        // A dry run sends nothing and has no clock to fall behind: its rate is what it generates.
        const sent = dryRun ? this.counts.publishes : this.counts.sent;
        this.showStatus(
          ((sent - sentAtLastStatus) * 1000) / (wallNow - lastStatusMs),
          dryRun ? 0 : (simulatedNow - this.fleet.peekMs()) / speed,
        );
        sentAtLastStatus = sent;
        lastStatusMs = wallNow;
      }
      if (this.record?.needsDrain) await this.record.drained();
      if (this.truth?.needsDrain) await this.truth.drained();
      if (handled >= emissionsPerTurnMax || dryRun) {
        await new Promise((resolve) => setImmediate(resolve)); // behind: catch up, but let acknowledgements in
        continue;
      }
      const dueInMs = (this.fleet.peekMs() - simulatedNow) / speed;
      await sleep(Math.min(tickMsMax, Math.max(1, dueInMs)));
    }
    this.pacedMs = performance.now() - wallStart;
    this.stoppedEarly = !this.fleet.finished;
  }

  private handle(emission: Emission): void {
    if (emission.kind === 'truth') {
      this.truth?.write(emission.record);
      if (emission.record.event === 'failure') this.counts.failures++;
      else if (emission.record.event === 'repair') this.counts.repairs++;
      else this.counts.onsets++;
      return;
    }
    if (!this.options.gateway) this.simulatedNowMs = Math.max(this.simulatedNowMs, emission.sendAtMs);
    this.counts.publishes++;
    if (emission.topic.startsWith('telemetry/')) this.counts.telemetry++;
    else this.counts.events++;
    if (emission.malformed) {
      this.counts.malformed++;
      this.malformedByKind.set(emission.malformed, (this.malformedByKind.get(emission.malformed) ?? 0) + 1);
    }
    this.record?.write({ t: emission.sendAtMs, topic: emission.topic, payload: emission.payload });
    if (this.options.gateway) this.send(emission);
    else this.delivered(emission);
  }

  private send(emission: Publish): void {
    const link = this.links[emission.deviceIndex];
    const accepted = link.publish(emission.topic, emission.payload, (ok) => {
      if (ok) this.delivered(emission);
      else this.counts.undelivered++;
    });
    if (accepted) this.counts.sent++;
    else if (link.refusedReason) this.counts.droppedRefused++;
    else this.counts.droppedInFlightFull++;
  }

  private delivered(emission: Publish): void {
    this.counts.delivered++;
    if (emission.topic.startsWith('telemetry/')) this.counts.telemetryDelivered++;
    if (emission.readings) this.tally.add(this.fleet.devices[emission.deviceIndex].id, emission.readings);
  }

  /** A reconnect storm: the chosen fraction of devices lose their connection at the same moment. */
  private stormsDue(simulatedNow: number): void {
    const storms = this.options.storms;
    while (storms && simulatedNow >= this.nextStormMs) {
      const pick = new SeededRandom(this.options.fleet.seed, 'storm', this.counts.storms);
      for (const link of this.links) {
        if (pick.chance(storms.fraction) && link.connected) {
          link.interrupt();
          this.counts.interrupted++;
        }
      }
      this.counts.storms++;
      this.nextStormMs += storms.everyMs;
    }
  }

  /** Step 3: wait (a bounded time) for the acknowledgements of what is in flight. */
  private async drain(): Promise<void> {
    const target = this.options.gateway;
    if (!target) return;
    const deadline = performance.now() + target.drainTimeoutMs;
    while (this.inFlight() > 0 && performance.now() < deadline) await sleep(20);
  }

  private inFlight(): number {
    let total = 0;
    for (const link of this.links) total += link.inFlight;
    return total;
  }

  /** Step 4: close connections and files. */
  private async close(): Promise<void> {
    this.showStatus(0, 0);
    this.options.status.finish();
    await Promise.all(this.links.map((link) => link.close(true)));
    await Promise.all([this.record?.close(), this.truth?.close()]);
  }

  private showStatus(sentPerSecond: number, lagMs: number): void {
    const figures: StatusFigures = {
      simulatedMs: this.simulatedNowMs,
      speed: this.options.speed,
      connected: this.counts.connected,
      devices: this.fleet.devices.length,
      sentPerSecond,
      delivered: this.counts.delivered,
      inFlight: this.inFlight(),
      malformed: this.counts.malformed,
      dropped: this.counts.droppedInFlightFull + this.counts.droppedRefused,
      errors: this.counts.errors + this.counts.refused,
      lagMs,
    };
    this.options.status.show(figures, performance.now());
  }

  /** Step 5: what happened, with readings per metric, and per device for exact checks. */
  private summarize(): FleetSummary {
    const { fleet, speed, gateway } = this.options;
    const pacedS = this.pacedMs / 1000;
    const c = this.counts;
    return {
      seed: fleet.seed,
      fleet: fleet.groups.map((g) => `${g.profile}=${g.count}`).join(','),
      target: gateway ? gateway.url : 'dry-run',
      qos: gateway?.qos ?? null,
      speed,
      simulated: {
        startMs: fleet.startMs,
        endMs: Number.isFinite(fleet.endMs) ? fleet.endMs : null,
        reachedMs: this.simulatedNowMs,
        intervalMs: fleet.delivery.intervalMs,
      },
      stoppedEarly: this.stoppedEarly,
      wall: { connectMs: Math.round(this.connectMs), runMs: Math.round(this.pacedMs) },
      devices: { total: this.fleet.devices.length, connected: gateway ? c.everConnected : 0, refused: c.refused },
      publishes: {
        generated: c.publishes,
        telemetry: c.telemetry,
        events: c.events,
        malformed: c.malformed,
        malformedByKind: Object.fromEntries([...this.malformedByKind].sort()),
        sent: gateway ? c.sent : 0,
        delivered: c.delivered,
        undelivered: c.undelivered,
        unacknowledged: gateway ? this.inFlight() : 0,
        dropped: { inFlightFull: c.droppedInFlightFull, refused: c.droppedRefused },
      },
      ratePerSecond: {
        target: gateway ? (this.fleet.devices.length * speed * 1000) / fleet.delivery.intervalMs : null,
        achieved: pacedS > 0 ? c.telemetryDelivered / pacedS : 0,
      },
      groundTruth: { degradationOnsets: c.onsets, failures: c.failures, repairs: c.repairs },
      connections: {
        reconnects: c.reconnects,
        storms: c.storms,
        interrupted: c.interrupted,
        errors: c.errors,
        lastError: this.lastError ?? null,
        refusals: Object.fromEntries(this.refusals),
      },
      readings: { delivered: this.tally.readings, perMetric: this.tally.perMetric() },
      perDevice: this.tally.perDevice(),
    };
  }
}
