// The job every gateway runs unless its config names another: the example to copy.
//
//   job:
//     - "@fogline/edge/jobs/default-job.js"   # keep: every reading to the cloud, and the rules
//     - "./my-job.js"                         # yours beside it
//
// `readings` is a DStream of every reading the gateway accepted, one micro-batch at a time.
// Whatever a job forwards is reduced into the configured windows (per device and metric) and
// merged by the cloud; the rules are the config's `rules:`.
import type { GatewayJob } from '../pipeline/gateway-job.js';

const defaultJob: GatewayJob = (readings, { forward, checkRules }) => {
  forward(readings);
  checkRules(readings);
};

export default defaultJob;
