import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import type { Server } from 'node:net';
import {
  type CredentialStore,
  capConnections,
  guardedHandle,
  LoginThrottle,
  listenOn,
  type MqttHandle,
  remoteAddressOf,
  startMqttListeners,
} from '@fogline/shared';
import { Aedes, type AuthenticateError, type Client, type PublishPacket, type Subscription } from 'aedes';
import type { Logger } from 'pino';
import { createWebSocketStream, WebSocketServer } from 'ws';
import type { GatewayConfig } from '../config/gateway-config.js';
import { deviceOf } from '../ingest/publish-ingest.js';
import type { GatewayMetrics } from '../ops/gateway-metrics.js';
import { DevicePresence } from './device-presence.js';
import type { RateLimiter } from './rate-limiter.js';
import type { SubscriberAcl } from './subscriber-acl.js';

export interface BrokerHooks {
  readonly authorizePublish: (client: Client | null, packet: PublishPacket, done: (error?: Error | null) => void) => void;
  /** A connection closed, cleanly (DISCONNECT) or not. */
  readonly clientGone: (client: Client) => void;
}

/** Local tools that read the gateway's topics (Node-RED, a historian): their credentials and ACL. */
export interface LocalSubscribers {
  readonly credentials: CredentialStore;
  readonly acl: SubscriberAcl;
}

export interface BrokerOptions {
  readonly presence?: DevicePresence;
  readonly subscribers?: LocalSubscribers;
  /** A device acknowledged (PUBACK) a command published to it. */
  readonly commandDelivered?: (deviceId: string, payload: Buffer) => void;
}

/** Clients logged in as local subscribers (read-only), by their credential id. */
export const subscriberOf = new WeakMap<Client, string>();

export interface RunningBroker {
  readonly aedes: Aedes;
  readonly servers: (Server | HttpServer)[];
  readonly ports: { mqtt: number; tls?: number; websocket?: number };
  close(): Promise<void>;
}

type AuthenticateDone = (error: AuthenticateError | null, success: boolean | null) => void;

function authError(message: string, returnCode: 4 | 5): AuthenticateError {
  return Object.assign(new Error(message), { returnCode }) as AuthenticateError;
}

/**
 * What a Sparkplug B edge node subscribes to: its own NCMD, its devices' DCMD, and the host
 * applications' STATE (spBv1.0/<group>/NCMD/<node>, spBv1.0/<group>/DCMD/<node>/+ or /#,
 * spBv1.0/STATE/+). Its node id is its device id.
 */
