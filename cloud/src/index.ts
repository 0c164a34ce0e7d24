export { createApi } from './api/api.js';
export { Cloud, type CloudPorts } from './cloud.js';
export { type CloudConfig, cloudConfigSchema, loadCloudConfig, parseCloudConfig } from './config/cloud-config.js';
export {
  evaluateAgainstTruth,
  type HourScorer,
  hiddenWearScorer,
  oracleThreshold,
  type TruthRecord,
  type TruthScore,
} from './maintenance/evaluate-against-truth.js';
export { addHour, addReading, type DeviceHistory, type HourMoments, hourMomentsOf, mergeHours } from './maintenance/hourly-history.js';
export { type Example, type LogisticModel, predict, trainLogistic } from './maintenance/logistic-regression.js';
export { type FeatureRow, featureNames } from './maintenance/maintenance-features.js';
export {
  heldOutRows,
  horizonHours,
  isHeldOut,
  leadWindowHours,
  type MaintenanceModel,
  scoreDevices,
  trainMaintenanceModel,
} from './maintenance/maintenance-model.js';
export { bestF1Threshold, rocAuc } from './maintenance/roc.js';
export type { CloudStore, GatewayStats, IntakeOutcome, SeriesPoint } from './store/cloud-store.js';
export { deadEnvelopesMax } from './store/cloud-store.js';
export { openLevelCloudStore } from './store/level/level-cloud-store.js';
export { openPostgresCloudStore } from './store/postgres/pg-cloud-store.js';
