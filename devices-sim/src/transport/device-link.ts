import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';

export interface LinkOptions {
  readonly url: string;
  readonly qos: 0 | 1;
  readonly username?: string;
  readonly password?: string;
  /** PEM of the CA that signed the gateway's TLS certificate, for mqtts:// with a private CA. */
  readonly ca?: Buffer;
  readonly keepaliveS: number;
  /** Wait before reconnecting after a lost connection; each device has its own, so a storm spreads out. */
  readonly reconnectMs: number;
  readonly connectTimeoutMs: number;
  /** Publishes handed to the client and not yet acknowledged (or written, QoS 0), at most; beyond, a reading is dropped and counted. */
  readonly inFlightMax: number;
}

/** What a link reports to the runner. */
export interface LinkEvents {
  connected(first: boolean): void;
  /** A command from the gateway, on commands/{deviceId}. */
  command?(payload: Buffer): void;
  disconnected(): void;
  /** The gateway refused the device's credentials or topic: it stops trying. */
  refused(reason: string): void;
  error(reason: string): void;
}

/** MQTT CONNACK codes that retrying will not fix. */
const refusalCodes = new Map([
  [2, 'identifier rejected'],
  [4, 'bad user name or password'],
  [5, 'not authorized'],
]);

/**
 * One device's MQTT connection: MQTT.js, as a device would use it (QoS 1 resends after a
 * reconnect, an offline queue while the connection is down), with a bound on what waits.
 */
export class DeviceLink {
  private client: MqttClient | undefined;
  private everConnected = false;
  private up = false;
  inFlight = 0;
  refusedReason: string | undefined;

  constructor(
    readonly clientId: string,
    private readonly options: LinkOptions,
    private readonly events: LinkEvents,
  ) {}

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  /** Connects; resolves on the first CONNACK, or when the gateway refuses or the attempt times out. */
  open(): Promise<void> {
    const { url, username, password, ca, keepaliveS, reconnectMs, connectTimeoutMs } = this.options;
    const clientOptions: IClientOptions = {
      clientId: this.clientId,
      username,
      password,
      ca,
      keepalive: keepaliveS,
      reconnectPeriod: reconnectMs,
      connectTimeout: connectTimeoutMs,
      clean: true,
      protocolVersion: 4,
    };
    const client = mqtt.connect(url, clientOptions);
    this.client = client;
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, connectTimeoutMs);
      const settle = () => {
        clearTimeout(timer);
        resolve();
      };
      client.on('connect', () => {
        // Commands for this device: subscribed at every connection (a clean session).
        if (this.events.command) client.subscribe(`commands/${this.clientId}`, { qos: 1 });
        this.up = true;
        this.events.connected(!this.everConnected);
        this.everConnected = true;
        settle();
      });
      client.on('message', (topic, payload) => {
        if (topic === `commands/${this.clientId}`) this.events.command?.(payload);
      });
      client.on('close', () => {
        // MQTT.js closes after every failed attempt too; only a connection that was up is lost.
        if (!this.up) return;
        this.up = false;
        this.events.disconnected();
      });
      client.on('error', (error: Error & { code?: number | string }) => {
        const refusal = typeof error.code === 'number' ? refusalCodes.get(error.code) : undefined;
        if (refusal) {
          this.refusedReason = refusal;
          this.events.refused(refusal);
          client.end(true);
          settle();
        } else {
          this.events.error(error.message);
        }
      });
    });
  }

  /**
   * Publishes; done(true) when acknowledged (QoS 1) or written (QoS 0), done(false) if the
   * client gave up on it. Returns false, without calling done, when the link is refused or full.
   */
  publish(topic: string, payload: string, done: (delivered: boolean) => void): boolean {
    const client = this.client;
    if (!client || this.refusedReason || this.inFlight >= this.options.inFlightMax) return false;
    this.inFlight++;
    client.publish(topic, payload, { qos: this.options.qos }, (error) => {
      this.inFlight--;
      done(!error);
    });
    return true;
  }

  /** The device's answer to a command, on commands/{deviceId}/ack (QoS 1, outside the in-flight bound: it is small and rare). */
  answer(payload: string): void {
    this.client?.publish(`commands/${this.clientId}/ack`, payload, { qos: 1 });
  }

  /** Drops the network connection as a flaky link would; MQTT.js reconnects after reconnectMs. */
  interrupt(): void {
    this.client?.stream?.destroy();
  }

  /** Closes the connection; force skips waiting for what is in flight. */
  close(force = false): Promise<void> {
    const client = this.client;
    if (!client) return Promise.resolve();
    return new Promise((resolve) => client.end(force, {}, () => resolve()));
  }
}
