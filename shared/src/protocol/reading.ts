/** One numeric sample from a device, stamped with its own event time (epoch ms). */
export interface Reading {
  readonly deviceId: string;
  readonly metric: string;
  readonly ts: number;
  readonly value: number;
  /**
   * True when the device sent no timestamp and ts is the gateway's arrival time: such a reading
   * has no identity of its own (two of them are two readings), and its time is the gateway's clock.
   */
  readonly arrival?: boolean;
}

/** A discrete event from a device: an error code, a door opening, a failure. */
export interface DeviceEvent {
  readonly deviceId: string;
  readonly type: string;
  readonly ts: number;
  readonly attrs: Readonly<Record<string, unknown>>;
}
