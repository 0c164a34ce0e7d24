import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { ClusterCoordinator } from '../store/cloud-store.js';
import { ScheduledJobs } from './scheduled-jobs.js';

const leader = { isLeader: () => true } as unknown as ClusterCoordinator;

describe('scheduled jobs', () => {
  it('runs a job on its cron schedule, and never one whose schedule is "off"', async () => {
    const jobs = new ScheduledJobs(leader, pino({ level: 'silent' }));
    const ran: string[] = [];
    jobs.add('maintenanceTrain', 'off', async () => {
      ran.push('maintenanceTrain');
    });
    jobs.add('retention', '* * * * * *', async () => {
      ran.push('retention');
    });
    expect(jobs.scheduledCount).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 2200));
    await jobs.stop();
    expect(ran).toContain('retention');
    expect(ran).not.toContain('maintenanceTrain');
  });
});
