import protobuf from 'protobufjs';

/**
 * The part of Eclipse Sparkplug B's payload (sparkplug_b.proto, spBv1.0) fogline reads: the
 * payload's timestamp, seq and metrics, and each metric's name, alias, timestamp, datatype and
 * scalar value. Fields it does not read (metadata, properties, datasets, templates) are
 * skipped by the decoder, as protobuf allows.
 */
const proto = `
syntax = "proto2";
message Payload {
  message Metric {
    optional string name = 1;
    optional uint64 alias = 2;
    optional uint64 timestamp = 3;
    optional uint32 datatype = 4;
    optional bool is_historical = 5;
    optional bool is_transient = 6;
    optional bool is_null = 7;
    oneof value {
      uint32 int_value = 10;
      uint64 long_value = 11;
      float float_value = 12;
      double double_value = 13;
      bool boolean_value = 14;
      string string_value = 15;
      bytes bytes_value = 16;
    }
  }
  optional uint64 timestamp = 1;
  repeated Metric metrics = 2;
  optional uint64 seq = 3;
  optional string uuid = 4;
  optional bytes body = 5;
}
`;

const payloadType = protobuf.parse(proto, { keepCase: true }).root.lookupType('Payload');

/** Sparkplug B datatypes with a number fogline can count (the spec's DataType enum). */
enum DataType {
  Int8 = 1,
  Int16 = 2,
  Int32 = 3,
  Int64 = 4,
  UInt8 = 5,
  UInt16 = 6,
  UInt32 = 7,
  UInt64 = 8,
  Float = 9,
  Double = 10,
  Boolean = 11,
  DateTime = 13,
}

export interface SparkplugMetric {
  readonly name?: string;
  readonly alias?: number;
  readonly timestamp?: number;
  readonly datatype?: number;
  /** The value as a number (booleans 1 and 0), or undefined for a null, a string or a structure. */
  readonly value?: number;
  readonly isHistorical: boolean;
}

export interface SparkplugPayload {
  readonly timestamp?: number;
  readonly seq?: number;
  readonly metrics: readonly SparkplugMetric[];
}

interface RawMetric {
  name?: string;
  alias?: string;
  timestamp?: string;
  datatype?: number;
  is_historical?: boolean;
  is_null?: boolean;
  int_value?: number;
  long_value?: string;
  float_value?: number;
  double_value?: number;
  boolean_value?: boolean;
}

/** Decodes a payload; a RangeError says why it is not one. */
export function decodeSparkplugPayload(bytes: Uint8Array): SparkplugPayload {
  let raw: { timestamp?: string; seq?: string; metrics?: RawMetric[] };
  try {
    // 64-bit integers as strings: epoch ms and aliases fit a double, but are checked first.
    raw = payloadType.toObject(payloadType.decode(bytes), { longs: String, defaults: false }) as typeof raw;
  } catch (error) {
    throw new RangeError(`not a Sparkplug B payload (${(error as Error).message})`);
  }
  return {
    timestamp: safeNumber(raw.timestamp),
    seq: safeNumber(raw.seq),
    metrics: (raw.metrics ?? []).map((m) => ({
      name: m.name,
      alias: safeNumber(m.alias),
      timestamp: safeNumber(m.timestamp),
      datatype: m.datatype,
      value: m.is_null ? undefined : numberOf(m),
      isHistorical: m.is_historical === true,
    })),
  };
}

function safeNumber(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** The metric's value by its datatype: signed integers travel as unsigned two's complement. */
function numberOf(m: RawMetric): number | undefined {
  switch (m.datatype) {
    case DataType.Int8:
      return m.int_value === undefined ? undefined : (m.int_value << 24) >> 24;
    case DataType.Int16:
      return m.int_value === undefined ? undefined : (m.int_value << 16) >> 16;
    case DataType.Int32:
      return m.int_value === undefined ? undefined : m.int_value | 0;
    case DataType.UInt8:
    case DataType.UInt16:
    case DataType.UInt32:
      return m.int_value;
    case DataType.Int64:
      return m.long_value === undefined ? undefined : Number(BigInt.asIntN(64, BigInt(m.long_value)));
    case DataType.UInt64:
    case DataType.DateTime:
      return m.long_value === undefined ? undefined : Number(m.long_value);
    case DataType.Float:
      return m.float_value;
    case DataType.Double:
      return m.double_value;
    case DataType.Boolean:
      return m.boolean_value === undefined ? undefined : m.boolean_value ? 1 : 0;
    default:
      return undefined; // strings, bytes, datasets, templates: not readings
  }
}

/** A Sparkplug B payload with one metric, for the rebirth request (NCMD "Node Control/Rebirth" = true). */
export function encodeRebirthRequest(nowMs: number): Uint8Array {
  return payloadType
    .encode(
      payloadType.fromObject({
        timestamp: nowMs,
        metrics: [{ name: 'Node Control/Rebirth', timestamp: nowMs, datatype: DataType.Boolean, boolean_value: true }],
      }),
    )
    .finish();
}
