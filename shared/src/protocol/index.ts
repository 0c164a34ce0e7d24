export {
  type CommandStatus,
  type CommandStatusReport,
  commandMovesTo,
  type DeviceCommand,
  isFinalCommandStatus,
} from './commands.js';
export {
  type DecodedEnvelope,
  decodeEnvelope,
  type EncodeOptions,
  EnvelopeError,
  type EnvelopeErrorCode,
  encodeEnvelope,
  envelopeFormatVersion,
  type PartitionEnvelope,
  type PartitionRecord,
  type RejectedRecord,
} from './envelope.js';
export type { DeviceEvent, Reading } from './reading.js';
export { cloudTopics, type DeviceTopic, deviceTopics, parseDeviceTopic } from './topics.js';
