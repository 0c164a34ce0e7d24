export { ConfigError, CredentialStore } from '@fogline/shared';
export { type GatewayConfig, gatewayConfigSchema, loadGatewayConfig, parseGatewayConfig } from './config/gateway-config.js';
export { Gateway, type GatewayPorts, type UserPipeline } from './gateway.js';
export { decodePayload } from './ingest/decode-payload.js';
export { decodeSegment } from './ingest/ingest-log.js';
export type { Alert } from './pipeline/rules.js';
export { GatewayStore } from './store/gateway-store.js';
