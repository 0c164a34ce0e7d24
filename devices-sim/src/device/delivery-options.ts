/** How devices deliver their readings; every time is on the simulated clock. */
export interface DeliveryOptions {
  /** Time between two readings of one device. */
  readonly intervalMs: number;
  /** Each step is intervalMs x (1 +- jitterRatio), uniformly. */
  readonly jitterRatio: number;
  /** Standard deviation of each device's clock error, added to the ts it reports. */
  readonly skewMsStddev: number;
  /** Fraction of readings sent after the device's next reading. */
  readonly outOfOrderRatio: number;
  /** Fraction of readings held back by lateByMs. */
  readonly lateRatio: number;
  readonly lateByMs: number;
  /** Fraction of telemetry publishes replaced by a malformed payload. */
  readonly malformedRatio: number;
  /** Telemetry publishes per device, at most (--count); undefined: no limit. */
  readonly readingsPerDeviceMax?: number;
}

export const deliveryDefaults: DeliveryOptions = {
  intervalMs: 10_000,
  jitterRatio: 0.1,
  skewMsStddev: 0,
  outOfOrderRatio: 0,
  lateRatio: 0,
  lateByMs: 60_000,
  malformedRatio: 0,
};
