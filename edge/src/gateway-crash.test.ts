import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Reading, seededRandom } from '@fogline/shared';
import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { type GatewayProcess, spawnGateway, writeConfig } from './gateway-process.js';
import { comparable, expectedStates, readOutbox, varianceMismatches } from './test-support.js';

/** SIGKILLs the gateway at random moments and restarts it on the same port, `killsWanted` times. */
class Killer {
  kills = 0;
  private streaming = true;
  private readonly done: Promise<void>;

  constructor(
    random: () => number,
    configPath: string,
    mqttPort: number,
    private gateway: GatewayProcess,
    killsWanted: number,
    pauseMsMin: number,
  ) {
    this.done = (async () => {
      while (this.kills < killsWanted && this.streaming) {
        await new Promise((resolve) => setTimeout(resolve, pauseMsMin + random() * 900));
        if (!this.streaming) break;
        this.gateway.child.kill('SIGKILL');
        await this.gateway.exited;
        this.kills++;
        this.gateway = await spawnGateway(configPath, ['--mqtt-port', String(mqttPort)]);
      }
    })();
  }

  /** Stops killing; resolves with the gateway running now. */
  async stop(): Promise<GatewayProcess> {
    this.streaming = false;
    await this.done;
    return this.gateway;
  }
}

describe('gateway crash recovery', () => {
  it('counts every acknowledged QoS 1 reading exactly once across SIGKILLs at random moments', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'fogline-crash-'));
    const configPath = writeConfig(dataDir, {
      gatewayId: 'gw-crash',
      mqtt: { port: 0, allowAnonymous: true },
      ops: { port: 0 },
      // Windows close (and checkpoint) all through the run, so kills land between closes too.
      windows: { sizeMs: 5_000, allowedLatenessMs: 20_000 },
      limits: { messagesPerSecondMax: 100_000 },
      log: { level: 'info' },
    });
    const random = seededRandom(20261124);
    const gateway: GatewayProcess = await spawnGateway(configPath);
    const mqttPort = gateway.ports.mqtt;
    const devices = ['atm-1', 'atm-2', 'motor-1', 'env-1'];
    const clients = await Promise.all(
      devices.map((deviceId) =>
        mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, { clientId: deviceId, clean: false, reconnectPeriod: 50, connectTimeout: 2000 }),
      ),
    );
    const killsWanted = 3;
    const killer = new Killer(random, configPath, mqttPort, gateway, killsWanted, 300);

    const sent: Reading[] = [];
    const base = Date.now() - 3_600_000;
    // Devices advance in lockstep, so none runs ahead of the watermark while others reconnect.
    for (let round = 0; round < 6000 && (round < 2000 || killer.kills < killsWanted); round++) {
      await Promise.all(
        clients.map(async (client, d) => {
          const reading = {
            deviceId: devices[d],
            metric: 'vibration',
            ts: base + round * 100 + d,
            value: Math.round(random() * 10_000) / 100,
          };
          // Resolves on PUBACK, however many reconnects and resends that takes.
          await client.publishAsync(`telemetry/${devices[d]}/vibration`, JSON.stringify({ ts: reading.ts, value: reading.value }), {
            qos: 1,
          });
          sent.push(reading);
        }),
      );
    }
    const gateway2 = await killer.stop();
    await Promise.all(clients.map((c) => c.endAsync()));
    gateway2.child.kill('SIGTERM');
    expect(await gateway2.exited).toBe(0);

    expect(killer.kills).toBeGreaterThanOrEqual(killsWanted);
    const outbox = await readOutbox(dataDir);
    expect(comparable(outbox.states)).toEqual(comparable(expectedStates(sent)));
    expect(varianceMismatches(outbox.states, expectedStates(sent))).toEqual([]);
    expect(new Set(outbox.seqs).size).toBe(outbox.seqs.length);
  });

  it('counts every acknowledged reading exactly once across SIGKILLs while the ingest log is full, devices out of step', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'fogline-crash-full-'));
    const configPath = writeConfig(dataDir, {
      gatewayId: 'gw-crash-full',
      mqtt: { port: 0, allowAnonymous: true },
      ops: { port: 0 },
      // A log far too small for the windows: it is full most of the run, and the policy
      // (close the oldest window, refuse meanwhile) runs again and again.
      ingest: { logBytesMax: 48 * 1024 },
      windows: { sizeMs: 60_000, allowedLatenessMs: 600_000 },
      limits: { messagesPerSecondMax: 100_000 },
      schedules: { compaction: '* * * * * *' },
      log: { level: 'info' },
    });
    const random = seededRandom(20261202);
    const gateway: GatewayProcess = await spawnGateway(configPath);
    const mqttPort = gateway.ports.mqtt;
    // Devices with their own clocks: one 2 minutes ahead, one 10 minutes behind.
    const devices = [
      { id: 'ahead', skewMs: 120_000 },
      { id: 'behind', skewMs: -600_000 },
      { id: 'plain-1', skewMs: 0 },
      { id: 'plain-2', skewMs: 0 },
    ];
    const clients = await Promise.all(
      devices.map(({ id }) =>
        mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, { clientId: id, clean: false, reconnectPeriod: 50, connectTimeout: 2000 }),
      ),
    );
    const killer = new Killer(random, configPath, mqttPort, gateway, 3, 400);
    const sent: Reading[] = [];
    const base = Date.now() - 3_600_000;
    // Not in lockstep: each device runs at its own pace, with its own pauses.
    await Promise.all(
      clients.map(async (client, d) => {
        for (let n = 0; n < 4000 && (n < 1500 || killer.kills < 3); n++) {
          if (random() < 0.01) await new Promise((resolve) => setTimeout(resolve, random() * 100));
          const ts = base + devices[d].skewMs + n * 250;
          const reading = { deviceId: devices[d].id, metric: 'load', ts, value: Math.round(random() * 10_000) / 100 };
          await client.publishAsync(`telemetry/${reading.deviceId}/load`, JSON.stringify({ ts, value: reading.value }), { qos: 1 });
          sent.push(reading);
        }
      }),
    );
    const last = await killer.stop();
    await Promise.all(clients.map((c) => c.endAsync()));
    last.child.kill('SIGTERM');
    expect(await last.exited).toBe(0);
    expect(killer.kills).toBe(3);
    const outbox = await readOutbox(dataDir);
    const counts = (m: Map<string, { count: number }>) => Object.fromEntries([...m].map(([k, v]) => [k, v.count]).sort());
    expect(counts(outbox.states)).toEqual(counts(expectedStates(sent)));
    expect(comparable(outbox.states)).toEqual(comparable(expectedStates(sent)));
    expect(varianceMismatches(outbox.states, expectedStates(sent))).toEqual([]);
  });
});
