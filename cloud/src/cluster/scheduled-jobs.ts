import { type ScheduledTask, schedule } from 'node-cron';
import type { Logger } from 'pino';
import type { CloudConfig } from '../config/cloud-config.js';
import { scheduleOff } from '../config/cloud-config.js';
import type { ClusterCoordinator } from '../store/cloud-store.js';

export type JobName = keyof CloudConfig['schedules'];

/**
 * The cloud's cron jobs (retention, model training, scoring), run once per cluster: every node
 * keeps the schedule, and at each tick only the leader (the holder of the cluster's advisory
 * lock, or the single node of an embedded store) runs the job. A leader that dies releases the
 * lock with its session, and another node takes the next tick. A job's error is logged, never
 * thrown into the scheduler.
 */
export class ScheduledJobs {
  private readonly tasks: ScheduledTask[] = [];

  constructor(
    private readonly cluster: ClusterCoordinator,
    private readonly logger: Logger,
  ) {}

  /** Runs `run` on the leader at every tick of the cron expression; "off" schedules nothing. */
  add(name: JobName, expression: string, run: () => Promise<unknown>): void {
    if (expression === scheduleOff) {
      this.logger.info({ job: name }, 'scheduled job off');
      return;
    }
    this.tasks.push(schedule(expression, () => void this.runIfLeader(name, run)));
  }

  /** How many jobs are scheduled (an "off" one is not). */
  get scheduledCount(): number {
    return this.tasks.length;
  }

  async runIfLeader(name: JobName, run: () => Promise<unknown>): Promise<boolean> {
    if (!this.cluster.isLeader()) return false;
    try {
      await run();
    } catch (error) {
      this.logger.error({ job: name, error: (error as Error).message }, 'scheduled job failed');
    }
    return true;
  }

  async stop(): Promise<void> {
    for (const task of this.tasks.splice(0)) await task.stop();
  }
}
