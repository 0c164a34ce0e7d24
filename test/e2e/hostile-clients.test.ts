import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { cloudCli, gatewayCli, killedAfterEachTest, runCli, tempDir, writeYaml } from './processes.js';

const { start } = killedAfterEachTest();

/** Resident memory of a process, from the kernel's own accounting. */
const residentBytes = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) * 1024;

/**
 * One socket that declares a CONNECT of 256 MiB (remaining length 0xFFFFFF7F) and then sends
 * up to 32 MiB of its body as fast as the broker reads it. Resolves with whether the broker
 * closed the socket before the sender was done.
 */
function declareHugePacket(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunk = Buffer.alloc(1 << 20, 0x41);
    let sent = 0;
    let gaveUp = false;
    socket.on('error', () => {});
    socket.on('close', () => resolve(!gaveUp));
    socket.on('connect', () => {
      socket.write(Buffer.from([0x10, 0xff, 0xff, 0xff, 0x7f]));
      const pump = () => {
        while (sent < 32 && !socket.destroyed) {
          sent++;
          if (!socket.write(chunk)) return void socket.once('drain', pump);
        }
        // All sent and still open after 2 s: the broker is buffering it; close it ourselves.
        setTimeout(() => {
          gaveUp = !socket.destroyed;
          socket.destroy();
        }, 2_000);
      };
      pump();
    });
  });
}

async function attack(pid: number, port: number): Promise<{ closed: boolean[]; growthBytes: number }> {
  const before = residentBytes(pid);
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, residentBytes(pid));
  }, 20);
  const closed = await Promise.all(Array.from({ length: 8 }, () => declareHugePacket(port)));
  clearInterval(sampler);
  return { closed, growthBytes: Math.max(peak, residentBytes(pid)) - before };
}

describe('hostile clients before login', () => {
  it("eight sockets declaring 256 MiB packets: each is closed, and neither broker's memory grows by 64 MB", async () => {
    const dir = tempDir('hostile');
    const gatewayConfig = writeYaml(dir, 'gateway.yaml', { gatewayId: 'gw-hostile', dataDir: dir, mqtt: { port: 0 }, ops: { port: 0 } });
    const gateway = await start(gatewayCli, ['-c', gatewayConfig], 'gateway ready');
    const onGateway = await attack(gateway.child.pid as number, gateway.ports.mqtt);
    const cloudDir = tempDir('hostile-cloud');
    const cloudConfig = writeYaml(cloudDir, 'cloud.yaml', { dataDir: cloudDir, broker: { port: 0 }, http: { port: 0 } });
    const cloud = await start(cloudCli, ['-c', cloudConfig], 'cloud ready');
    const onCloud = await attack(cloud.child.pid as number, cloud.ports.broker);
    expect({ gateway: onGateway.closed, cloud: onCloud.closed }).toEqual({ gateway: Array(8).fill(true), cloud: Array(8).fill(true) });
    expect(onGateway.growthBytes).toBeLessThan(64 * 1024 * 1024);
    expect(onCloud.growthBytes).toBeLessThan(64 * 1024 * 1024);
  });

  it("the cloud's broker serves gateways over TLS alone: the uplink's secret never crosses in clear", async () => {
    const dir = tempDir('cloud-tls');
    const keyFile = join(dir, 'key.pem');
    const certFile = join(dir, 'cert.pem');
    await promisify(execFile)('openssl', [
      ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1'],
      ...['-keyout', keyFile, '-out', certFile, '-subj', '/CN=fogline-test', '-addext', 'subjectAltName=IP:127.0.0.1'],
    ]);
    const cloudConfig = writeYaml(dir, 'cloud.yaml', {
      dataDir: join(dir, 'cloud'),
      broker: { port: 0, plaintext: false, tls: { port: 0, keyFile, certFile } },
      http: { port: 0 },
    });
    const { secret } = JSON.parse(await runCli(cloudCli, ['gateways', 'add', 'gw-tls', '-c', cloudConfig])) as { secret: string };
    const cloud = await start(cloudCli, ['-c', cloudConfig], 'cloud ready');
    expect(cloud.ports.broker).toBeUndefined();
    const gatewayConfig = writeYaml(dir, 'gateway.yaml', {
      gatewayId: 'gw-tls',
      dataDir: join(dir, 'gateway'),
      mqtt: { port: 0 },
      ops: { port: 0 },
      uplink: { url: `mqtts://127.0.0.1:${cloud.ports.brokerTls}`, caFile: certFile, username: 'gw-tls', password: secret },
    });
    await runCli(gatewayCli, ['devices', 'add', 'atm-1', '-c', gatewayConfig]);
    const gateway = await start(gatewayCli, ['-c', gatewayConfig], 'gateway ready');
    // The gateway's status reaches the cloud only through the TLS listener.
    const deadline = Date.now() + 10_000;
    let seen = false;
    while (!seen && Date.now() < deadline) {
      const response = await fetch(`http://127.0.0.1:${cloud.ports.http}/api/v1/gateways`);
      seen = JSON.stringify(await response.json()).includes('gw-tls');
      if (!seen) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(seen).toBe(true);
    expect(gateway.output()).toContain('uplink connected');
  });
});
