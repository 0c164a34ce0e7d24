import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Reading } from '@fogline/shared';
import mqtt from 'mqtt';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { Gateway } from './gateway.js';
import { comparable, expectedStates, readOutbox, testConfig, varianceMismatches } from './test-support.js';

/** A small real filesystem (tmpfs) to fill; mounting one needs root, as CI has. */
function mountSmallDisk(): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'fogline-disk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=48m', 'tmpfs', dir], { stdio: 'ignore' });
    return dir;
  } catch {
    return undefined;
  }
}

const disk = mountSmallDisk();
afterAll(() => {
  if (disk) execFileSync('umount', ['-l', disk]);
});

/** Writes until the filesystem is full; returns the filler's path. */
function fill(dir: string): string {
  const path = join(dir, 'filler');
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(1 << 16, 1);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
  return path;
}

// Skipped where a tmpfs cannot be mounted (not root): the drill needs a disk it can fill.
describe.skipIf(!disk)('a data folder that is full for 10 s', () => {
  it('refuses what it cannot write, resumes by itself, and counts every acknowledged reading exactly once, also after a reopen', async () => {
    const dataDir = join(disk as string, 'gateway');
    const config = testConfig({
      dataDir,
      mqtt: { port: 0, allowAnonymous: true },
      ingest: { logBytesMax: 8 * 1024 * 1024 },
      outbox: { bytesMax: 8 * 1024 * 1024 },
      windows: { sizeMs: 1_000, allowedLatenessMs: 0, idleCloseMs: 2_000 },
      limits: { messagesPerSecondMax: 100_000 },
      schedules: { compaction: '* * * * * *' },
    });
    const g = await Gateway.start(config, pino({ level: 'silent' }));
    const url = `mqtt://127.0.0.1:${g.ports.mqtt}`;
    const devices = Array.from({ length: 8 }, (_, d) => `dev-${d}`);
    const clients = await Promise.all(
      devices.map((clientId) => mqtt.connectAsync(url, { clientId, clean: false, reconnectPeriod: 100, connectTimeout: 2_000 })),
    );
    const sent: Reading[] = [];
    const base = Date.now() - 600_000;
    let publishing = true;
    // Devices start at different moments and publish at their own pace.
    const publishers = clients.map(async (client, d) => {
      await new Promise((resolve) => setTimeout(resolve, d * 37));
      for (let n = 0; publishing; n++) {
        const reading = { deviceId: devices[d], metric: 'load', ts: base + n * 20 + d, value: (n * 7 + d) % 101 };
        await client.publishAsync(`telemetry/${devices[d]}/load`, JSON.stringify({ ts: reading.ts, value: reading.value }), { qos: 1 });
        sent.push(reading); // acknowledged: the oracle
        if (n % 10 === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      }
    });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const filler = fill(disk as string);
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    rmSync(filler);
    const ackedAtRecovery = sent.length;
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    publishing = false;
    await Promise.all(publishers);
    await Promise.all(clients.map((c) => c.endAsync()));
    const failures = await g.metrics.storeWriteFailures.get();
    await g.stop();

    expect(sent.length).toBeGreaterThan(ackedAtRecovery); // it resumed by itself
    expect(failures.values.reduce((n, v) => n + v.value, 0)).toBeGreaterThan(0); // the full disk was met, and counted
    const outbox = await readOutbox(dataDir); // a fresh open of the database
    const expected = expectedStates(sent);
    expect(comparable(outbox.states)).toEqual(comparable(expected));
    expect(varianceMismatches(outbox.states, expected)).toEqual([]);
  });
});