function sparkplugCommandTopic(topic: string, deviceId: string): boolean {
  const [namespace, group, type, node, device, ...more] = topic.split('/');
  if (namespace !== 'spBv1.0' || more.length > 0) return false;
  if (group === 'STATE') return type !== undefined && node === undefined;
  if (!group || group === '+' || group === '#' || node !== deviceId) return false;
  if (type === 'NCMD') return device === undefined;
  return type === 'DCMD' && device !== undefined;
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
  { presence = new DevicePresence(), subscribers, commandDelivered }: BrokerOptions = {},
): Promise<RunningBroker> {
  const { limits } = config;
  const logins = new LoginThrottle({ failuresMax: limits.loginFailuresMax, windowMs: limits.loginFailureWindowMs });
  const refuse = (client: Client, reason: string, message: string, returnCode: 4 | 5, done: AuthenticateDone) => {
    metrics.authFailures.inc({ reason });
    if (reason !== 'throttled') logins.failed(remoteAddressOf(client));
    done(authError(message, returnCode), false);
  };
  const aedes = await Aedes.createBroker({
    id: config.gatewayId,
    connectTimeout: limits.connectTimeoutMs,
    authenticate: (client, username, password, done) => {
      const address = remoteAddressOf(client);
      // Past loginFailuresMax the secret is not even checked: guessing costs nothing here.
      if (!logins.allows(address)) return refuse(client, 'throttled', 'too many failed logins; try later', 5, done);
      if (username === undefined || username === '') {
        if (!config.mqtt.allowAnonymous) return refuse(client, 'no-credentials', 'credentials required', 5, done);
        deviceOf.set(client, client.id);
        return done(null, true);
      }
      // A device's id first; a local subscriber's only when no device has that id.
      const subscriber = credentials.labels(username) === undefined && subscribers?.credentials.labels(username) !== undefined;
      const store = subscriber ? (subscribers as LocalSubscribers).credentials : credentials;
      store.verify(username, password?.toString('utf8') ?? '').then(
        (ok) => {
          if (!ok) {
            logger.warn({ deviceId: username, clientId: client.id, address }, 'refused: unknown device or wrong secret');
            return refuse(client, 'bad-credentials', 'bad username or password', 4, done);
          }
          logins.succeeded(address);
          if (subscriber) {
            subscriberOf.set(client, username);
            client.id = username;
            return done(null, true);
          }
          deviceOf.set(client, username);
          // The client id is the username (Mosquitto's use_username_as_clientid): a device
          // cannot take over another's session by naming its client id.
          client.id = username;
          done(null, true);
        },
        (error: Error) => done(authError(`credential check failed: ${error.message}`, 5), false),
      );
    },
    authorizePublish: (client, packet, done) => {
      // A local subscriber only reads.
      if (client && subscriberOf.has(client)) {
        metrics.aclDenied.inc({ action: 'publish' });
        logger.warn({ subscriber: client.id, topic: packet.topic }, 'publish by a local subscriber refused (read-only)');
        return done(new Error(`local subscriber ${client.id} may not publish`));
      }
      hooks.authorizePublish(client, packet, done);
    },
    authorizeSubscribe: (client: Client, subscription: Subscription, done) => {
      const subscriber = subscriberOf.get(client);
      if (subscriber !== undefined) {
        if (subscribers?.acl.allows(subscriber, subscription.topic)) return done(null, subscription);
        metrics.aclDenied.inc({ action: 'subscribe' });
        logger.warn({ subscriber, topic: subscription.topic }, "subscription outside the subscriber's ACL refused");
        return done(null, null);
      }
      const deviceId = deviceOf.get(client) ?? client.id;
      if (subscription.topic === `commands/${deviceId}` || sparkplugCommandTopic(subscription.topic, deviceId))
        return done(null, subscription);
      metrics.aclDenied.inc({ action: 'subscribe' });
      logger.warn({ deviceId, topic: subscription.topic }, "subscription outside the device's own commands refused");
      done(null, null);
    },
  });
  const deviceIdOf = (client: Client) => deviceOf.get(client) ?? client.id;
  aedes.on('clientReady', (client) => {
    metrics.connected.set(aedes.connectedClients);
    if (!subscriberOf.has(client)) presence.connected(deviceIdOf(client)); // local tools are not devices
  });
  aedes.on('publish', (_packet, client) => {
    if (client) presence.seen(deviceIdOf(client));
  });
  // A device subscribing to its commands (again, for a clean session): what waits for it is sent.
  aedes.on('subscribe', (subscriptions, client) => {
    if (client && subscriptions.some((sub) => sub.topic === `commands/${deviceIdOf(client)}`)) presence.connected(deviceIdOf(client));
  });
  // A device's PUBACK of a command (QoS 1 on commands/{deviceId}).
  aedes.on('ack', (packet, client) => {
    const publish = packet as PublishPacket | undefined;
    if (client && publish?.topic === `commands/${deviceIdOf(client)}`) commandDelivered?.(deviceIdOf(client), publish.payload as Buffer);
  });
  aedes.on('clientDisconnect', (client) => {
    if (!subscriberOf.has(client)) presence.disconnected(deviceIdOf(client));
    hooks.clientGone(client);
    metrics.connected.set(aedes.connectedClients);
    rate.forget(deviceOf.get(client) ?? client.id);
  });
  aedes.on('clientError', (client, error) => logger.debug({ clientId: client.id, error: error.message }, 'client error'));

  const events = {
    connectionRefused: () => metrics.connectionsRefused.inc(),
    packetRefused: (_: number, loggedIn: boolean) => metrics.packetsRefused.inc({ when: loggedIn ? 'logged-in' : 'before-connect' }),
  };
  const { servers, plaintextPort, tlsPort } = await startMqttListeners(
    aedes.handle as MqttHandle,
    { ...limits, host: config.mqtt.host, plaintextPort: config.mqtt.plaintext ? config.mqtt.port : undefined, tls: config.mqtt.tls },
    events,
    { plaintext: 'with mqtt.port or --mqtt-port', tls: 'with mqtt.tls.port' },
  );
  const ports: { mqtt: number; tls?: number; websocket?: number } = { mqtt: plaintextPort ?? 0, tls: tlsPort };
  if (config.mqtt.websocket) {
    const http = capConnections(createHttpServer(), limits.connectionsMax, events.connectionRefused);
    const wss = new WebSocketServer({ server: http, maxPayload: limits.packetBytesMax + 8 });
    const handle = guardedHandle(aedes.handle as MqttHandle, limits, events);
    wss.on('connection', (socket, request) => handle(createWebSocketStream(socket), request));
    servers.push(http);
    ports.websocket = await listenOn(http, config.mqtt.websocket.port, config.mqtt.host, 'with mqtt.websocket.port');
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
