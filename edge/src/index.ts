export { ConfigError, CredentialStore } from '@fogline/shared';
export {
  defaultJobModule,
  type GatewayConfig,
  gatewayConfigSchema,
  loadGatewayConfig,
  parseGatewayConfig,
} from './config/gateway-config.js';
export { Gateway, type GatewayPorts, type UserPipeline } from './gateway.js';
export { decodePayload } from './ingest/decode-payload.js';
export { decodeSegment } from './ingest/ingest-log.js';
export { type GatewayJob, type JobApi, JobRunner } from './pipeline/gateway-job.js';
export { logOffset, type OffsetReading } from './pipeline/log-offset.js';
export type { Alert } from './pipeline/rules.js';
export { WindowPipeline } from './pipeline/window-pipeline.js';
export { WindowState } from './pipeline/window-state.js';
export { GatewayStore } from './store/gateway-store.js';
export { Outbox } from './store/outbox.js';
