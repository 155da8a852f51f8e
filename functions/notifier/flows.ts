/**
 * The notifier's flow, over its ports: accept a notification (route it, put one outbox
 * message per delivery, or a digest line, then try the due ones at once), drain the outbox
 * (every due message gets one attempt; failures are rescheduled or dead-lettered by
 * `nextAttempt`), and turn closed digest periods into summary messages.
 */
import type { Policy } from '../../schemas/policy.ts';
import { addMs, MINUTE_MS, retentionExpiry } from '../shared/time.ts';
import type { Language } from '../../schemas/controls.ts';
import type { DigestEntry, DigestStore } from './digest-store.ts';
import { subjectKeyOf, subjectToRemember, toNotification, type NotifiedEvent } from './notification.ts';
import type { OutboxMessage, OutboxStore } from './outbox-store.ts';
import type { MailSender, SlackSender } from './ports.ts';
import { digestLineOf, renderDigest, renderEmail, renderSlack, type MessagePayload } from './render.ts';
import { nextAttempt, type AttemptOutcome, type SendResult } from './retry.ts';
import { messageIdOf, quietHoursEnd, routeNotification, type Delivery } from './routing.ts';
import type { SubjectStore } from './subject-store.ts';
import type { DrainWake } from './drain-wake.ts';
import { isIdle } from '../shared/due-marker.ts';

export interface NotifierLog {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}

export interface NotifierDeps {
  readonly outbox: OutboxStore;
  readonly digests: DigestStore;
  readonly subjects: SubjectStore;
  readonly slack: SlackSender;
  readonly mail: MailSender;
  readonly policy: Policy;
  readonly log: NotifierLog;
  /** The drain's due marker (DynamoDB): an idle drain reads one item and stops. Absent: every drain looks (the in-memory twins). */
  readonly wake?: Pick<DrainWake, 'read' | 'settle'>;
}

/** A claimed message is someone else's for this long; longer than any one send (senders time out at 10 s). */
export const CLAIM_LEASE_MS = 2 * MINUTE_MS;
/** Messages one drain attempts at most; the next drain takes the rest. */
export const DRAIN_BATCH = 100;
/** A first-seen record outlives any finding's life cycle that matters for its resolve message. */
const SUBJECT_MEMORY_DAYS = 365;

export interface AcceptResult {
  readonly enqueued: number;
  readonly duplicates: number;
  readonly digested: number;
  readonly attempts: readonly AttemptOutcome[];
}

export async function acceptNotification(deps: NotifierDeps, event: NotifiedEvent, now: Date): Promise<AcceptResult> {
  const notification = toNotification(event, await deps.subjects.recall(subjectKeyOf(event)));
  if (notification.state === 'raised' || notification.state === 'opened') {
    await deps.subjects.remember(subjectToRemember(notification), retentionExpiry(now, SUBJECT_MEMORY_DAYS));
  }
  const { deliveries, decidedBy } = routeNotification(notification, deps.policy, now);
  const language = deps.policy.notifications.language;
  const retentionDays = deps.policy.notifications.outboxRetentionDays;
  let enqueued = 0;
  let duplicates = 0;
  let digested = 0;
  const ready: OutboxMessage[] = [];
  for (const delivery of deliveries) {
    if (delivery.digest !== undefined) {
      const entry: DigestEntry = { bucket: delivery.digest.bucket, dedupeKey: delivery.dedupeKey, channel: delivery.channel, recipient: delivery.recipient, owner: delivery.digest.owner, periodStart: delivery.digest.periodStart, periodEnd: delivery.digest.periodEnd, line: digestLineOf(notification) };
      if (await deps.digests.add(entry, retentionExpiry(entry.periodEnd, retentionDays))) digested++;
      else duplicates++;
      continue;
    }
    const message = newMessage(delivery, render(delivery.channel, notification, language), notification.key, now);
    if (await deps.outbox.enqueue(message)) {
      enqueued++;
      if (message.notBefore <= now.toISOString()) ready.push(pending(message));
    } else duplicates++;
  }
  deps.log.info('notification routed', { eventId: event.id, key: notification.key, state: notification.state, decidedBy, enqueued, duplicates, digested });
  const attempts: AttemptOutcome[] = [];
  for (const message of ready) {
    const outcome = await deliverMessage(deps, message, now);
    if (outcome !== undefined) attempts.push(outcome);
  }
  return { enqueued, duplicates, digested, attempts };
}

function render(channel: Delivery['channel'], notification: Parameters<typeof renderSlack>[0], language: Language): MessagePayload {
  return channel === 'slack' ? renderSlack(notification, language) : renderEmail(notification, language);
}

