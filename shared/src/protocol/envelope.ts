import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { Packr } from 'msgpackr';
import { type MetricState, metricStateFromArray, metricStateToArray } from '../aggregates/index.js';

/**
 * The format this code writes; a reader refuses anything newer with a clear error. Version 2
 * added the gateway's incarnation and the incarnation's first seq; version 1 still reads (as
 * the incarnation '', from seq 0).
 */
export const envelopeFormatVersion = 2;

const flagDeflated = 0b0000_0001;

const packr = new Packr({ useRecords: false });

/** One record of a partition: the state of one device and metric in the window. */
export type PartitionRecord = readonly [key: readonly [deviceId: string, metric: string], state: MetricState];

/**
 * One reduced partition of one closed window, as a gateway forwards it. `seq` is the
 * gateway's monotonic sequence number within its incarnation (created with the gateway's
 * store, so a reinstalled gateway is a new one): the cloud merges each (gatewayId,
 * incarnation, seq) once. No seq of an incarnation is below its firstSeq.
 */
export interface PartitionEnvelope {
  readonly gatewayId: string;
  readonly incarnation: string;
  readonly firstSeq: number;
  readonly seq: number;
  readonly windowStartMs: number;
  readonly windowEndMs: number;
  readonly partition: number;
  readonly partitionCount: number;
  readonly createdAtMs: number;
  /** Readings the gateway received for this partition's keys in the window (= sum of counts). */
  readonly records: readonly PartitionRecord[];
}

/** A record the reader could not take, and why; its neighbours are still read. */
export interface RejectedRecord {
  readonly index: number;
  readonly key?: readonly [deviceId: string, metric: string];
  readonly reason: string;
}

/** A decoded envelope: the records that read well, and the ones that did not. */
export interface DecodedEnvelope extends PartitionEnvelope {
  readonly rejected: readonly RejectedRecord[];
}

export type EnvelopeErrorCode = 'ENVELOPE_VERSION_UNSUPPORTED' | 'ENVELOPE_INVALID';

export class EnvelopeError extends Error {
  constructor(
    readonly code: EnvelopeErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'EnvelopeError';
  }
}

export interface EncodeOptions {
  /** Bodies larger than this are deflated; 0 compresses every envelope, Infinity none. */
  readonly compressAboveBytes?: number;
}

/**
 * Binary layout: byte 0 is the format version, byte 1 flags (bit 0: body deflated), then a
 * MessagePack array [gatewayId, incarnation, firstSeq, seq, windowStartMs, windowEndMs,
 * partition, partitionCount, createdAtMs, records] with each record [[deviceId, metric],
 * metricStateArray]. The version comes first so an old cloud can refuse a new format before
 * parsing anything else.
 */
export function encodeEnvelope(envelope: PartitionEnvelope, options: EncodeOptions = {}): Buffer {
  const body = packr.pack([
    envelope.gatewayId,
    envelope.incarnation,
    envelope.firstSeq,
    envelope.seq,
    envelope.windowStartMs,
    envelope.windowEndMs,
    envelope.partition,
    envelope.partitionCount,
    envelope.createdAtMs,
    envelope.records.map(([key, state]) => [key, metricStateToArray(state)]),
  ]);
  const compress = body.length > (options.compressAboveBytes ?? 512);
  const payload = compress ? deflateRawSync(body) : body;
  return Buffer.concat([Buffer.from([envelopeFormatVersion, compress ? flagDeflated : 0]), payload]);
}

function invalid(field: string, value: unknown, expected: string): never {
  const shown = JSON.stringify(value) ?? String(value);
  throw new EnvelopeError(
    'ENVELOPE_INVALID',
    `envelope: ${field} was ${shown.length > 60 ? `${shown.slice(0, 57)}...` : shown}, expected ${expected}`,
  );
}

/**
 * Decodes and validates an envelope; throws EnvelopeError naming the field at fault when the
 * envelope as a whole cannot be read. A record that cannot be read (a malformed key, a state
 * that is not valid or not finite) is returned in `rejected` with the reason: one bad record
 * never costs its neighbours.
 */
