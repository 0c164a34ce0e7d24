import { connect, type Socket } from 'node:net';
import mqttPacket, { type Packet } from 'mqtt-packet';

/**
 * A bare MQTT 3.1.1 client over one TCP socket, for tests that must control what a real
 * client library hides: packet ids, the DUP flag, and a connection that breaks at an exact
 * point (no DISCONNECT, so the broker sees a network failure).
 */
export class RawMqttClient {
  private readonly parser = mqttPacket.parser({ protocolVersion: 4 });
  private readonly received: Packet[] = [];
  private waiters: (() => void)[] = [];
  closed = false;

  private constructor(readonly socket: Socket) {
    this.parser.on('packet', (packet: Packet) => {
      this.received.push(packet);
      for (const wake of this.waiters.splice(0)) wake();
    });
    socket.on('data', (chunk) => this.parser.parse(chunk));
    socket.on('close', () => {
      this.closed = true;
      for (const wake of this.waiters.splice(0)) wake();
    });
    socket.on('error', () => {});
  }

  /** Connects and waits for CONNACK; rejects with its return code when refused. */
  static async connect(
    port: number,
    options: { clientId: string; username?: string; password?: string; clean?: boolean },
  ): Promise<RawMqttClient> {
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const client = new RawMqttClient(socket);
    client.send({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 4,
      clientId: options.clientId,
      clean: options.clean ?? true,
      keepalive: 60,
      username: options.username,
      password: options.password === undefined ? undefined : Buffer.from(options.password),
    });
    const connack = (await client.next('connack')) as { returnCode?: number } | undefined;
    if (connack?.returnCode !== 0) {
      socket.destroy();
      throw new Error(`CONNACK ${connack?.returnCode ?? 'none (connection closed)'}`);
    }
    return client;
  }

  send(packet: Record<string, unknown>): void {
    this.socket.write(mqttPacket.generate(packet as unknown as Packet));
  }

  publish(topic: string, payload: string | Buffer, messageId: number, { qos = 1, dup = false } = {}): void {
    this.send({ cmd: 'publish', topic, payload, qos, messageId, dup, retain: false });
  }

  /** Publishes QoS 1 and resolves on its PUBACK. */
  async publishAcked(topic: string, payload: string | Buffer, messageId: number, dup = false): Promise<void> {
    this.publish(topic, payload, messageId, { dup });
    await this.pubacks([messageId]);
  }

  /** Waits for a PUBACK of each id. */
  async pubacks(ids: readonly number[]): Promise<void> {
    const wanted = new Set(ids);
    while (wanted.size > 0) {
      const packet = (await this.next('puback')) as { messageId?: number } | undefined;
      if (!packet) throw new Error(`connection closed with ${wanted.size} PUBACKs outstanding`);
      wanted.delete(packet.messageId as number);
    }
  }

  /** The next packet of a kind, or undefined once the connection is closed. */
  async next(cmd: string): Promise<Packet | undefined> {
    for (;;) {
      const index = this.received.findIndex((p) => p.cmd === cmd);
      if (index >= 0) return this.received.splice(index, 1)[0];
      if (this.closed) return undefined;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** Ends cleanly: DISCONNECT, then close. */
  async disconnect(): Promise<void> {
    this.send({ cmd: 'disconnect' });
    this.socket.end();
    await this.waitClosed();
  }

  /** Breaks the connection as a network would: no DISCONNECT. */
  async breakConnection(): Promise<void> {
    this.socket.destroy();
    await this.waitClosed();
  }

  async waitClosed(): Promise<void> {
    while (!this.closed) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }
}
