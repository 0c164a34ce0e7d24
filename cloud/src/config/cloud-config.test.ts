import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCloudConfig, parseCloudConfig, printableCloudConfig } from './cloud-config.js';

const errorOf = (raw: unknown) => {
  try {
    parseCloudConfig(raw);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected a config error');
};

describe('the cloud config: store, node and shared group', () => {
  it('defaults to the embedded level store and this machine as the node', () => {
    const config = parseCloudConfig({});
    expect(config.store).toEqual({ kind: 'level', poolSize: 10 });
    expect(config.node.id).toMatch(/^[A-Za-z0-9_.-]{1,64}$/);
    expect(config.broker.sessionExpiryS).toBe(7 * 24 * 3600);
  });

  it('takes a cluster node: PostgreSQL, an external broker and a shared group', () => {
    const config = parseCloudConfig({
      store: { kind: 'postgres', url: 'postgres://u:p@db:5432/fogline', poolSize: 4 },
      node: { id: 'cloud-1' },
      broker: { mode: 'external', url: 'mqtt://broker:1883', sharedGroup: 'fogline' },
    });
    expect(config.store).toEqual({ kind: 'postgres', url: 'postgres://u:p@db:5432/fogline', poolSize: 4 });
    expect(config.broker.sharedGroup).toBe('fogline');
  });

  it('names the field, the value and what was expected', () => {
    expect(errorOf({ store: { kind: 'postgres', url: 'mysql://db' } })).toContain('store.url');
    expect(errorOf({ store: { kind: 'postgres', url: 'mysql://db' } })).toContain('a postgres:// URL');
    expect(errorOf({ store: { poolSize: 1 } })).toContain('store.poolSize');
    expect(errorOf({ node: { id: 'a b' } })).toContain('node.id');
    expect(errorOf({ broker: { sharedGroup: 'g' } })).toContain(
      'broker.sharedGroup was "g" with broker.mode embedded, expected broker.mode external',
    );
    expect(errorOf({ store: { kind: 'postgres', url: 'postgres://db/x' } })).toContain(
      'store.kind was postgres with broker.mode embedded, expected broker.mode external',
    );
    expect(errorOf({ broker: { mode: 'external', url: 'mqtt://b', sharedGroup: '$share/x' } })).toContain('broker.sharedGroup');
  });

  it('takes the node id from FOGLINE_CLOUD_NODE_ID, and --node-id over it', () => {
    expect(loadCloudConfig(undefined, {}, { FOGLINE_CLOUD_NODE_ID: 'w7' }).node.id).toBe('w7');
    expect(loadCloudConfig(undefined, { nodeId: 'w8' }, { FOGLINE_CLOUD_NODE_ID: 'w7' }).node.id).toBe('w8');
  });

  it('refuses an API beyond loopback without a token, a read token equal to the admin token, and clashing ports', () => {
    expect(errorOf({ http: { host: '0.0.0.0' } })).toContain(
      'http.host was "0.0.0.0" with no token, expected http.readToken and http.adminToken (or FOGLINE_CLOUD_READ_TOKEN and FOGLINE_CLOUD_ADMIN_TOKEN) when the API listens beyond this machine',
    );
    expect(() => parseCloudConfig({ http: { host: '0.0.0.0', readToken: 'a-read-token-of-24-chars' } })).not.toThrow();
    expect(() => parseCloudConfig({ http: { host: '127.0.0.1' } })).not.toThrow();
    const same = 'the-same-token-for-both';
    expect(errorOf({ http: { readToken: same, adminToken: same } })).toContain('http.readToken was the same as the admin token');
    expect(errorOf({ broker: { port: 8080 } })).toContain("http.port was 8080, expected a port other than broker.port's");
    // http.token is the admin token's earlier name.
    expect(parseCloudConfig({ http: { token: 'an-older-admin-token-0001' } }).http.adminToken).toBe('an-older-admin-token-0001');
  });

  it('takes tokens and the store URL from the environment or *_FILE, names a bad port variable, and never prints secrets', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fogline-cloud-secret-'));
    const adminFile = join(dir, 'admin-token');
    writeFileSync(adminFile, 'admin-token-from-a-file-0001\n');
    const config = loadCloudConfig(
      undefined,
      {},
      {
        FOGLINE_CLOUD_READ_TOKEN: 'read-token-from-the-env-0001',
        FOGLINE_CLOUD_ADMIN_TOKEN_FILE: adminFile,
        FOGLINE_CLOUD_STORE_URL: 'postgres://fogline:pg-password-0001@db:5432/fogline',
      },
    );
    expect(config.http).toMatchObject({ readToken: 'read-token-from-the-env-0001', adminToken: 'admin-token-from-a-file-0001' });
    expect(config.store.url).toBe('postgres://fogline:pg-password-0001@db:5432/fogline');
    const printed = JSON.stringify(printableCloudConfig(config));
    for (const secret of ['read-token-from-the-env-0001', 'admin-token-from-a-file-0001', 'pg-password-0001'])
      expect(printed).not.toContain(secret);
    expect(printed).toContain('postgres://fogline:[redacted]@db:5432/fogline');
    expect(() => loadCloudConfig(undefined, {}, { FOGLINE_CLOUD_HTTP_PORT: '80a' })).toThrow(
      'FOGLINE_CLOUD_HTTP_PORT was "80a", expected a port from 0 to 65535',
    );
  });

  it('takes webhooks with their limits, and never prints their secrets', () => {
    const config = parseCloudConfig({
      alerting: {
        webhookSecret: 'the-shared-webhook-secret-01',
        webhooks: [{ name: 'on-call', url: 'https://hooks.example.com/x', secret: 'its-own-webhook-secret-0001' }],
      },
    });
    expect(config.alerting.webhooks[0]).toMatchObject({ severities: ['warning', 'critical'], attemptsMax: 10, queueMax: 10_000 });
    const printed = JSON.stringify(printableCloudConfig(config));
    expect(printed).not.toContain('the-shared-webhook-secret-01');
    expect(printed).not.toContain('its-own-webhook-secret-0001');
    expect(errorOf({ alerting: { webhooks: [{ name: 'x', url: 'ftp://host' }] } })).toContain(
      'alerting.webhooks.0.url was "ftp://host", expected an http:// or https:// URL',
    );
  });
});

describe('the cloud config: schedules and the training window', () => {
  it('takes "off" for a schedule, a training window in days, and names a schedule that is neither', () => {
    const config = parseCloudConfig({ schedules: { maintenanceTrain: 'off', lakeExport: 'off' }, maintenance: { trainingWindowDays: 14 } });
    expect(config.schedules).toMatchObject({ maintenanceTrain: 'off', lakeExport: 'off', retention: '0 15 * * * *' });
    expect(config.maintenance.trainingWindowDays).toBe(14);
    expect(parseCloudConfig({}).maintenance.trainingWindowDays).toBeUndefined();
    expect(errorOf({ schedules: { maintenanceScore: 'never' } })).toContain(
      'schedules.maintenanceScore was "never", expected a cron expression (sec min hour day month weekday) or "off"',
    );
    expect(errorOf({ maintenance: { trainingWindowDays: 0 } })).toContain('maintenance.trainingWindowDays');
  });
});
