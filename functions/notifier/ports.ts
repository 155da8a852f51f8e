/**
 * Ports of the notifier. Delivery code depends on these; the adapters (Slack webhook over
 * fetch, SMTP through nodemailer, SES v2, console + file, DynamoDB) implement them.
 */
import type { DigestLine, EmailPayload, MessagePayload, SlackPayload } from './render.ts';
import type { SendResult } from './retry.ts';
import type { Channel } from './routing.ts';
import type { RememberedSubject } from './notification.ts';

export interface SlackSender {
  send(message: SlackPayload): Promise<SendResult>;
}

export interface MailSender {
  send(to: string, message: EmailPayload): Promise<SendResult>;
}

export type OutboxState = 'pending' | 'sent' | 'dead';
export const OUTBOX_STATES: readonly OutboxState[] = ['pending', 'sent', 'dead'];

export interface NewOutboxMessage {
  readonly messageId: string;
  readonly dedupeKey: string;
  readonly channel: Channel;
  readonly recipient: string;
  readonly payload: MessagePayload;
  /** Finding or incident id (or the digest bucket) the message is about, for inspection. */
  readonly about: string;
  readonly createdAt: string;
  /** First attempt not before this instant. */
  readonly notBefore: string;
}

export interface OutboxMessage extends NewOutboxMessage {
  readonly state: OutboxState;
  /** Attempts started so far. */
  readonly attempts: number;
  readonly nextAttemptAt: string;
  readonly sentAt: string | undefined;
  readonly lastError: string | undefined;
}

export interface OutboxStore {
  /** Stores a new pending message; false when one with this id exists already (a duplicate). */
  enqueue(message: NewOutboxMessage): Promise<boolean>;
  get(messageId: string): Promise<OutboxMessage | undefined>;
  /** Pending messages whose next attempt is due at `now`, oldest first, at most `limit`. */
  due(now: Date, limit: number): Promise<OutboxMessage[]>;
  /**
   * Takes the message for one attempt: only if it is still pending, due, and nobody else
   * started attempt `attempts + 1`. Its next attempt moves to `leaseUntil`, so a crash
   * mid-send leaves it to a later drain. False when someone else took it.
   */
  claim(message: OutboxMessage, now: Date, leaseUntil: Date): Promise<boolean>;
  markSent(messageId: string, attempt: number, sentAt: Date, expiresAt: number): Promise<void>;
  reschedule(messageId: string, attempt: number, at: Date, error: string): Promise<void>;
  markDead(messageId: string, attempt: number, reason: string, at: Date, expiresAt: number): Promise<void>;
  /** Messages in a state, newest first. */
  list(state: OutboxState, limit: number): Promise<OutboxMessage[]>;
}

export interface DigestEntry {
  readonly bucket: string;
  readonly dedupeKey: string;
  readonly channel: Channel;
  readonly recipient: string;
  readonly owner: string;
  readonly periodStart: string;
  readonly periodEnd: string;
  readonly line: DigestLine;
}

export interface DigestStore {
  /** Adds the entry unless its dedupe key was digested before (in any period); false for a duplicate. */
  add(entry: DigestEntry, expiresAt: number): Promise<boolean>;
  /** Entries of periods that ended before `now` and were not summarised yet. */
  closed(now: Date): Promise<DigestEntry[]>;
  /** Takes summarised entries off the open index. */
  markSummarised(entries: readonly DigestEntry[]): Promise<void>;
}

export interface SubjectMemory {
  /** Keeps the first description of a finding or incident; later calls change nothing. */
  remember(subject: RememberedSubject, expiresAt: number): Promise<void>;
  recall(key: string): Promise<RememberedSubject | undefined>;
}
