import type { Logger } from 'pino';
import type { CloudConfig } from '../config/cloud-config.js';
import type { CloudStore } from './cloud-store.js';
import { openLevelCloudStore } from './level/level-cloud-store.js';
import { openPostgresCloudStore } from './postgres/pg-cloud-store.js';

/** The store the config names: the embedded level folder, or a PostgreSQL shared by the cluster. */
export function openCloudStore(config: CloudConfig, logger?: Logger): Promise<CloudStore> {
  if (config.store.kind === 'postgres')
    return openPostgresCloudStore({
      url: config.store.url,
      poolSize: config.store.poolSize,
      nodeId: config.node.id,
      logger,
      keepArchive: config.retention.archiveDays > 0,
    });
  return openLevelCloudStore(config.dataDir, config.intake.durability, config.node.id, config.retention.archiveDays > 0);
}
