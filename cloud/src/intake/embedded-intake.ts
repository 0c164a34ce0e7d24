import { type CredentialStore, watchCredentials } from '@fogline/shared';
import type { Logger } from 'pino';
import type { CloudConfig } from '../config/cloud-config.js';
import type { CloudMetrics } from '../ops/cloud-metrics.js';
import { type CloudBroker, startCloudBroker } from './cloud-broker.js';

export interface EmbeddedIntake {
  readonly broker: CloudBroker;
  /** Re-reads the gateways' credentials now (SIGHUP; a change to the file does it by itself). */
  reloadCredentials(): void;
  close(): Promise<void>;
}

/**
 * The embedded broker for gateways, with their credentials watched: a gateway removed or given
 * a new secret is disconnected at once.
 */
export async function startEmbeddedIntake(
  config: CloudConfig['broker'],
  credentials: CredentialStore,
  metrics: CloudMetrics,
  logger: Logger,
  receive: (topic: string, payload: Uint8Array) => Promise<void>,
): Promise<EmbeddedIntake> {
  const broker = await startCloudBroker(config, credentials, metrics, logger, receive);
  const watch = watchCredentials(
    credentials,
    (ids) => {
      const closed = broker.disconnect(ids);
      logger.warn({ gateways: ids, connectionsClosed: closed }, 'gateways removed or given a new secret');
    },
    (error) => logger.error({ error: error.message, file: credentials.path }, 'gateway credentials not reloaded'),
  );
  return {
    broker,
    reloadCredentials: () => watch.reload(),
    async close() {
      watch.close();
      await broker.close();
    },
  };
}
