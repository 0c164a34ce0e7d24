import type { CommandStatusReport } from '@fogline/shared';
import { describe, expect, it } from 'vitest';
import { CommandDesk, commandsPerDeviceMax } from './command-desk.js';

function desk(connected = new Set<string>()) {
  const reports: CommandStatusReport[] = [];
  const published: string[] = [];
  const d = new CommandDesk({
    publishToDevice: (deviceId, payload) => published.push(`${deviceId}:${JSON.parse(payload.toString()).id}`),
    isConnected: (deviceId) => connected.has(deviceId),
    report: (report) => reports.push(report),
  });
  return { d, reports, published, connected };
}
const command = (id: string, deviceId = 'atm-1', expiresAtMs = 10_000) =>
  Buffer.from(JSON.stringify({ id, deviceId, name: 'service', args: {}, createdAtMs: 0, expiresAtMs }));

describe('the command desk', () => {
  it('acts on an id once, however often the cloud sends it; a device may answer failed', () => {
    const { d, reports, published } = desk(new Set(['atm-1']));
    d.accept(command('c1'), 100);
    d.accept(command('c1'), 200);
    expect(published).toEqual(['atm-1:c1']);
    d.delivered('atm-1', command('c1'), 300);
    d.acknowledged('atm-1', Buffer.from('{"id": "c1", "status": "failed", "detail": "door open"}'), 400);
    expect(reports.map((r) => [r.status, r.detail])).toEqual([
      ['sent', undefined],
      ['delivered', undefined],
      ['failed', 'door open'],
    ]);
    expect(d.size).toBe(0);
  });

  it('ignores an answer to a command the device was never sent, or already answered', () => {
    const { d, reports } = desk(new Set(['atm-1', 'atm-2']));
    d.accept(command('c1'), 100);
    d.acknowledged('atm-2', Buffer.from('{"id": "c1", "status": "ok"}'), 200); // not atm-2's
    d.acknowledged('atm-1', Buffer.from('{"id": "made-up", "status": "ok"}'), 200);
    d.delivered('atm-1', command('c1'), 300);
    d.acknowledged('atm-1', Buffer.from('{"id": "c1", "status": "ok"}'), 400);
    d.acknowledged('atm-1', Buffer.from('{"id": "c1", "status": "failed"}'), 500); // once only
    expect(reports.map((r) => [r.id, r.status])).toEqual([
      ['c1', 'sent'],
      ['c1', 'delivered'],
      ['c1', 'acknowledged'],
    ]);
  });

  it('refuses a command past the bound per device, reporting it failed', () => {
    const { d, reports } = desk();
    for (let i = 0; i <= commandsPerDeviceMax; i++) d.accept(command(`c${i}`), 0);
    expect(d.size).toBe(commandsPerDeviceMax);
    expect(reports.at(-1)).toMatchObject({ id: `c${commandsPerDeviceMax}`, status: 'failed' });
    expect(reports.filter((r) => r.status === 'queued')).toHaveLength(commandsPerDeviceMax);
  });

  it('never sends one past its expiry to a device that comes back', () => {
    const { d, reports, published } = desk();
    d.accept(command('c1', 'atm-1', 1000), 0);
    d.deviceConnected('atm-1', 1500);
    expect(published).toEqual([]);
    expect(reports.map((r) => r.status)).toEqual(['queued', 'expired']);
  });
});
