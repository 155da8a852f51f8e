/**
 * The notifier's flow over in-memory ports: digests, quiet hours, claiming. The DynamoDB
 * adapters are exercised by test/integration/notifier.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { memoryDigestStore } from '../../functions/notifier/digest-store.ts';
import { acceptNotification, drainOutbox, type NotifierDeps } from '../../functions/notifier/flows.ts';
import type { NotifiedEvent } from '../../functions/notifier/notification.ts';
import { memoryOutboxStore } from '../../functions/notifier/outbox-store.ts';
import type { EmailPayload, SlackPayload } from '../../functions/notifier/render.ts';
import { memorySubjectStore } from '../../functions/notifier/subject-store.ts';
import { parsePolicy } from '../../schemas/policy-loader.ts';
import { validateDetail } from '../../schemas/registry.ts';

function setup(policyDocument: unknown) {
  const slack: SlackPayload[] = [];
  const mail: { to: string; message: EmailPayload }[] = [];
  const outbox = memoryOutboxStore();
  const deps: NotifierDeps = {
    outbox,
    digests: memoryDigestStore(),
    subjects: memorySubjectStore(),
    slack: { send: async (m) => (slack.push(m), { ok: true }) },
    mail: { send: async (to, message) => (mail.push({ to, message }), { ok: true }) },
    policy: parsePolicy(policyDocument),
    log: { info: () => undefined, warn: () => undefined },
  };
  return { deps, slack, mail, outbox };
}

/** A "Finding Raised" as the handler hands it over: checked against its contract (the extra `owner` field is allowed). */
function lowFinding(findingId: string, owner: string, eventId = findingId, severity = 'low'): NotifiedEvent {
  const check = validateDetail('Finding Raised', { schemaVersion: 1, findingId, control: '3.1', title: `CPU above 75 % (${findingId})`, severity, mode: 'report-only', subject: { type: 'host', id: 'erp-db-1' }, evidence: { summary: 'cpu 81 %', eventIds: [] }, detectedBy: 'performance', owner });
  if (!check.ok) throw new Error(check.message);
  return { id: eventId, time: '2026-03-02T01:10:00Z', detailType: 'Finding Raised', detail: check.detail } as NotifiedEvent;
}

describe('digests', () => {
  it('low findings become one summary per owner after the period ends, duplicates included once', async () => {
    const { deps, slack } = setup({ notifications: { digest: { severities: ['low'], periodMinutes: 60 } } });
    const at = new Date('2026-03-02T01:15:00Z');
    for (const event of [lowFinding('f-1', 'ops.wang'), lowFinding('f-2', 'ops.wang'), lowFinding('f-1', 'ops.wang', 'again'), lowFinding('f-3', 'dba.liu')]) {
      await acceptNotification(deps, event, at);
    }
    expect(slack).toHaveLength(0);
    // Before the period ends: nothing.
    expect(await drainOutbox(deps, new Date('2026-03-02T01:59:00Z'))).toMatchObject({ digests: 0, sent: 0 });
    const result = await drainOutbox(deps, new Date('2026-03-02T02:01:00Z'));
    expect(result).toMatchObject({ digests: 2, sent: 2 });
    expect(slack.map((m) => m.text).sort()).toEqual(['Digest: 1 notification(s) for dba.liu', 'Digest: 2 notification(s) for ops.wang']);
    // A later drain summarises nothing twice; a redelivery after the period lands nowhere.
    await acceptNotification(deps, lowFinding('f-2', 'ops.wang', 'late'), new Date('2026-03-02T02:30:00Z'));
    expect(await drainOutbox(deps, new Date('2026-03-02T04:00:00Z'))).toMatchObject({ digests: 0, sent: 0 });
    expect(slack).toHaveLength(2);
  });
});

describe('quiet hours', () => {
  it('a high finding at night waits in the outbox until the morning drain', async () => {
    const { deps, slack, outbox } = setup({ notifications: { quietHours: { enabled: true, timezone: 'UTC', from: '22:00', to: '07:00' } } });
    const event = lowFinding('f-9', 'ops.wang', 'f-9', 'high');
    const result = await acceptNotification(deps, event, new Date('2026-03-02T23:00:00Z'));
    expect(result).toMatchObject({ enqueued: 1, attempts: [] });
    expect([...outbox.messages.values()][0]?.nextAttemptAt).toBe('2026-03-03T07:00:00.000Z');
    await drainOutbox(deps, new Date('2026-03-03T06:59:00Z'));
    expect(slack).toHaveLength(0);
    await drainOutbox(deps, new Date('2026-03-03T07:00:00Z'));
    expect(slack).toHaveLength(1);
  });
});
