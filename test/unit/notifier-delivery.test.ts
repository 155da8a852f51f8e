/**
 * The notifier's flow over in-memory ports: digests, quiet hours, claiming. The DynamoDB
 * adapters are exercised by test/integration/notifier.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { acceptNotification, drainOutbox, type NotifierDeps } from '../../functions/notifier/delivery.ts';
import type { NotifiedEvent } from '../../functions/notifier/notification.ts';
import type { DigestEntry, DigestStore, OutboxMessage, OutboxStore, SubjectMemory } from '../../functions/notifier/ports.ts';
import type { EmailPayload, SlackPayload } from '../../functions/notifier/render.ts';
import type { RememberedSubject } from '../../functions/notifier/notification.ts';
import { parsePolicy } from '../../schemas/policy-loader.ts';

function memoryOutbox(): OutboxStore & { all: Map<string, OutboxMessage> } {
  const all = new Map<string, OutboxMessage>();
  const move = (id: string, attempt: number, change: Partial<OutboxMessage>) => {
    const m = all.get(id);
    if (m && m.state === 'pending' && m.attempts === attempt) all.set(id, { ...m, ...change });
  };
  return {
    all,
    async enqueue(message) {
      if (all.has(message.messageId)) return false;
      all.set(message.messageId, { ...message, state: 'pending', attempts: 0, nextAttemptAt: message.notBefore, sentAt: undefined, lastError: undefined });
      return true;
    },
    async get(id) {
      return all.get(id);
    },
    async due(now, limit) {
      return [...all.values()].filter((m) => m.state === 'pending' && m.nextAttemptAt <= now.toISOString()).slice(0, limit);
    },
    async claim(message, now, leaseUntil) {
      const m = all.get(message.messageId);
      if (!m || m.state !== 'pending' || m.attempts !== message.attempts || m.nextAttemptAt > now.toISOString()) return false;
      all.set(m.messageId, { ...m, attempts: m.attempts + 1, nextAttemptAt: leaseUntil.toISOString() });
      return true;
    },
    async markSent(id, attempt, at) {
      move(id, attempt, { state: 'sent', sentAt: at.toISOString() });
    },
    async reschedule(id, attempt, at, error) {
      move(id, attempt, { nextAttemptAt: at.toISOString(), lastError: error });
    },
    async markDead(id, attempt, reason) {
      move(id, attempt, { state: 'dead', lastError: reason });
    },
    async list(state) {
      return [...all.values()].filter((m) => m.state === state);
    },
  };
}

function memoryDigests(): DigestStore {
  const entries = new Map<string, DigestEntry & { open: boolean }>();
  const seen = new Map<string, string>();
  return {
    async add(entry) {
      const bucket = seen.get(entry.dedupeKey);
      if (bucket !== undefined && bucket !== entry.bucket) return false;
      seen.set(entry.dedupeKey, entry.bucket);
      const key = `${entry.bucket}|${entry.dedupeKey}`;
      if (entries.has(key)) return false;
      entries.set(key, { ...entry, open: true });
      return true;
    },
    async closed(now) {
      return [...entries.values()].filter((e) => e.open && e.periodEnd < now.toISOString());
    },
    async markSummarised(list) {
      for (const e of list) {
        const stored = entries.get(`${e.bucket}|${e.dedupeKey}`);
        if (stored) stored.open = false;
      }
    },
  };
}

function memorySubjects(): SubjectMemory {
  const subjects = new Map<string, RememberedSubject>();
  return {
    async remember(subject) {
      if (!subjects.has(subject.key)) subjects.set(subject.key, subject);
    },
    async recall(key) {
      return subjects.get(key);
    },
  };
}

function setup(policyDocument: unknown) {
  const slack: SlackPayload[] = [];
  const mail: { to: string; message: EmailPayload }[] = [];
  const outbox = memoryOutbox();
  const deps: NotifierDeps = {
    outbox,
    digests: memoryDigests(),
    subjects: memorySubjects(),
    slack: { send: async (m) => (slack.push(m), { ok: true }) },
    mail: { send: async (to, message) => (mail.push({ to, message }), { ok: true }) },
    policy: parsePolicy(policyDocument),
    log: { info: () => undefined, warn: () => undefined },
  };
  return { deps, slack, mail, outbox };
}

const lowFinding = (findingId: string, owner: string, eventId = findingId): NotifiedEvent => ({
  id: eventId,
  time: '2026-03-02T01:10:00Z',
  detailType: 'Finding Raised',
  detail: { schemaVersion: 1, findingId, control: '3.1', title: `CPU above 75 % (${findingId})`, severity: 'low', mode: 'report-only', subject: { type: 'host', id: 'erp-db-1' }, evidence: { summary: 'cpu 81 %', eventIds: [] }, detectedBy: 'performance', owner },
});

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
    const event: NotifiedEvent = { ...lowFinding('f-9', 'ops.wang'), detail: { ...lowFinding('f-9', 'ops.wang').detail, severity: 'high' } };
    const result = await acceptNotification(deps, event, new Date('2026-03-02T23:00:00Z'));
    expect(result).toMatchObject({ enqueued: 1, attempts: [] });
    expect([...outbox.all.values()][0]?.nextAttemptAt).toBe('2026-03-03T07:00:00.000Z');
    await drainOutbox(deps, new Date('2026-03-03T06:59:00Z'));
    expect(slack).toHaveLength(0);
    await drainOutbox(deps, new Date('2026-03-03T07:00:00Z'));
    expect(slack).toHaveLength(1);
  });
});
