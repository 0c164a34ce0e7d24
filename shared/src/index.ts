export * from './aggregates/index.js';
export { ConfigError, describeIssues } from './config/config-errors.js';
export { exitWithError, parsePort, readConfigFile } from './config/config-file.js';
export * from './protocol/index.js';
export * from './rdd/index.js';
export { CredentialStore, credentialIdPattern, scryptCostDefault } from './security/credential-store.js';
export { BoundedRecordStore } from './store/bounded-record-store.js';
export { binarySublevel, measureSublevel, type Sublevel, type SublevelOperation, sortableKey } from './store/level-helpers.js';
export * from './streaming/index.js';
