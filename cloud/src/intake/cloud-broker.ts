import type { Server } from 'node:net';
import { type CredentialStore, cloudTopics, LoginThrottle, type MqttHandle, remoteAddressOf, startMqttListeners } from '@fogline/shared';
import { Aedes, type AuthenticateError, type Client, type PublishPacket } from 'aedes';
import type { Logger } from 'pino';
import type { CloudConfig } from '../config/cloud-config.js';
import type { CloudMetrics } from '../ops/cloud-metrics.js';

export interface CloudBroker {
  readonly aedes: Aedes;
  readonly ports: { plaintext?: number; tls?: number };
  /** Closes the live connections of these gateways (removed, or given a new secret). */
  disconnect(gatewayIds: readonly string[]): number;
  close(): Promise<void>;
}

const gatewayOf = new WeakMap<Client, string>();

function authError(message: string, returnCode: 4 | 5): AuthenticateError {
  return Object.assign(new Error(message), { returnCode }) as AuthenticateError;
}

/**
 * The cloud's embedded broker for gateways. CONNECT: the username is the gateway id and the
 * password its secret (without credentials only if allowAnonymous says so); failed logins are
 * throttled per address. PUBLISH: a gateway only under fogline/v1/{its id}/, and the intake
 * (`receive`) runs before the PUBACK, so a partition is acknowledged once merged. Listeners:
 * plain TCP and/or TLS, capped, with packet sizes checked while parsed.
 */
export async function startCloudBroker(
  config: CloudConfig['broker'],
  credentials: CredentialStore,
  metrics: CloudMetrics,
  logger: Logger,
  receive: (topic: string, payload: Uint8Array) => Promise<void>,
): Promise<CloudBroker> {
  const { limits } = config;
  const logins = new LoginThrottle({ failuresMax: limits.loginFailuresMax, windowMs: limits.loginFailureWindowMs });
  const refuse = (client: Client, reason: string, error: AuthenticateError, done: (e: AuthenticateError, ok: false) => void) => {
    metrics.authFailures.inc({ reason });
    if (reason !== 'throttled') logins.failed(remoteAddressOf(client));
    done(error, false);
  };
  const aedes = await Aedes.createBroker({
    id: 'fogline-cloud',
    connectTimeout: limits.connectTimeoutMs,
    authenticate: (client, username, password, done) => {
      const address = remoteAddressOf(client);
      if (!logins.allows(address)) return refuse(client, 'throttled', authError('too many failed logins; try later', 5), done);
      if (!username) {
        if (!config.allowAnonymous) return refuse(client, 'no-credentials', authError('gateway credentials required', 5), done);
        return done(null, true);
      }
      credentials.verify(username, password?.toString('utf8') ?? '').then(
        (ok) => {
          if (!ok) {
            logger.warn({ gatewayId: username, address }, 'refused: unknown gateway or wrong secret');
            return refuse(client, 'bad-credentials', authError('bad gateway id or secret', 4), done);
          }
          logins.succeeded(address);
          gatewayOf.set(client, username);
          done(null, true);
        },
        (error: Error) => done(authError(error.message, 5), false),
      );
    },
    authorizePublish: (client: Client | null, packet: PublishPacket, done: (error?: Error | null) => void) => {
      if (!client) return done(null);
      const levels = packet.topic.split('/');
      const authenticated = gatewayOf.get(client);
      if (levels[0] !== 'fogline' || levels[1] !== 'v1' || (authenticated !== undefined && levels[2] !== authenticated)) {
        metrics.aclDenied.inc();
        return done(new Error(`gateway ${authenticated ?? client.id} may not publish to ${packet.topic}`));
      }
      receive(packet.topic, packet.payload as Uint8Array).then(
        () => done(null),
        (error: Error) => {
          logger.error({ error: error.message, topic: packet.topic }, 'intake failed; the gateway will resend');
          done(error);
        },
      );
    },
    // A gateway subscribes only to the commands for its own devices.
    authorizeSubscribe: (client, subscription, done) => {
      const gatewayId = gatewayOf.get(client) ?? client.id;
      if (subscription.topic === cloudTopics.commands(gatewayId)) return done(null, subscription);
      metrics.aclDenied.inc();
      done(null, null);
    },
  });
  let servers: Server[] = [];
  try {
    const started = await startMqttListeners(
      aedes.handle as MqttHandle,
      { ...limits, host: config.host, plaintextPort: config.plaintext ? config.port : undefined, tls: config.tls },
      {
        connectionRefused: () => metrics.connectionsRefused.inc(),
        packetRefused: (_, loggedIn) => metrics.packetsRefused.inc({ when: loggedIn ? 'logged-in' : 'before-connect' }),
      },
      { plaintext: 'with broker.port or --broker-port', tls: 'with broker.tls.port' },
    );
    servers = started.servers;
    return {
      aedes,
      ports: { plaintext: started.plaintextPort, tls: started.tlsPort },
      disconnect(gatewayIds) {
        const gone = new Set(gatewayIds);
        const clients = (aedes as unknown as { clients: Record<string, Client> }).clients;
        let closed = 0;
        for (const client of Object.values(clients)) {
          const gatewayId = gatewayOf.get(client);
          if (gatewayId === undefined || !gone.has(gatewayId)) continue;
          client.close();
          closed++;
        }
        return closed;
      },
      async close() {
        for (const server of servers) server.close();
        await new Promise<void>((resolve) => aedes.close(() => resolve()));
      },
    };
  } catch (error) {
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    throw error;
  }
}