export function decodeEnvelope(bytes: Uint8Array): DecodedEnvelope {
  if (bytes.length < 2) invalid('length', bytes.length, 'at least 2 bytes');
  const version = bytes[0];
  if (version > envelopeFormatVersion) {
    throw new EnvelopeError(
      'ENVELOPE_VERSION_UNSUPPORTED',
      `envelope format version ${version} is newer than this reader supports (${envelopeFormatVersion}): upgrade the reader`,
    );
  }
  if (version < 1) invalid('version', version, `1 to ${envelopeFormatVersion}`);
  const flags = bytes[1];
  let body: unknown;
  try {
    const raw = Buffer.from(bytes.buffer, bytes.byteOffset + 2, bytes.length - 2);
    body = packr.unpack(flags & flagDeflated ? inflateRawSync(raw) : raw);
  } catch (error) {
    throw new EnvelopeError('ENVELOPE_INVALID', `envelope: body is not readable (${(error as Error).message})`);
  }
  const fields = version === 1 ? 8 : 10;
  if (!Array.isArray(body) || body.length !== fields) invalid('body', body, `an array of ${fields} fields`);
  // Version 1 had no incarnation: it reads as the incarnation '' from seq 0.
  const [gatewayId, incarnation, firstSeq, seq, windowStartMs, windowEndMs, partition, partitionCount, createdAtMs, records] = (
    version === 1 ? [body[0], '', 0, ...body.slice(1)] : body
  ) as unknown[];
  if (typeof gatewayId !== 'string' || gatewayId.length === 0) invalid('gatewayId', gatewayId, 'a non-empty string');
  if (typeof incarnation !== 'string' || incarnation.length > 64) invalid('incarnation', incarnation, 'a string of at most 64 characters');
  if (!Number.isSafeInteger(firstSeq) || (firstSeq as number) < 0) invalid('firstSeq', firstSeq, 'an integer >= 0');
  if (!Number.isSafeInteger(seq) || (seq as number) < (firstSeq as number)) invalid('seq', seq, `an integer >= firstSeq ${firstSeq}`);
  if (!Number.isFinite(windowStartMs)) invalid('windowStartMs', windowStartMs, 'epoch ms');
  if (!Number.isFinite(windowEndMs) || (windowEndMs as number) < (windowStartMs as number))
    invalid('windowEndMs', windowEndMs, 'epoch ms >= windowStartMs');
  if (!Number.isInteger(partitionCount) || (partitionCount as number) < 1) invalid('partitionCount', partitionCount, 'an integer >= 1');
  if (!Number.isInteger(partition) || (partition as number) < 0 || (partition as number) >= (partitionCount as number)) {
    invalid('partition', partition, `an integer from 0 to ${(partitionCount as number) - 1}`);
  }
  if (!Number.isFinite(createdAtMs)) invalid('createdAtMs', createdAtMs, 'epoch ms');
  if (!Array.isArray(records)) invalid('records', records, 'an array');
  const decoded: PartitionRecord[] = [];
  const rejected: RejectedRecord[] = [];
  (records as unknown[]).forEach((record, index) => {
    const outcome = decodeRecord(record, index);
    if ('reason' in outcome) rejected.push(outcome);
    else decoded.push(outcome.record);
  });
  return {
    gatewayId,
    incarnation: incarnation as string,
    firstSeq: firstSeq as number,
    seq: seq as number,
    windowStartMs: windowStartMs as number,
    windowEndMs: windowEndMs as number,
    partition: partition as number,
    partitionCount: partitionCount as number,
    createdAtMs: createdAtMs as number,
    records: decoded,
    rejected,
  };
}

function decodeRecord(record: unknown, index: number): { record: PartitionRecord } | RejectedRecord {
  const where = `records[${index}]`;
  if (!Array.isArray(record) || record.length !== 2) return { index, reason: `${where} was not [key, state]` };
  const [key, state] = record;
  if (!Array.isArray(key) || key.length !== 2 || typeof key[0] !== 'string' || typeof key[1] !== 'string')
    return { index, reason: `${where}.key was ${(JSON.stringify(key) ?? String(key)).slice(0, 60)}, expected [deviceId, metric]` };
  const pair: [string, string] = [key[0], key[1]];
  try {
    const decodedState = metricStateFromArray(state);
    const problem = decodedState.finiteProblem();
    if (problem) return { index, key: pair, reason: `${where}.state: ${problem}` };
    return { record: [pair, decodedState] };
  } catch (error) {
    return { index, key: pair, reason: `${where}.state: ${(error as Error).message}` };
  }
}
