export * from './aggregates/index.js';
export { ConfigError, describeIssues, portClashes } from './config/config-errors.js';
export { countOption, exitWithError, optionParser, parseCount, parsePort, portOption, readConfigFile } from './config/config-file.js';
export {
  portFromEnvironment,
  redacted,
  redactSecrets,
  redactUrl,
  type SecretSetting,
  secretsFromEnvironment,
} from './config/secret-settings.js';
export {
  capConnections,
  guardedHandle,
  listenOn,
  type MqttHandle,
  type MqttListenerEvents,
  type MqttListenerOptions,
  startMqttListeners,
} from './mqtt/mqtt-listeners.js';
export { limitPacketSize, type PacketSizeLimits } from './mqtt/packet-size-guard.js';
export * from './protocol/index.js';
export * from './rdd/index.js';
export { addCredentialCommands, type CredentialCommandsSpec } from './security/credential-commands.js';
export { parseLabelPairs, readSecretFromStdin } from './security/credential-input.js';
export { CredentialStore, credentialIdPattern, scryptCostDefault, secretCharsMin } from './security/credential-store.js';
export { credentialsSettleMs, watchCredentials } from './security/credentials-watch.js';
export { LoginThrottle, type LoginThrottleOptions, loginThrottleAddressesMax, remoteAddressOf } from './security/login-throttle.js';
export * from './sql/index.js';
export { BoundedRecordStore } from './store/bounded-record-store.js';
export { binarySublevel, measureSublevel, type Sublevel, type SublevelOperation, sortableKey } from './store/level-helpers.js';
export * from './streaming/index.js';
