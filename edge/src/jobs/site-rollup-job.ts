// A job that rolls readings up per site, for the simulated ATM fleet: the cash every site's
// ATMs dispensed, and how hot and how shaky they run, as one figure per site and window,
// whatever the number of ATMs. A device's site is its `site` label in the gateway's
// credentials file (fogline-gateway devices add <id> --label site=lisbon); a device without
// one counts under `unlabelled`.
//
//   job:
//     - "@fogline/edge/jobs/default-job.js"
//     - "@fogline/edge/jobs/site-rollup-job.js"
//
// Each reading is forwarded again under the device id `site-<site>`, with `site.` before its
// metric, so it never mixes with a device's own figures. Many ATMs send at the same
// millisecond, so the rollup is forwarded with `distinct: false`: none of them is taken for a
// duplicate. The cloud merges the rollups like any device's states: one MetricState per
// site, metric and window (count, sum, mean, min, max, quantiles). Rollup readings are
// readings: the cloud's reading totals count them too.
import type { Reading } from '@fogline/shared';
import type { GatewayJob } from '../pipeline/gateway-job.js';

export const rolledUp = ['cashDispensed', 'cabinetTemperature', 'dispenserVibration'];
/** The rollup's device id: a site label may hold what a device id may not (spaces, accents), made _. */
export const siteDevice = (site: string) => `site-${site.replace(/[^A-Za-z0-9_.:-]/g, '_')}`.slice(0, 64);
export const siteMetric = (metric: string) => `site.${metric}`;

const siteRollupJob: GatewayJob = (readings, { forward, labelsOf }) => {
  const wanted = new Set(rolledUp);
  forward(
    readings
      .filter((r: Reading) => wanted.has(r.metric))
      .map((r): Reading => ({ ...r, deviceId: siteDevice(labelsOf(r.deviceId).site ?? 'unlabelled'), metric: siteMetric(r.metric) })),
    { distinct: false },
  );
};

export default siteRollupJob;
