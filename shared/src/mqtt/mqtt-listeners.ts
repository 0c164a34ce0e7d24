import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import type { Duplex } from 'node:stream';
import { createServer as createTlsServer } from 'node:tls';
import { limitPacketSize, type PacketSizeLimits } from './packet-size-guard.js';

/** What an MQTT broker's listeners need to know (both the gateway's and the cloud's). */
export interface MqttListenerOptions extends PacketSizeLimits {
  readonly host: string;
  /** The plain TCP port; undefined: no plaintext listener. */
  readonly plaintextPort?: number;
  readonly tls?: { readonly port: number; readonly keyFile: string; readonly certFile: string };
  /** Connections open at once per listener, at most; more are closed at once. */
  readonly connectionsMax: number;
}

export interface MqttListenerEvents {
  readonly connectionRefused: () => void;
  readonly packetRefused: (declaredBytes: number, loggedIn: boolean) => void;
}

/** An aedes broker's `handle`, as far as the listeners use it. */
export type MqttHandle = (stream: Duplex, request?: unknown) => unknown;

/** A handle that guards every connection's packet sizes while they are parsed. */
export function guardedHandle(handle: MqttHandle, limits: PacketSizeLimits, events: MqttListenerEvents) {
  return (stream: Duplex, request?: unknown): void => {
    const client = handle(stream, request) as { _parser: unknown; connected: boolean };
    limitPacketSize(client, limits, events.packetRefused);
  };
}

/** Caps a server's connections; each one closed at the cap is reported. */
export function capConnections<T extends Server>(server: T, connectionsMax: number, onRefused: () => void): T {
  server.maxConnections = connectionsMax;
  server.on('drop', onRefused);
  return server;
}

export function listenOn(server: Server, port: number, host: string, what: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new Error(`port ${port} is in use; choose another ${what}`) : error),
    );
    server.listen(port, host, () => resolve((server.address() as { port: number }).port));
  });
}

/**
 * Starts a broker's plain TCP and TLS listeners, each capped and guarded. Returns the servers
 * and the ports they bound (0 asks the system for one).
 */
export async function startMqttListeners(
  handle: MqttHandle,
  options: MqttListenerOptions,
  events: MqttListenerEvents,
  what: { plaintext: string; tls: string },
): Promise<{ servers: Server[]; plaintextPort?: number; tlsPort?: number }> {
  const onConnection = guardedHandle(handle, options, events);
  const servers: Server[] = [];
  const result: { servers: Server[]; plaintextPort?: number; tlsPort?: number } = { servers };
  if (options.plaintextPort !== undefined) {
    const tcp = capConnections(createServer(onConnection), options.connectionsMax, events.connectionRefused);
    servers.push(tcp);
    result.plaintextPort = await listenOn(tcp, options.plaintextPort, options.host, what.plaintext);
  }
  if (options.tls) {
    const tlsOptions = { key: readFileSync(options.tls.keyFile), cert: readFileSync(options.tls.certFile) };
    const tls = capConnections(createTlsServer(tlsOptions, onConnection), options.connectionsMax, events.connectionRefused);
    servers.push(tls);
    result.tlsPort = await listenOn(tls, options.tls.port, options.host, what.tls);
  }
  return result;
}
