/**
 * The time the charts' ranges end at: the newest data, not the wall clock, so a fleet replaying
 * last month (or a cloud catching up after an outage) shows its last 24 hours, not an empty chart.
 */
export const dataClock = {
  latestMs: 0,
  nowMs(): number {
    return this.latestMs > 0 ? this.latestMs : Date.now();
  },
};