function newMessage(delivery: Pick<Delivery, 'channel' | 'recipient' | 'dedupeKey' | 'notBefore'>, payload: MessagePayload, about: string, now: Date) {
  return { messageId: messageIdOf(delivery.dedupeKey), dedupeKey: delivery.dedupeKey, channel: delivery.channel, recipient: delivery.recipient, payload, about, createdAt: now.toISOString(), notBefore: delivery.notBefore };
}

function pending(message: ReturnType<typeof newMessage>): OutboxMessage {
  return { ...message, state: 'pending', attempts: 0, nextAttemptAt: message.notBefore, sentAt: undefined, lastError: undefined };
}

/** One attempt at one message. Undefined when another invocation had claimed it. */
export async function deliverMessage(deps: NotifierDeps, message: OutboxMessage, now: Date): Promise<AttemptOutcome | undefined> {
  if (!(await deps.outbox.claim(message, now, addMs(now, CLAIM_LEASE_MS)))) return undefined;
  const attempt = message.attempts + 1;
  const result = await send(deps, message);
  const settings = deps.policy.notifications;
  const outcome = nextAttempt(result, attempt, now, settings.retry);
  const fields = { messageId: message.messageId, about: message.about, channel: message.channel, attempt };
  switch (outcome.kind) {
    case 'sent':
      await deps.outbox.markSent(message.messageId, attempt, now, retentionExpiry(now, settings.outboxRetentionDays), outcome.notSent);
      deps.log.info(outcome.notSent === undefined ? 'notification sent' : `notification ${outcome.notSent}`, fields);
      break;
    case 'retry':
      await deps.outbox.reschedule(message.messageId, attempt, outcome.at, outcome.reason);
      deps.log.warn('notification delivery failed; will retry', { ...fields, retryAt: outcome.at.toISOString(), reason: outcome.reason });
      break;
    case 'dead':
      await deps.outbox.markDead(message.messageId, attempt, outcome.reason, now, retentionExpiry(now, settings.outboxRetentionDays));
      deps.log.warn('notification dead-lettered', { ...fields, reason: outcome.reason });
      break;
  }
  return outcome;
}

async function send(deps: NotifierDeps, message: OutboxMessage): Promise<SendResult> {
  try {
    const payload = message.payload;
    return payload.channel === 'slack' ? await deps.slack.send(payload) : await deps.mail.send(message.recipient, payload);
  } catch (err) {
    // Senders report failures as results; a throw is unexpected, so it is retried like a network error.
    return { ok: false, error: `${(err as Error).name}: sender failed unexpectedly` };
  }
}

export interface DrainResult {
  readonly attempted: number;
  readonly sent: number;
  readonly retried: number;
  readonly dead: number;
  readonly digests: number;
}

/** Closes ended digest periods, then gives every due message one attempt (bounded per run); with a due marker that lies ahead, nothing. */
export async function drainOutbox(deps: NotifierDeps, now: Date): Promise<DrainResult> {
  const reading = await deps.wake?.read();
  if (reading !== undefined && isIdle(reading, now)) return { attempted: 0, sent: 0, retried: 0, dead: 0, digests: 0 };
  const digests = await summariseClosedDigests(deps, now);
  const counts = { attempted: 0, sent: 0, retried: 0, dead: 0 };
  for (const message of await deps.outbox.due(now, DRAIN_BATCH)) {
    const outcome = await deliverMessage(deps, message, now);
    if (outcome === undefined) continue;
    counts.attempted++;
    if (outcome.kind === 'sent') counts.sent++;
    else if (outcome.kind === 'retry') counts.retried++;
    else counts.dead++;
  }
  if (reading !== undefined) await deps.wake?.settle(reading, now);
  return { ...counts, digests };
}

/** One summary message per digest bucket (owner, period, channel, recipient) whose period has ended. */
export async function summariseClosedDigests(deps: NotifierDeps, now: Date): Promise<number> {
  const entries = await deps.digests.closed(now);
  const buckets = new Map<string, DigestEntry[]>();
  for (const entry of entries) buckets.set(entry.bucket, [...(buckets.get(entry.bucket) ?? []), entry]);
  const settings = deps.policy.notifications;
  // Digests are never critical: they wait for the end of quiet hours like any low message.
  const notBefore = (quietHoursEnd(now, settings.quietHours) ?? now).toISOString();
  for (const [bucket, lines] of buckets) {
    const first = lines[0] as DigestEntry;
    const sorted = [...lines].sort((a, b) => a.line.occurredAt.localeCompare(b.line.occurredAt));
    const payload = renderDigest(first.channel, first.owner, { start: first.periodStart, end: first.periodEnd }, sorted.map((e) => e.line), settings.language);
    const dedupe = `digest#${bucket}`;
    await deps.outbox.enqueue(newMessage({ channel: first.channel, recipient: first.recipient, dedupeKey: dedupe, notBefore }, payload, bucket, now));
    await deps.digests.markSummarised(lines);
  }
  return buckets.size;
}
