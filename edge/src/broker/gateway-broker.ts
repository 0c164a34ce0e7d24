import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import type { CredentialStore } from '@fogline/shared';
import { Aedes, type AuthenticateError, type Client, type PublishPacket, type Subscription } from 'aedes';
import type { Logger } from 'pino';
import { createWebSocketStream, WebSocketServer } from 'ws';
import type { GatewayConfig } from '../config/gateway-config.js';
import { deviceOf } from '../ingest/publish-ingest.js';
import type { GatewayMetrics } from '../ops/gateway-metrics.js';
import type { RateLimiter } from './rate-limiter.js';

export interface BrokerHooks {
  readonly authorizePublish: (client: Client | null, packet: PublishPacket, done: (error?: Error | null) => void) => void;
  /** A connection closed, cleanly (DISCONNECT) or not. */
  readonly clientGone: (client: Client) => void;
}

export interface RunningBroker {
  readonly aedes: Aedes;
  readonly servers: (Server | HttpServer)[];
  readonly ports: { mqtt: number; tls?: number; websocket?: number };
  close(): Promise<void>;
}

function authError(message: string, returnCode: 4 | 5): AuthenticateError {
  return Object.assign(new Error(message), { returnCode }) as AuthenticateError;
}

/**
 * The embedded broker. CONNECT: the username is the device id and the password its secret,
 * checked against the credentials file; without credentials only if allowAnonymous says so
 * (the client id is then the device id). SUBSCRIBE: a device may subscribe to its own
 * commands/{deviceId} and nothing else; other filters get the failure code in SUBACK
 * ([MQTT-3.9.3] 0x80) and the device stays connected. PUBLISH: see PublishIngest.
 */
export async function startBroker(
  config: GatewayConfig,
  credentials: CredentialStore,
  hooks: BrokerHooks,
  rate: RateLimiter,
  metrics: GatewayMetrics,
  logger: Logger,
): Promise<RunningBroker> {
  const aedes = await Aedes.createBroker({
    id: config.gatewayId,
    authenticate: (client, username, password, done) => {
      if (username === undefined || username === '') {
        if (config.mqtt.allowAnonymous) {
          deviceOf.set(client, client.id);
          return done(null, true);
        }
        metrics.authFailures.inc({ reason: 'no-credentials' });
        return done(authError('credentials required', 5), false);
      }
      credentials.verify(username, password?.toString('utf8') ?? '').then(
        (ok) => {
          if (!ok) {
            metrics.authFailures.inc({ reason: 'bad-credentials' });
            logger.warn({ deviceId: username, clientId: client.id }, 'refused: unknown device or wrong secret');
            return done(authError('bad username or password', 4), false);
          }
          deviceOf.set(client, username);
          done(null, true);
        },
        (error: Error) => done(authError(`credential check failed: ${error.message}`, 5), false),
      );
    },
    authorizePublish: hooks.authorizePublish,
    authorizeSubscribe: (client: Client, subscription: Subscription, done) => {
      const deviceId = deviceOf.get(client) ?? client.id;
      if (subscription.topic === `commands/${deviceId}`) return done(null, subscription);
      metrics.aclDenied.inc({ action: 'subscribe' });
      logger.warn({ deviceId, topic: subscription.topic }, "subscription outside the device's own commands refused");
      done(null, null);
    },
  });
  aedes.on('clientReady', () => metrics.connected.set(aedes.connectedClients));
  aedes.on('clientDisconnect', (client) => {
    hooks.clientGone(client);
    metrics.connected.set(aedes.connectedClients);
    rate.forget(deviceOf.get(client) ?? client.id);
  });
  aedes.on('clientError', (client, error) => logger.debug({ clientId: client.id, error: error.message }, 'client error'));

  const listen = (server: Server | HttpServer, port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) =>
        reject(
          error.code === 'EADDRINUSE' ? new Error(`port ${port} is in use; choose another with the config or a --*-port flag`) : error,
        ),
      );
      server.listen(port, config.mqtt.host, () => resolve((server.address() as { port: number }).port));
    });

  const servers: (Server | HttpServer)[] = [];
  const tcp = createServer(aedes.handle);
  servers.push(tcp);
  const ports: { mqtt: number; tls?: number; websocket?: number } = { mqtt: await listen(tcp, config.mqtt.port) };
  if (config.mqtt.tls) {
    const tls = createTlsServer({ key: readFileSync(config.mqtt.tls.keyFile), cert: readFileSync(config.mqtt.tls.certFile) }, aedes.handle);
    servers.push(tls);
    ports.tls = await listen(tls, config.mqtt.tls.port);
  }
  if (config.mqtt.websocket) {
    const http = createHttpServer();
    const wss = new WebSocketServer({ server: http });
    wss.on('connection', (socket, request) => aedes.handle(createWebSocketStream(socket), request));
    servers.push(http);
    ports.websocket = await listen(http, config.mqtt.websocket.port);
  }

  return {
    aedes,
    servers,
    ports,
    async close() {
      for (const server of servers) {
        server.close();
        (server as Server).unref?.();
      }
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
    },
  };
}
