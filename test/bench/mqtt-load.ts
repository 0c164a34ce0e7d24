// The load generator for the gateway benchmark, in a process of its own so it does not share
// the server's event loop. Speaks MQTT over raw sockets with packets encoded before the clock
// starts, and prints its result as JSON.
//   burst:  every connection writes all its publishes at once; done when every PUBACK (QoS 1)
//           or the PINGRESP after the last publish (QoS 0) is back.
//   steady: every connection publishes one QoS 1 reading per second for durationMs.
import { connect, type Socket } from 'node:net';
import mqttPacket from 'mqtt-packet';

interface Options {
  port: number;
  connections: number;
  messagesPerConnection: number;
  qos: 0 | 1;
  mode: 'burst' | 'steady';
  durationMs: number;
  /** Event time between a device's readings; default 100 ms in burst mode, 1 s steady. */
  stepMs?: number;
}

const options = JSON.parse(process.argv[2]) as Options;
const base = Date.now() - 24 * 3_600_000;

function publish(device: number, i: number, qos: 0 | 1, stepMs = options.stepMs ?? (options.mode === 'burst' ? 100 : 1000)): Buffer {
  // Like a real sensor: each device wanders a few percent around its own level.
  const value = Math.round((20 + (device % 50) / 10) * (1 + 0.03 * Math.sin(i / 7 + device)) * 1000) / 1000;
  const payload = JSON.stringify({ ts: base + i * stepMs, value });
  return mqttPacket.generate({
    cmd: 'publish',
    topic: `telemetry/dev-${device}/vibration`,
    payload,
    qos,
    messageId: qos ? (i % 65_000) + 1 : undefined,
    retain: false,
    dup: false,
  });
}

interface Connection {
  socket: Socket;
  acks: number;
  ponged: boolean;
}

async function open(device: number, onPacket: (packet: mqttPacket.Packet) => void): Promise<Connection> {
  const socket = connect(options.port, '127.0.0.1');
  socket.setNoDelay(true);
  const parser = mqttPacket.parser();
  const connection: Connection = { socket, acks: 0, ponged: false };
  await new Promise<void>((resolve, reject) => {
    parser.on('packet', (packet) => {
      if (packet.cmd === 'connack') return packet.returnCode === 0 ? resolve() : reject(new Error(`CONNACK ${packet.returnCode}`));
      onPacket(packet);
    });
    socket.on('data', (data) => parser.parse(data));
    socket.on('error', reject);
    socket.write(
      mqttPacket.generate({
        cmd: 'connect',
        protocolId: 'MQTT',
        protocolVersion: 4,
        clientId: `dev-${device}`,
        clean: true,
        keepalive: 300,
      }),
    );
  });
  return connection;
}

async function burst(): Promise<void> {
  const buffers = Array.from({ length: options.connections }, (_, d) => {
    const packets = Array.from({ length: options.messagesPerConnection }, (_, i) => publish(d, i, options.qos));
    packets.push(mqttPacket.generate({ cmd: 'pingreq' }));
    return Buffer.concat(packets);
  });
  let pending = options.connections;
  let finish: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const connections: Connection[] = [];
  for (let d = 0; d < options.connections; d++) {
    const connection: Connection = await open(d, (packet) => {
      if (packet.cmd === 'puback') connection.acks++;
      if (packet.cmd === 'pingresp') connection.ponged = true;
      const done = connection.ponged && (options.qos === 0 || connection.acks === options.messagesPerConnection);
      if (done && !(connection as { counted?: boolean }).counted) {
        (connection as { counted?: boolean }).counted = true;
        if (--pending === 0) finish();
      }
    });
    connections.push(connection);
  }
  const start = performance.now();
  for (const [d, connection] of connections.entries()) connection.socket.write(buffers[d]);
  await finished;
  const elapsedMs = performance.now() - start;
  for (const connection of connections) connection.socket.destroy();
  console.log(JSON.stringify({ messages: options.connections * options.messagesPerConnection, elapsedMs }));
}

async function steady(): Promise<void> {
  const connections: Connection[] = [];
  let acks = 0;
  for (let d = 0; d < options.connections; d += 500) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(500, options.connections - d) }, (_, k) =>
        open(d + k, (packet) => {
          if (packet.cmd === 'puback') acks++;
        }),
      ),
    );
    connections.push(...batch);
  }
  console.error(`connected ${connections.length}`);
  const tickMs = 10;
  const perTick = Math.ceil(connections.length / (1000 / tickMs));
  let next = 0;
  let sent = 0;
  const round = new Map<number, number>();
  const started = Date.now();
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      for (let k = 0; k < perTick; k++) {
        const d = next++ % connections.length;
        const i = round.get(d) ?? 0;
        round.set(d, i + 1);
        connections[d].socket.write(publish(d, i, 1));
        sent++;
      }
      if (Date.now() - started >= options.durationMs) {
        clearInterval(timer);
        resolve();
      }
    }, tickMs);
  });
  await new Promise((resolve) => setTimeout(resolve, 1000));
  for (const connection of connections) connection.socket.destroy();
  console.log(JSON.stringify({ connections: connections.length, sent, acks, elapsedMs: Date.now() - started }));
}

await (options.mode === 'burst' ? burst() : steady());
process.exit(0);
