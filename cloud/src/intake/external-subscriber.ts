import { cloudTopics } from '@fogline/shared';
import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { CloudConfig } from '../config/cloud-config.js';

export interface ExternalSubscriber {
  readonly client: MqttClient;
  readonly clientId: string;
  close(): Promise<void>;
}

/** What one worker subscribes to: shared among the group's workers, or all of it. */
export function subscriptionsOf(sharedGroup: string | undefined): { shared: string[]; own: string[] } {
  const records = [cloudTopics.allStatus, 'fogline/v1/+/devices'];
  const exactlyOnce = [cloudTopics.allPartitions, cloudTopics.allAlerts, cloudTopics.allCommandStatus];
  // Status and registry records are retained, and a broker sends retained messages only to
  // plain subscriptions: every worker takes them (the writes are idempotent).
  if (!sharedGroup) return { shared: [], own: [...exactlyOnce, ...records] };
  return { shared: exactlyOnce.map((topic) => `$share/${sharedGroup}/${topic}`), own: records };
}

/**
 * The cloud as a subscriber on an external broker (Mosquitto, EMQX, HiveMQ, VerneMQ). With a
 * shared group, N workers share the gateways' partitions and alerts, each message going to one
 * of them. Each message is acknowledged only after its intake has committed: MQTT.js sends the
 * PUBACK when handleMessage calls back. The session is persistent (clean: false, MQTT 5 with a
 * session that outlives the connection) under a client id stable across restarts, so what a
 * killed worker had not acknowledged is delivered again when it is back.
 */
export async function subscribeExternal(
  config: CloudConfig['broker'],
  nodeId: string,
  receive: (topic: string, payload: Uint8Array) => Promise<void>,
  logger: Logger,
): Promise<ExternalSubscriber> {
  const { url, username, password, sharedGroup } = config;
  const clientId = config.clientId ?? (sharedGroup ? `fogline-cloud-${nodeId}` : 'fogline-cloud');
  const client = mqtt.connect(url as string, {
    clientId,
    clean: false,
    protocolVersion: sharedGroup ? 5 : 4,
    properties: sharedGroup ? { sessionExpiryInterval: config.sessionExpiryS } : undefined,
    username,
    password,
    reconnectPeriod: 1000,
  });
  client.handleMessage = (packet, callback) => {
    const publish = packet as { topic: string; payload: Buffer };
    receive(publish.topic, publish.payload).then(
      () => callback(),
      (error: Error) => {
        // No PUBACK: the broker delivers it again (on this session's next connection).
        logger.error({ error: error.message, topic: publish.topic }, 'intake failed; the message stays unacknowledged');
        client.stream.destroy();
      },
    );
  };
  client.on('error', (error) => logger.warn({ error: error.message }, 'external broker error'));
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  const { shared, own } = subscriptionsOf(sharedGroup);
  // Subscribed before start() resolves, so nothing a gateway publishes next is missed; the
  // persistent session keeps the subscriptions across reconnects.
  await client.subscribeAsync([...shared, ...own], { qos: 1 });
  logger.info({ url, clientId, sharedGroup }, 'subscribed on the external broker');
  return { client, clientId, close: () => client.endAsync() };
}
