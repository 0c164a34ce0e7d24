import { describe, expect, it } from 'vitest';
import { loadCloudConfig, parseCloudConfig } from './cloud-config.js';

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
});
