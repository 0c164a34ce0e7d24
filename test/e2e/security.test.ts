import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { cloudAndGatewayConfig, connackCode, gatewayCli, killedAfterEachTest, runCli, stopProcess, tempDir } from './processes.js';

const { start } = killedAfterEachTest();

/** A self-signed certificate for 127.0.0.1, made for this test run (openssl, from Debian). */
async function testCertificate(dir: string): Promise<{ keyFile: string; certFile: string }> {
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  await promisify(execFile)('openssl', [
    ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1'],
    ...['-keyout', keyFile, '-out', certFile, '-subj', '/CN=fogline-test', '-addext', 'subjectAltName=IP:127.0.0.1'],
  ]);
  return { keyFile, certFile };
}

const counter = (metrics: string, line: string) =>
  Number(
    metrics
      .split('\n')
      .find((l) => l.startsWith(line))
      ?.split(' ')
      .pop() ?? 0,
  );

describe('security, through the real CLIs', () => {
  it('devices need their secret, stay in their own topics, and may use TLS; the API needs its token; gateways need theirs', async () => {
    const token = 'fogline-e2e-token-0123456789';
    const tlsDir = tempDir('sec-tls');
    const tls = await testCertificate(tlsDir);
    const { cloud, gatewayConfig, gatewaySecret } = await cloudAndGatewayConfig(start, 'gw-sec', {
      cloudHttp: { token },
      gateway: () => ({ mqtt: { port: 0, tls: { port: 0, ...tls } }, windows: { sizeMs: 1_000, allowedLatenessMs: 0 } }),
    });
    const { secret } = JSON.parse(await runCli(gatewayCli, ['devices', 'add', 'atm-1', '-c', gatewayConfig]));
    await runCli(gatewayCli, ['devices', 'add', 'atm-2', '-c', gatewayConfig]);
    const gateway = await start(gatewayCli, ['-c', gatewayConfig], 'gateway ready');
    const plain = `mqtt://127.0.0.1:${gateway.ports.mqtt}`;
    const secure = `mqtts://127.0.0.1:${gateway.ports.tls}`;

    // Credentials: none (5, not authorised), a wrong secret and an unknown device (4).
    expect(await connackCode(plain, {})).toBe(5);
    expect(await connackCode(plain, { username: 'atm-1', password: 'not-the-secret' })).toBe(4);
    expect(await connackCode(plain, { username: 'atm-9', password: secret })).toBe(4);

    // ACL: atm-1 may publish as itself, not as atm-2; the gateway drops the connection and counts it.
    const base = Date.now() - 10_000;
    const atm1 = await mqtt.connectAsync(plain, { username: 'atm-1', password: secret, reconnectPeriod: 0 });
    await atm1.publishAsync('telemetry/atm-1', JSON.stringify({ ts: base, temperature: 20 }), { qos: 1 });
    const closed = new Promise((resolve) => atm1.once('close', resolve));
    atm1.publish('telemetry/atm-2', JSON.stringify({ ts: base + 1, temperature: 99 }), { qos: 1 });
    await closed;
    atm1.end(true);

    // TLS with the test certificate: trusted, it carries readings; untrusted, it is refused.
    const ca = readFileSync(tls.certFile);
    const overTls = await mqtt.connectAsync(secure, { username: 'atm-1', password: secret, ca, reconnectPeriod: 0 });
    await overTls.publishAsync('telemetry/atm-1', JSON.stringify({ ts: base + 2, temperature: 22 }), { qos: 1 });
    await overTls.endAsync();
    expect(String(await connackCode(secure, { username: 'atm-1', password: secret }))).toMatch(/SELF_SIGNED|self[- ]signed/i);

    const metrics = await (await fetch(`http://127.0.0.1:${gateway.ports.ops}/metrics`)).text();
    expect(counter(metrics, 'fogline_gateway_acl_denied_total{action="publish"}')).toBe(1);
    expect(counter(metrics, 'fogline_gateway_auth_failures_total{reason="no-credentials"}')).toBe(1);
    expect(counter(metrics, 'fogline_gateway_auth_failures_total{reason="bad-credentials"}')).toBe(2);
    expect(await stopProcess(gateway)).toBe(0); // forwards its windows

    // The API: no token or a wrong one is 401 on every route; the right one reads the data.
    const http = `http://127.0.0.1:${cloud.ports.http}/api/v1`;
    for (const path of ['overview', 'gateways', 'alerts', 'maintenance/risk', 'fleet?metric=temperature']) {
      expect({ path, status: (await fetch(`${http}/${path}`)).status }).toEqual({ path, status: 401 });
      expect({
        path,
        status: (await fetch(`${http}/${path}`, { headers: { authorization: 'Bearer wrong-token-of-28-characters' } })).status,
      }).toEqual({
        path,
        status: 401,
      });
    }
    const authorised = { headers: { authorization: `Bearer ${token}` } };
    const { groups } = (await (await fetch(`${http}/fleet?metric=temperature&groupBy=device`, authorised)).json()) as {
      groups: Record<string, { count: number; sum: number }>;
    };
    expect(groups).toEqual({ 'atm-1': expect.objectContaining({ count: 2, sum: 42 }) }); // nothing as atm-2

    // The cloud's broker: no credentials (5); a gateway may publish only under its own id.
    const cloudBroker = `mqtt://127.0.0.1:${cloud.ports.broker}`;
    expect(await connackCode(cloudBroker, {})).toBe(5);
    expect(await connackCode(cloudBroker, { username: 'gw-sec', password: 'wrong' })).toBe(4);
    const impostor = await mqtt.connectAsync(cloudBroker, { username: 'gw-sec', password: gatewaySecret, reconnectPeriod: 0 });
    const impostorClosed = new Promise((resolve) => impostor.once('close', resolve));
    impostor.publish('fogline/v1/gw-other/status', JSON.stringify({ online: true }), { qos: 1 });
    await impostorClosed;
    impostor.end(true);
    const cloudMetrics = await (await fetch(`http://127.0.0.1:${cloud.ports.http}/metrics`)).text();
    expect(counter(cloudMetrics, 'fogline_cloud_acl_denied_total')).toBe(1);
    const { gateways } = (await (await fetch(`${http}/gateways`, authorised)).json()) as { gateways: { gatewayId: string }[] };
    expect(gateways.map((g) => g.gatewayId)).toEqual(['gw-sec']);
  }, 60_000);
});
