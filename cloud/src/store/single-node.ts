import { hostname } from 'node:os';
import type { ClusterCoordinator, ClusterNode } from './cloud-store.js';

/** A cluster of one: the embedded store is opened by one process, which runs every job. */
export class SingleNode implements ClusterCoordinator {
  private readonly startedAtMs = Date.now();
  private detail: () => Record<string, unknown> = () => ({});

  constructor(readonly nodeId: string) {}

  async start(detail: () => Record<string, unknown>): Promise<void> {
    this.detail = detail;
  }

  isLeader(): boolean {
    return true;
  }

  async nodes(): Promise<ClusterNode[]> {
    const now = Date.now();
    return [
      {
        nodeId: this.nodeId,
        host: hostname(),
        pid: process.pid,
        startedAtMs: this.startedAtMs,
        heartbeatAtMs: now,
        state: 'up',
        leader: true,
        detail: this.detail(),
      },
    ];
  }

  async stop(): Promise<void> {}
}
