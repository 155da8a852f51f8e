/**
 * An operator's acknowledgement or exception of a finding (`Finding Acknowledged` /
 * `Finding Exception Granted` from erp.operator) is announced once per finding and step,
 * named as the finding the notifier announced when it was raised.
 */
import { expect, it } from 'vitest';
import { routingTable as routes } from '../../infra/routes.ts';
import { memoryDigestStore } from '../../functions/notifier/digest-store.ts';
import { acceptNotification, type NotifierDeps } from '../../functions/notifier/flows.ts';
import type { NotifiedEvent } from '../../functions/notifier/notification.ts';
import { memoryOutboxStore } from '../../functions/notifier/outbox-store.ts';
import type { SlackPayload } from '../../functions/notifier/render.ts';
import { memorySubjectStore } from '../../functions/notifier/subject-store.ts';
import { parsePolicy } from '../../schemas/policy-loader.ts';
import { validateDetail, type DetailTypeName } from '../../schemas/registry.ts';

const FINDING = 'access-governance-2.3-leaver-E-100';

function event(detailType: DetailTypeName, id: string, detail: Record<string, unknown>): NotifiedEvent {
  const check = validateDetail(detailType, { schemaVersion: 1, ...detail });
  if (!check.ok) throw new Error(check.message);
  return { id, time: '2026-03-02T10:00:00Z', detailType, detail: check.detail } as NotifiedEvent;
}

const raised = event('Finding Raised', 'ev-raise', { findingId: FINDING, control: '2.3', title: 'Leaver still has access', severity: 'critical', mode: 'enforce', subject: { type: 'account', id: 'u100' }, evidence: { summary: 'E-100 left', eventIds: [] }, detectedBy: 'access-governance' });
const ack = (id: string) => event('Finding Acknowledged', id, { findingId: FINDING, acknowledgedBy: 'it.lead.sun', note: 'calling the sales head' });
const exception = (id: string) => event('Finding Exception Granted', id, { findingId: FINDING, owner: 'cfo.li', until: '2026-03-31T00:00:00Z', reason: 'month-end close', grantedBy: 'it.lead.sun' });

it('the routing table sends the operator actions from erp.operator to the notifier', () => {
  const notifier = routes.find((r) => r.name === 'notifier');
  const base = { version: '0', account: '0', region: 'us-east-1', time: '2026-03-02T10:00:00Z', resources: [], detail: {} };
  for (const detailType of ['Finding Acknowledged', 'Finding Exception Granted']) {
    expect(notifier?.rules.some((r) => r.compiled.matches({ ...base, id: 'x', source: 'erp.operator', 'detail-type': detailType }))).toBe(true);
    // Only from the operator's source.
    expect(notifier?.rules.some((r) => r.compiled.matches({ ...base, id: 'x', source: 'erp.sap', 'detail-type': detailType }))).toBe(false);
  }
});

it('an acknowledgement and an exception are each announced once, naming the finding raised before', async () => {
  const slack: SlackPayload[] = [];
  const deps: NotifierDeps = {
    outbox: memoryOutboxStore(),
    digests: memoryDigestStore(),
    subjects: memorySubjectStore(),
    slack: { send: async (m) => (slack.push(m), { ok: true }) },
    mail: { send: async () => ({ ok: true }) },
    policy: parsePolicy({ notifications: { channelsBySeverity: { critical: ['slack'], high: ['slack'], medium: ['slack'], low: ['slack'] } } }),
    log: { info: () => undefined, warn: () => undefined },
  };
  const now = new Date('2026-03-02T10:00:00Z');
  await acceptNotification(deps, raised, now);
  // Two deliveries of the acknowledgement (and a second event saying the same): one message.
  await acceptNotification(deps, ack('ev-ack'), now);
  await acceptNotification(deps, ack('ev-ack'), now);
  const again = await acceptNotification(deps, ack('ev-ack-2'), now);
  expect(again.duplicates).toBe(1);
  await acceptNotification(deps, exception('ev-exc'), now);
  await acceptNotification(deps, exception('ev-exc'), now);
  expect(slack.map((m) => m.text)).toEqual([
    '[CRITICAL] Finding: Leaver still has access',
    '[CRITICAL] Finding acknowledged: Leaver still has access',
    '[CRITICAL] Exception granted: Leaver still has access',
  ]);
  const texts = slack.map((m) => JSON.stringify(m.blocks));
  expect(texts[1]).toContain('it.lead.sun');
  expect(texts[1]).toContain('calling the sales head');
  expect(texts[1]).toContain('2.3');
  expect(texts[2]).toContain('cfo.li');
  expect(texts[2]).toContain('exception until 2026-03-31T00:00:00Z, owned by cfo.li');
  expect(texts[2]).toContain('month-end close');
});
