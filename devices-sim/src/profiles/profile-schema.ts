import { z } from 'zod';

/** Metric and event names travel in topics and keys; the gateway accepts this alphabet. */
const name = z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'a name of 1-64 letters, digits, _ . : -');
const nonNegative = z.number().min(0);
const positive = z.number().positive();
const hourRange = z.tuple([nonNegative, nonNegative]).refine(([low, high]) => low <= high, 'a [low, high] pair of hours with low <= high');

/**
 * One signal of a device. A gauge is sampled every reading: mean, plus a daily cycle, plus
 * Gaussian noise, plus the failure mode's drift. A count is the number of occurrences in the
 * reading's interval (Poisson), times scale: card-reader errors, withdrawals, cash dispensed.
 */
export const metricSchema = z
  .strictObject({
    kind: z.enum(['gauge', 'count']).default('gauge'),
    /** gauge: the healthy level. */
    mean: z.number().optional(),
    /** gauge: the standard deviation of the noise on each reading. */
    noise: nonNegative.default(0),
    /** count: occurrences per hour when healthy. */
    perHour: nonNegative.optional(),
    /** count: what one occurrence adds to the value (an average withdrawal, say). */
    scale: positive.default(1),
    /** Daily cycle: a gauge's amplitude in its own unit; a count's as a fraction of perHour (0-1). */
    daily: nonNegative.default(0),
    /** Hour of the day (UTC) at which the daily cycle peaks. */
    peakHour: z.number().min(0).max(24).default(14),
    min: z.number().optional(),
    max: z.number().optional(),
    /** Decimal places the device reports. */
    decimals: z.number().int().min(0).max(10).default(3),
  })
  .superRefine((metric, context) => {
    if (metric.kind === 'gauge' && metric.mean === undefined)
      context.addIssue({ code: 'custom', path: ['mean'], message: 'a number (a gauge needs its healthy mean)' });
    if (metric.kind === 'count' && metric.perHour === undefined)
      context.addIssue({ code: 'custom', path: ['perHour'], message: 'a number >= 0 (a count needs its healthy rate per hour)' });
    if (metric.kind === 'count' && metric.daily > 1)
      context.addIssue({ code: 'custom', path: ['daily'], message: 'a fraction from 0 to 1 (the daily swing of a count rate)' });
    if (metric.min !== undefined && metric.max !== undefined && metric.min > metric.max)
      context.addIssue({ code: 'custom', path: ['min'], message: `a number <= max (${metric.max})` });
  });

/** Discrete events on events/{deviceId}, as a Poisson process with an hourly rate. */
export const eventSchema = z.strictObject({
  perHour: nonNegative,
  daily: z.number().min(0).max(1).default(0),
  peakHour: z.number().min(0).max(24).default(14),
  /** Attributes sent with every occurrence, as {"code": "E42"}. */
  attrs: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
});

/** A way a device fails: how its signals drift on the way there, relative to healthy. */
export const failureModeSchema = z.strictObject({
  weight: positive.default(1),
  /** Per metric, what is added at the moment of failure: a gauge's unit, or a count's occurrences per hour. */
  drift: z.record(name, z.number()).default({}),
  /** Per event type, occurrences per hour added at the moment of failure. */
  events: z.record(name, nonNegative).default({}),
});

/**
 * Degradation before failure: after a repair a device is healthy for an exponentially
 * distributed time, then its hidden health decays from 1 to 0 over a random number of hours
 * in degradationHours (so at a random rate), its signals drifting by drift x (1 - health)^shape;
 * at 0 it fails (an event), is out of service for repairHours, and a repair event resets it.
 */
export const failureSchema = z.strictObject({
  /** Mean time between failures of one device, in days; the fleet's failure rate is devices / mtbfDays. */
  mtbfDays: positive,
  degradationHours: hourRange.default([24, 72]),
  repairHours: hourRange.default([2, 8]),
  shape: positive.default(2),
  modes: z.record(name, failureModeSchema).refine((modes) => Object.keys(modes).length > 0, 'at least one failure mode'),
});

const fraction = z.number().min(0).max(1);

/**
 * Usage: transactions per hour, published as a count metric, that the other signals follow.
 * A device's rate is perHour x its own busyness (lognormal, deviceSpread) x the daily cycle x
 * weekendFactor on Saturdays and Sundays.
 */
