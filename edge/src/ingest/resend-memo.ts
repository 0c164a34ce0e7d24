/** QoS 1 publishes remembered per device for resend detection; the device's oldest go first. */
export const resendMemoPerDeviceMaxDefault = 16;
/** Devices with a non-empty memo, at most; past it the memo idle longest is dropped (counted). */
export const resendMemoDevicesMaxDefault = 100_000;

/** FNV-1a over the payload: cheap, and with the packet id enough to tell a resend from a new message. */
export function payloadDigest(payload: Uint8Array): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < payload.length; i++) {
    hash ^= payload[i];
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** The connection number of publishes restored from a snapshot or replayed: a run before this one. */
export const previousRunConnection = 0;

/**
 * A device's memo: a ring of its last publishes, newest last, in ONE Float64Array of
 * [packet id x 2^32 + digest, connection, log offset] per entry (a gateway holds one per
 * device: one array, not four, keeps 10,000 devices to a few MB).
 */
class DeviceMemo {
  readonly slots: Float64Array;
  size = 0;
  next = 0;
  lastUsedMs = 0;

  constructor(readonly capacity: number) {
    this.slots = new Float64Array(capacity * 3);
  }

  id(slot: number): number {
    return Math.floor(this.slots[slot * 3] / 2 ** 32);
  }

  digest(slot: number): number {
    return this.slots[slot * 3] % 2 ** 32;
  }

  connection(slot: number): number {
    return this.slots[slot * 3 + 1];
  }

  offset(slot: number): number {
    return this.slots[slot * 3 + 2];
  }

  setConnection(slot: number, connection: number): void {
    this.slots[slot * 3 + 1] = connection;
  }

  /** Makes the entry match no packet id (id 0 is never a QoS 1 packet id [MQTT-2.3.1-1]). */
  erase(slot: number): void {
    this.slots[slot * 3] = this.digest(slot);
  }

  /** The slot of the newest entry with this packet id, or -1. */
  newest(messageId: number): number {
    for (let i = 1; i <= this.size; i++) {
      const slot = (this.next - i + this.capacity) % this.capacity;
      if (this.id(slot) === messageId) return slot;
    }
    return -1;
  }

  push(messageId: number, digest: number, connection: number, offset: number): void {
    const base = this.next * 3;
    this.slots[base] = messageId * 2 ** 32 + digest;
    this.slots[base + 1] = connection;
    this.slots[base + 2] = offset;
    this.next = (this.next + 1) % this.capacity;
    if (this.size < this.capacity) this.size++;
  }
}

/** A snapshot of the memo: per device, its publishes oldest first as [packetId, digest] pairs, flat. */
export type ResendMemoSnapshot = [deviceId: string, pairs: number[]][];

/**
 * What tells a real resend from a new publish that happens to carry the same bytes. A device
 * resends a QoS 1 publish when it did not get the PUBACK: its connection broke first. A
 * spec-conforming client sets DUP; MQTT.js does not. So a publish is a resend when its packet id
 * and payload equal the device's newest publish with that id, and that one
 *  - has not been acknowledged yet (its log write is still under way: a client may not reuse
 *    an id before its PUBACK), or
 *  - came on an earlier connection that did not end with DISCONNECT, or
 *  - came on this connection and the new one has DUP set.
 * A clean DISCONNECT means the client has its PUBACKs: the device's memo is cleared, so
 * `mosquitto_pub` run five times with the same bytes is five readings.
 *
 * Bounded per device (a device with more unacknowledged publishes than that at a break is the
 * one whose oldest resends are not recognised) and in devices, so that no other device's
 * traffic can evict a device's memory. Restored exactly after a restart from a snapshot plus
 * the ingest log after it (the log records clean disconnects too).
 */
export class ResendMemo {
  private readonly devices = new Map<string, DeviceMemo>();
  /** Memos dropped at devicesMax. */
  evicted = 0;

  constructor(
    readonly perDeviceMax = resendMemoPerDeviceMaxDefault,
    readonly devicesMax = resendMemoDevicesMaxDefault,
    /** Told of each memo dropped at devicesMax, for the metrics. */
    private readonly onEvicted: () => void = () => {},
  ) {}

  /**
   * True when this publish is a resend of one already logged. `committedEnd` is the log offset
   * below which entries are on disk (their PUBACK is sent or on its way).
   */
  isResend(deviceId: string, connection: number, messageId: number, digest: number, dup: boolean, committedEnd: number): boolean {
    const memo = this.devices.get(deviceId);
    if (!memo) return false;
    const slot = memo.newest(messageId);
    if (slot < 0 || memo.digest(slot) !== digest) return false;
    const resend = memo.offset(slot) >= committedEnd || memo.connection(slot) !== connection || dup;
    // The resend now belongs to this connection: the client gets its PUBACK here, so the same
    // id and bytes again on this connection without DUP are a new publish.
    if (resend) memo.setConnection(slot, connection);
    return resend;
  }

  remember(deviceId: string, connection: number, messageId: number, digest: number, offset: number, nowMs = Date.now()): void {
    let memo = this.devices.get(deviceId);
    if (!memo) {
      if (this.devices.size >= this.devicesMax) this.evictIdlest();
      memo = new DeviceMemo(this.perDeviceMax);
      this.devices.set(deviceId, memo);
    }
    memo.push(messageId, digest, connection, offset);
    memo.lastUsedMs = nowMs;
  }

  /** Forgets a publish whose log write failed, so that its resend is logged. */
  forget(deviceId: string, messageId: number): void {
    const memo = this.devices.get(deviceId);
    const slot = memo ? memo.newest(messageId) : -1;
    if (memo && slot >= 0) memo.erase(slot);
  }

  /** The device disconnected cleanly: it has every PUBACK, so nothing it sends next is a resend. */
  clear(deviceId: string): void {
    this.devices.delete(deviceId);
  }

  has(deviceId: string): boolean {
    return this.devices.has(deviceId);
  }

  get deviceCount(): number {
    return this.devices.size;
  }

  private evictIdlest(): void {
    let idlest: string | undefined;
    let idlestMs = Number.POSITIVE_INFINITY;
    for (const [deviceId, memo] of this.devices)
      if (memo.lastUsedMs < idlestMs) {
        idlest = deviceId;
        idlestMs = memo.lastUsedMs;
      }
    if (idlest !== undefined) this.devices.delete(idlest);
    this.evicted++;
    this.onEvicted();
  }

  /** The entries logged below `committedEnd`, for a snapshot that the log after it completes. */
  snapshot(committedEnd: number): ResendMemoSnapshot {
    const out: ResendMemoSnapshot = [];
    for (const [deviceId, memo] of this.devices) {
      const pairs: number[] = [];
      for (let i = memo.size; i >= 1; i--) {
        const slot = (memo.next - i + memo.capacity) % memo.capacity;
        if (memo.offset(slot) < committedEnd && memo.id(slot) !== 0) pairs.push(memo.id(slot), memo.digest(slot));
      }
      if (pairs.length > 0) out.push([deviceId, pairs]);
    }
    return out;
  }

  /** Restores a snapshot; its entries belong to a previous run's connections, all of them gone. */
  restore(snapshot: ResendMemoSnapshot, nowMs = Date.now()): void {
    for (const [deviceId, pairs] of snapshot)
      for (let i = 0; i < pairs.length; i += 2) this.remember(deviceId, previousRunConnection, pairs[i], pairs[i + 1], -1, nowMs);
  }
}
