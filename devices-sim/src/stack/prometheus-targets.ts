import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunningStackFile } from './stack.js';

/** Where the stack writes its scrape targets, in its data folder. */
export const prometheusTargetsFile = 'prometheus-targets.json';

/**
 * The stack's parts as Prometheus file-based service discovery
 * (https://prometheus.io/docs/prometheus/latest/configuration/configuration/#file_sd_config):
 * the gateways' ops ports and the cloud nodes' APIs, which may be picked anew at every run, so
 * a static scrape config cannot name them. Prometheus re-reads the file when it changes; it is
 * replaced atomically, so a scrape never sees half of it.
 */
export function writePrometheusTargets(dataDir: string, running: RunningStackFile): string {
  const groups = [
    ...running.gateways.map((g) => ({
      targets: [`127.0.0.1:${g.opsPort}`],
      labels: { component: 'gateway', gateway: g.gatewayId, site: g.site },
    })),
    ...running.cloudWorkers.map((w) => ({ targets: [`127.0.0.1:${w.httpPort}`], labels: { component: 'cloud', node: w.nodeId } })),
  ];
  const path = join(dataDir, prometheusTargetsFile);
  writeFileSync(`${path}.tmp`, `${JSON.stringify(groups, null, 2)}\n`);
  renameSync(`${path}.tmp`, path);
  return path;
}
