import { describe, expect, it } from 'vitest';
import { toNotification, type Notification, type NotifiedEvent } from '../../functions/notifier/notification.ts';
import { dedupeKey, messageIdOf, quietHoursEnd, routeNotification } from '../../functions/notifier/routing.ts';
import { parsePolicy } from '../../schemas/policy-loader.ts';
import { validateDetail } from '../../schemas/registry.ts';

/** A finding event as the handler hands it over (checked against its contract), as a notification. */
function finding(detail: Record<string, unknown> = {}, detailType: 'Finding Raised' | 'Finding Resolved' = 'Finding Raised'): Notification {
  const check = validateDetail(detailType, { schemaVersion: 1, findingId: 'f-1', control: '2.3', title: 'Leaver still has access', severity: 'high', mode: 'enforce', subject: { type: 'account', id: 'u1001' }, evidence: { summary: 's', eventIds: ['e1'] }, detectedBy: 'access-control', ...detail });
  if (!check.ok) throw new Error(check.message);
  return toNotification({ id: 'evt-1', time: '2026-03-02T01:00:00Z', detailType, detail: check.detail } as NotifiedEvent, undefined);
}

// 2026-03-02T01:00Z is 09:00 in Shanghai; 15:00Z is 23:00 there.
const day = new Date('2026-03-02T01:00:00Z');
const night = new Date('2026-03-02T15:00:00Z');

