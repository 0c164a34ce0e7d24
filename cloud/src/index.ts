export { createApi } from './api/api.js';
export { Cloud, type CloudPorts } from './cloud.js';
export { type CloudConfig, loadCloudConfig, parseCloudConfig } from './config/cloud-config.js';
export { deadEnvelopesMax, type GatewayStats, type IntakeOutcome, IntakeStore, type SeriesPoint } from './intake/intake-store.js';
