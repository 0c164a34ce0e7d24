import { cpus } from 'node:os';
import { openPostgresCloudStore } from '@fogline/cloud';
import { gatewayEnvelopes } from './intake-envelopes.js';

// One cloud worker of the PostgreSQL intake bench, as its own process: it builds its
// gateways' envelopes, says "ready", waits for "go" on stdin, merges them one at a time (as
// its MQTT subscription hands them over), and prints what it measured.
const { url, gateways, windows, devices } = JSON.parse(process.argv[2]) as {
  url: string;
  gateways: string[];
  windows: number;
  devices: number;
};
const work = gateways.map((gatewayId) => ({ gatewayId, envelopes: gatewayEnvelopes(gatewayId, windows, devices) }));
const store = await openPostgresCloudStore({ url, poolSize: 4, nodeId: `bench-${process.pid}` });
console.log('ready');
await new Promise((resolve) => process.stdin.once('data', resolve));
const started = performance.now();
const cpu = process.cpuUsage();
// Round robin over the gateways, as a shared subscription interleaves them.
for (let i = 0; i < work[0].envelopes.length; i++)
  for (const { gatewayId, envelopes } of work) await store.partitions.apply(`fogline/v1/${gatewayId}/partitions/0`, envelopes[i]);
const wallMs = performance.now() - started;
const used = process.cpuUsage(cpu);
console.log(JSON.stringify({ wallMs, cpuMs: (used.user + used.system) / 1000, cores: cpus().length }));
await store.close();
process.exit(0);