export const usageSchema = z.strictObject({
  metric: name,
  perHour: positive,
  daily: fraction.default(0),
  peakHour: z.number().min(0).max(24).default(13),
  weekendFactor: positive.default(1),
  deviceSpread: nonNegative.default(0),
  /** Per gauge: what one transaction an hour adds to it (a busy dispenser draws more current). */
  effects: z.record(name, z.number()).default({}),
  /** Counts whose rate follows usage (cash dispensed follows transactions). */
  follows: z.array(name).default([]),
});

/**
 * Each site's weather: a slow random swing (value noise with knots correlationHours apart,
 * standard deviation sd) plus a daily cycle; effects add so much per degree to a gauge.
 */
export const weatherSchema = z.strictObject({
  sd: nonNegative,
  correlationHours: positive.default(36),
  daily: nonNegative.default(0),
  peakHour: z.number().min(0).max(24).default(15),
  effects: z.record(name, z.number()).default({}),
});

/**
 * How the symptoms of wear show. Each metric a failure mode drifts shows in a given failure
 * with probability showProbability (one always does); symptoms come in bursts: on for about
 * burstOnHours, then quiet (drift x quietLevel) for about burstOffHours; 0 hours: always on.
 */
export const symptomsSchema = z.strictObject({
  showProbability: fraction.default(1),
  burstOnHours: nonNegative.default(0),
  burstOffHours: nonNegative.default(0),
  quietLevel: fraction.default(1),
});

/**
 * What a real fleet adds to the textbook one; every part is off by default (the classic
 * profile). Devices are spread over sites (labelled site-01, ...), each device and site with
 * lifelong offsets; wear grows in random jumps; a share of failures comes with no warning;
 * technicians visit now and then and reset a part's wear before it fails.
 */
export const fieldSchema = z.strictObject({
  sites: z.number().int().min(1).default(1),
  /** Per gauge: the standard deviation of a device's lifelong offset from the profile's mean. */
  deviceSpread: z.record(name, nonNegative).default({}),
  /** Per gauge: the standard deviation of a site's offset. */
  siteSpread: z.record(name, nonNegative).default({}),
  /** A device's noise is the metric's x exp(noiseSpread x N(0, 1)): some run noisy all their life. */
  noiseSpread: nonNegative.default(0),
  usage: usageSchema.optional(),
  weather: weatherSchema.optional(),
  symptoms: symptomsSchema.default({ showProbability: 1, burstOnHours: 0, burstOffHours: 0, quietLevel: 1 }),
  /** Wear grows in this many random jumps (at least, at most) on top of smoothShare of steady growth. */
  wearJumps: z.tuple([z.number().int().min(0), z.number().int().min(0)]).default([0, 0]),
  smoothShare: fraction.default(1),
  /** The share of failures that come with no warning: no drift before them. */
  suddenShare: fraction.default(0),
  /** Mean days between a technician's routine visits (a `service` and a `door-open` event); absent: none. */
  serviceEveryDays: positive.optional(),
});

export const profileSchema = z.strictObject({
  /** The device model, sent as a label; defaults to the profile's name. */
  model: z.string().min(1).optional(),
  metrics: z.record(name, metricSchema).refine((metrics) => Object.keys(metrics).length > 0, 'at least one metric'),
  events: z.record(name, eventSchema).default({}),
  failure: failureSchema.optional(),
  field: fieldSchema.optional(),
});

/** A profiles file: `profiles: { <name>: <profile> }`, YAML or JSON. */
export const profilesFileSchema = z.strictObject({
  profiles: z.record(name, profileSchema).refine((profiles) => Object.keys(profiles).length > 0, 'at least one profile'),
});

export type MetricSpec = z.output<typeof metricSchema>;
export type EventSpec = z.output<typeof eventSchema>;
export type FailureSpec = z.output<typeof failureSchema>;
export type FailureModeSpec = z.output<typeof failureModeSchema>;
export type FieldSpec = z.output<typeof fieldSchema>;
export type ProfileInput = z.input<typeof profileSchema>;

/** A validated profile with its name. */
export interface Profile extends z.output<typeof profileSchema> {
  readonly name: string;
  readonly model: string;
}