describe('routeNotification', () => {
  it('falls back to channelsBySeverity and defaultEmailRecipients when no rule matches', () => {
    const policy = parsePolicy({ notifications: { defaultEmailRecipients: ['ops@example.com'] } });
    const { deliveries, decidedBy } = routeNotification(finding(), policy, day);
    expect(decidedBy).toBe('channelsBySeverity.high');
    expect(deliveries.map((d) => [d.channel, d.recipient, d.notBefore])).toEqual([
      ['slack', 'webhook', day.toISOString()],
      ['email', 'ops@example.com', day.toISOString()],
    ]);
  });

  it('the first matching rule decides, by area, control, severity and owner', () => {
    const policy = parsePolicy({
      notifications: {
        routes: [
          { match: { owners: ['hr.lead'] }, channels: ['email'], emailRecipients: ['hr@example.com'] },
          { match: { areas: ['access'], severities: ['high', 'critical'] }, channels: ['email'], emailRecipients: ['iam@example.com', 'iam@example.com'] },
          { match: {}, channels: [] },
        ],
      },
    });
    expect(routeNotification(finding({ owner: 'hr.lead' }), policy, day).deliveries.map((d) => d.recipient)).toEqual(['hr@example.com']);
    const access = routeNotification(finding(), policy, day);
    expect(access.decidedBy).toBe('routes[1]');
    expect(access.deliveries.map((d) => d.recipient)).toEqual(['iam@example.com']);
    expect(routeNotification(finding({ control: '6.2' }), policy, day)).toMatchObject({ decidedBy: 'routes[2]', deliveries: [] });
  });

  it('quiet hours hold non-critical messages until they end; critical ones go at once', () => {
    const policy = parsePolicy({ notifications: { quietHours: { enabled: true, timezone: 'Asia/Shanghai', from: '22:00', to: '08:00' } } });
    const [held] = routeNotification(finding(), policy, night).deliveries;
    expect(held?.notBefore).toBe('2026-03-03T00:00:00.000Z'); // 08:00 Shanghai
    const [urgent] = routeNotification(finding({ severity: 'critical' }), policy, night).deliveries;
    expect(urgent?.notBefore).toBe(night.toISOString());
    expect(routeNotification(finding(), policy, day).deliveries[0]?.notBefore).toBe(day.toISOString());
  });

  it('quietHoursEnd handles windows within a day and across midnight', () => {
    const quiet = { enabled: true, timezone: 'UTC', from: '12:00', to: '14:00', bypassSeverities: [] };
    expect(quietHoursEnd(new Date('2026-03-02T12:30:10Z'), quiet)?.toISOString()).toBe('2026-03-02T14:00:00.000Z');
    expect(quietHoursEnd(new Date('2026-03-02T14:00:00Z'), quiet)).toBeUndefined();
    const overnight = { ...quiet, from: '22:00', to: '06:00' };
    expect(quietHoursEnd(new Date('2026-03-02T23:15:00Z'), overnight)?.toISOString()).toBe('2026-03-03T06:00:00.000Z');
    expect(quietHoursEnd(new Date('2026-03-03T05:59:00Z'), overnight)?.toISOString()).toBe('2026-03-03T06:00:00.000Z');
    expect(quietHoursEnd(new Date('2026-03-02T21:59:00Z'), overnight)).toBeUndefined();
    expect(quietHoursEnd(new Date('2026-03-02T23:15:00Z'), { ...overnight, enabled: false })).toBeUndefined();
  });

  it('low severities go into one digest per owner and period, sent after the period ends', () => {
    const policy = parsePolicy({ notifications: { digest: { severities: ['low'], periodMinutes: 60 } } });
    const at = new Date('2026-03-02T01:20:00Z');
    const [a] = routeNotification(finding({ severity: 'low', owner: 'it.lead' }), policy, at).deliveries;
    const [b] = routeNotification(finding({ severity: 'low', owner: 'it.lead', findingId: 'f-2' }), policy, new Date('2026-03-02T01:59:00Z')).deliveries;
    const [other] = routeNotification(finding({ severity: 'low' }), policy, at).deliveries;
    expect(a?.digest).toMatchObject({ owner: 'it.lead', periodStart: '2026-03-02T01:00:00.000Z', periodEnd: '2026-03-02T02:00:00.000Z' });
    expect(a?.digest?.bucket).toBe(b?.digest?.bucket);
    expect(other?.digest?.owner).toBe('unassigned');
    expect(other?.digest?.bucket).not.toBe(a?.digest?.bucket);
    expect(a?.notBefore).toBe('2026-03-02T02:00:00.000Z');
    // Medium is not digested.
    expect(routeNotification(finding({ severity: 'medium' }), policy, at).deliveries[0]?.digest).toBeUndefined();
  });

  it('incidents map P1..P4 onto the severities and route like findings', () => {
    const opened = toNotification({ id: 'e', time: '2026-03-02T01:00:00Z', detailType: 'Incident Opened', detail: { schemaVersion: 1, incidentId: 'INC-1', severity: 'P4', title: 'One user cannot log in', reportedBy: 'helpdesk' } }, undefined);
    expect(opened).toMatchObject({ kind: 'incident', key: 'INC-1', state: 'opened', severity: 'low', area: 'incident', control: '5.1' });
    const acknowledged = toNotification(
      { id: 'e2', time: '2026-03-02T01:10:00Z', detailType: 'Incident Acknowledged', detail: { schemaVersion: 1, incidentId: 'INC-1', acknowledgedBy: 'ops.li' } },
      { key: 'INC-1', title: 'One user cannot log in', severity: 'low', firstSeenAt: '2026-03-02T01:00:00Z', owner: undefined, incidentSeverity: 'P4' },
    );
    expect(acknowledged).toMatchObject({ state: 'acknowledged', severity: 'low', title: 'One user cannot log in', firstSeenAt: '2026-03-02T01:00:00Z', closedBy: 'ops.li' });
    // Incidents are never digested: someone is waiting on them.
    expect(routeNotification(opened, parsePolicy({}), day).deliveries[0]?.digest).toBeUndefined();
  });
});

describe('dedupe keys', () => {
  it('are one per subject, state, channel and recipient, and hash to stable ids', () => {
    expect(dedupeKey('f-1', 'raised', 'email', 'a@example.com')).toBe('f-1#raised#email#a@example.com');
    expect(messageIdOf('f-1#raised#slack#webhook')).toBe(messageIdOf('f-1#raised#slack#webhook'));
    expect(messageIdOf('f-1#raised#slack#webhook')).not.toBe(messageIdOf('f-1#resolved#slack#webhook'));
    expect(messageIdOf('x')).toMatch(/^[0-9a-f]{32}$/);
    const policy = parsePolicy({ notifications: { defaultEmailRecipients: ['a@example.com'] } });
    const raised = routeNotification(finding(), policy, day).deliveries.map((d) => d.dedupeKey);
    const resolved = routeNotification(finding({ resolution: 'fixed', resolvedBy: 'x' }, 'Finding Resolved'), policy, day).deliveries.map((d) => d.dedupeKey);
    expect(raised).toEqual(['f-1#raised#slack#webhook', 'f-1#raised#email#a@example.com']);
    expect(resolved).toEqual(['f-1#resolved#slack#webhook', 'f-1#resolved#email#a@example.com']);
  });
});
