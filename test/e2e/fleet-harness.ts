import { type MetricState, quantileRelativeAccuracy } from '@fogline/shared';
import mqtt, { type MqttClient } from 'mqtt';
import { expect } from 'vitest';
import { cloudCli, gatewayCli, type Running, runCli, startProcess, stopProcess, tempDir, writeYaml } from './processes.js';

export interface SentReading {
  readonly deviceId: string;
  readonly ts: number;
  readonly value: number;
}

/**
 * A cloud process and one gateway process with devices, restartable, for failure drills. Every
 * device publishes at QoS 1 and resends what was not acknowledged (MQTT.js), so a reading in
 * `sent` was acknowledged by the gateway: the cloud must count each exactly once.
 */
export class FleetHarness {
  readonly processes: Running[] = [];
  readonly sent: SentReading[] = [];
  cloud!: Running;
  gateway!: Running;
  private clients: { deviceId: string; client: MqttClient }[] = [];
  private cloudConfig = '';
  private gatewayConfig = '';
  private cloudPorts: string[] = [];
  private gatewayPorts: string[] = [];
  private round = 0;
  readonly base = Math.floor((Date.now() - 3_600_000) / 1000) * 1000;
  readonly metric = `temp_${Math.random().toString(36).slice(2, 8)}`;

  constructor(
    readonly devices: readonly string[] = ['atm-1', 'atm-2', 'motor-1'],
    /** Gateway config sections replacing the harness's own (outbox, limits, ...). */
    private readonly gatewayOverrides: Record<string, unknown> = {},
  ) {}

  async start(): Promise<void> {
    const cloudDir = tempDir('drill-cloud');
    this.cloudConfig = writeYaml(cloudDir, 'cloud.yaml', {
      dataDir: cloudDir,
      broker: { port: 0 },
      http: { port: 0 },
      log: { level: 'info' },
    });
    const { secret } = JSON.parse(await runCli(cloudCli, ['gateways', 'add', 'gw-drill', '-c', this.cloudConfig]));
    await this.startCloud();
    this.cloudPorts = ['--broker-port', String(this.cloud.ports.broker), '--http-port', String(this.cloud.ports.http)];
    const gatewayDir = tempDir('drill-gateway');
    this.gatewayConfig = writeYaml(gatewayDir, 'gateway.yaml', {
      gatewayId: 'gw-drill',
      dataDir: gatewayDir,
      mqtt: { port: 0, allowAnonymous: true },
      ops: { port: 0 },
      limits: { messagesPerSecondMax: 100_000 },
      windows: { sizeMs: 1_000, allowedLatenessMs: 2_000, idleCloseMs: 1_000 },
      uplink: {
        url: `mqtt://127.0.0.1:${this.cloud.ports.broker}`,
        username: 'gw-drill',
        password: secret,
        reconnectMsMin: 100,
        reconnectMsMax: 1_000,
      },
      log: { level: 'info' },
      ...this.gatewayOverrides,
    });
    await this.startGateway();
    this.gatewayPorts = ['--mqtt-port', String(this.gateway.ports.mqtt), '--ops-port', String(this.gateway.ports.ops)];
    this.clients = await Promise.all(
      this.devices.map(async (deviceId) => ({
        deviceId,
        client: await mqtt.connectAsync(`mqtt://127.0.0.1:${this.gateway.ports.mqtt}`, {
          clientId: deviceId,
          clean: false,
          reconnectPeriod: 100,
        }),
      })),
    );
  }

  async startCloud(): Promise<void> {
    this.cloud = await startProcess(cloudCli, ['-c', this.cloudConfig, ...this.cloudPorts], 'cloud ready');
    this.processes.push(this.cloud);
  }

  async startGateway(): Promise<void> {
    this.gateway = await startProcess(gatewayCli, ['-c', this.gatewayConfig, ...this.gatewayPorts], 'gateway ready');
    this.processes.push(this.gateway);
  }

  /** One round: every device publishes one reading (one second of event time); resolves on all PUBACKs. */
  async publishRound(): Promise<void> {
    const round = this.round++;
    await Promise.all(
      this.clients.map(async ({ deviceId, client }) => {
        const reading = {
          deviceId,
          ts: this.base + round * 100,
          value: Math.round((20 + ((round * 7 + deviceId.length) % 50) / 10) * 100) / 100,
        };
        await client.publishAsync(`telemetry/${deviceId}/${this.metric}`, JSON.stringify({ ts: reading.ts, value: reading.value }), {
          qos: 1,
        });
        this.sent.push(reading);
      }),
    );
  }

  /** Publishes rounds, about 200 a second (a fleet's pace, not a flood), until `ms` have passed. */
  async publishFor(ms: number): Promise<void> {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      await this.publishRound();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  /**
   * Stops the devices, waits until the gateway has forwarded its whole outbox (after an outage
   * that can take a while), then stops the gateway gracefully.
   */
  async finish(): Promise<void> {
    await Promise.all(this.clients.map(({ client }) => client.endAsync()));
    const deadline = Date.now() + 60_000;
    for (;;) {
      const health = (await (await fetch(`http://127.0.0.1:${this.gateway.ports.ops}/healthz`)).json()) as {
        outboxBytes: number;
        openWindowStates: number;
      };
      if (health.outboxBytes === 0 && health.openWindowStates === 0) break;
      if (Date.now() > deadline) throw new Error(`the gateway's outbox still holds ${health.outboxBytes} bytes`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(await stopProcess(this.gateway)).toBe(0);
  }

  /** The cloud's per-device figures must equal those of the acknowledged readings. */
  async expectExactTotals(): Promise<void> {
    const response = await fetch(`http://127.0.0.1:${this.cloud.ports.http}/api/v1/fleet?metric=${this.metric}&groupBy=device`);
    const { groups } = (await response.json()) as { groups: Record<string, ReturnType<MetricState['summary']>> };
    for (const deviceId of this.devices) {
      const values = this.sent.filter((r) => r.deviceId === deviceId).map((r) => r.value);
      const sorted = values.slice().sort((a, b) => a - b);
      const got = groups[deviceId];
      expect({ deviceId, count: got?.count, min: got?.min, max: got?.max }).toEqual({
        deviceId,
        count: values.length,
        min: sorted[0],
        max: sorted.at(-1),
      });
      const sum = values.reduce((a, b) => a + b, 0);
      expect(Math.abs(got.sum - sum)).toBeLessThanOrEqual(1e-9 * Math.abs(sum));
      expect(got.p50).toBeLessThanOrEqual(sorted[Math.ceil(0.5 * (sorted.length - 1))] * (1 + quantileRelativeAccuracy));
    }
  }

  async cleanup(): Promise<void> {
    for (const { client } of this.clients) client.end(true);
    for (const process of this.processes)
      if (process.child.exitCode === null && process.child.signalCode === null) await stopProcess(process, 'SIGKILL');
  }
}
