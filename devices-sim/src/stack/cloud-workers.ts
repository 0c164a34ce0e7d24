import { join } from 'node:path';
import { type ServiceProcess, startService, stopService } from './service-process.js';
import { cloudCli } from './stack-setup.js';

export interface CloudWorkerSpec {
  readonly nodeId: string;
  readonly configPath: string;
}

/** A worker that exits this many times within a minute is left down, and the stack stops. */
export const workerRestartsPerMinuteMax = 5;
/** How long a crashed worker stays down before it is started again. */
export const workerRestartDelayMs = 1000;

/**
 * The stack's cloud: one fogline-cloud process, or N workers of a cluster over one PostgreSQL
 * and an external broker. In a cluster a worker that exits is started again under the same node
 * id (as systemd's Restart=on-failure would), so the broker hands it back its session and what
 * it had not acknowledged; the others go on merging meanwhile. A worker that keeps failing
 * takes the stack down with the reason from its log.
 */
export class CloudWorkers {
  private readonly running = new Map<string, ServiceProcess>();
  private readonly restarts = new Map<string, number[]>();
  private stopping = false;

  constructor(
    private readonly specs: readonly CloudWorkerSpec[],
    private readonly logs: string,
    private readonly say: (line: string) => void,
    /** Called when a worker cannot be kept up (or, with one worker, when it exits). */
    private readonly failed: (name: string, code: number | null) => void,
    /** Called after a restart: the process ids changed. */
    private readonly changed: () => void,
  ) {}

  get clustered(): boolean {
    return this.specs.length > 1;
  }

  async start(): Promise<void> {
    for (const spec of this.specs) await this.startOne(spec);
  }

  /** The first worker: the one whose HTTP port the stack shows first. */
  get primary(): ServiceProcess | undefined {
    return this.running.get(this.specs[0].nodeId);
  }

  get all(): { nodeId: string; service: ServiceProcess }[] {
    return this.specs.flatMap((spec) => {
      const service = this.running.get(spec.nodeId);
      return service ? [{ nodeId: spec.nodeId, service }] : [];
    });
  }

  private nameOf(spec: CloudWorkerSpec): string {
    return this.clustered ? `fogline-cloud-${spec.nodeId}` : 'fogline-cloud';
  }

  private async startOne(spec: CloudWorkerSpec): Promise<void> {
    const name = this.nameOf(spec);
    const service = await startService(name, cloudCli(), ['start', '-c', spec.configPath], 'cloud ready', join(this.logs, `${name}.log`));
    this.running.set(spec.nodeId, service);
    void service.exited.then((code) => this.exited(spec, service, code));
  }

  private exited(spec: CloudWorkerSpec, service: ServiceProcess, code: number | null): void {
    if (this.stopping || this.running.get(spec.nodeId) !== service) return;
    this.running.delete(spec.nodeId);
    if (!this.clustered) return this.failed(service.name, code);
    const now = Date.now();
    const recent = (this.restarts.get(spec.nodeId) ?? []).filter((at) => now - at < 60_000);
    if (recent.length >= workerRestartsPerMinuteMax) return this.failed(service.name, code);
    this.restarts.set(spec.nodeId, [...recent, now]);
    this.say(`fogline: ${service.name} exited (code ${code ?? service.child.signalCode}); starting it again in ${workerRestartDelayMs} ms`);
    setTimeout(() => {
      if (this.stopping) return;
      this.startOne(spec).then(
        () => {
          this.say(`fogline: ${service.name} is back`);
          this.changed();
        },
        () => this.failed(service.name, code),
      );
    }, workerRestartDelayMs);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all([...this.running.values()].map((service) => stopService(service)));
  }
}
