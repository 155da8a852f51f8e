/**
 * The local scheduler on a driven clock: fires at each due time in order, aligned to the
 * clock; remembers its fires; catches up, once, what it missed while stopped; and a manual
 * run makes the same Scheduled Event the scheduler would.
 */
import { describe, expect, it } from 'vitest';
import { buildRoutingTable, functionDefinitions } from '../../infra/routes.ts';
import { LocalScheduler, memoryFireMemory, UnknownScheduleError, type ScheduledFire } from '../../runtime/scheduler.ts';

// The product's audit-archive: a daily cron (archive-audit-daily, 00:30 UTC) and an hourly rate (audit-anchor-heads).
const routes = buildRoutingTable(functionDefinitions.filter((d) => d.name === 'audit-archive'));
const identity = { account: '000000000000', region: 'eu-west-1' };

function scheduler(startedAt: string, memory = memoryFireMemory()) {
  const fired: ScheduledFire[] = [];
  const s = new LocalScheduler(routes, (f) => fired.push(f), { startedAt: new Date(startedAt), identity, memory, ids: () => `id-${fired.length}` });
  return { s, fired, memory };
}

describe('local scheduler', () => {
  it('fires rates on the hour whatever the start time, and every fire in order when driven fire by fire', () => {
    const { s, fired } = scheduler('2026-03-01T10:17:42Z');
    expect(s.upcoming().find((u) => u.id === 'audit-anchor-heads')?.next).toBe('2026-03-01T11:00:00.000Z');
    for (let due = s.nextDue(); due && due.getTime() <= Date.parse('2026-03-02T02:00:00Z'); due = s.nextDue()) s.tick(due);
    expect(fired.filter((f) => f.scheduleId === 'audit-anchor-heads').map((f) => f.event.time.slice(11, 16))).toHaveLength(16);
    expect(fired.filter((f) => f.scheduleId === 'archive-audit-daily').map((f) => f.event.time)).toEqual(['2026-03-02T00:30:00Z']);
  });

  it('sends EventBridge\'s Scheduled Event: aws.events, the rule ARN ending with the schedule id', () => {
    const { s, fired } = scheduler('2026-03-01T10:00:00Z');
    s.tick(new Date('2026-03-01T11:00:00Z'));
    expect(fired[0]?.event).toEqual({
      version: '0', id: 'id-0', 'detail-type': 'Scheduled Event', source: 'aws.events', account: '000000000000', time: '2026-03-01T11:00:00Z', region: 'eu-west-1',
      resources: ['arn:aws:events:eu-west-1:000000000000:rule/audit-anchor-heads'], detail: {},
    });
    expect(s.manualFire('archive-audit-daily', new Date('2026-03-05T00:45:10.250Z')).event).toMatchObject({ time: '2026-03-05T00:45:10Z', resources: ['arn:aws:events:eu-west-1:000000000000:rule/archive-audit-daily'] });
    expect(() => s.manualFire('nope', new Date())).toThrow(UnknownScheduleError);
    expect(() => s.manualFire('nope', new Date())).toThrow(/allowed: archive-audit-daily, audit-anchor-heads/);
  });

  it('remembers its fires, and at the next start fires once what it missed while stopped (the 00:30 archive on a laptop)', () => {
    const memory = memoryFireMemory();
    const first = scheduler('2026-03-01T09:00:00Z', memory);
    first.s.tick(new Date('2026-03-01T10:00:00Z'));
    expect(first.s.upcoming().find((u) => u.id === 'audit-anchor-heads')?.last).toBe('2026-03-01T10:00:00.000Z');
    // Off from 18:00 to 09:00 the next day.
    const second = scheduler('2026-03-02T09:00:00Z', memory);
    const missed = second.s.catchUp(new Date('2026-03-02T09:00:00Z'));
    expect(missed.map((f) => [f.scheduleId, f.event.time, f.reason])).toEqual([
      ['archive-audit-daily', '2026-03-02T00:30:00Z', 'missed-while-stopped'],
      ['audit-anchor-heads', '2026-03-02T09:00:00Z', 'missed-while-stopped'],
    ]);
    // Nothing missed a second time.
    expect(second.s.catchUp(new Date('2026-03-02T09:00:00Z'))).toEqual([]);
  });

  it('catches up nothing on a first start', () => {
    expect(scheduler('2026-03-02T09:00:00Z').s.catchUp(new Date('2026-03-02T09:00:00Z'))).toEqual([]);
  });
});
