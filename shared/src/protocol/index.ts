export {
  decodeEnvelope,
  type EncodeOptions,
  EnvelopeError,
  type EnvelopeErrorCode,
  encodeEnvelope,
  envelopeFormatVersion,
  type PartitionEnvelope,
  type PartitionRecord,
} from './envelope.js';
export type { DeviceEvent, Reading } from './reading.js';
export { cloudTopics, type DeviceTopic, deviceTopics, parseDeviceTopic } from './topics.js';
