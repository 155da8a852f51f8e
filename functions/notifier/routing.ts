/**
 * Who gets a notification, through which channel, and when: the policy's routing rules
 * (first match wins, else the per-severity defaults), quiet hours (a delivery waits until
 * they end unless its severity bypasses them) and digests (low severities are collected per
 * owner and period into one summary). Pure: `now` is passed in.
 */
import { createHash } from 'node:crypto';
import type { Policy } from '../../schemas/policy.ts';
import { localTime, minutesOfClock } from '../shared/local-time.ts';
import { DAY_MS, MINUTE_MS } from '../shared/time.ts';
import type { Notification } from './notification.ts';

export type Channel = 'slack' | 'email';
type NotificationPolicy = Policy['notifications'];

/** The one Slack recipient: the configured incoming webhook (its URL is a secret, never stored). */
export const SLACK_RECIPIENT = 'webhook';
/** Digest owner for notifications nobody owns. */
export const UNOWNED = 'unassigned';

export interface DigestSlot {
  readonly owner: string;
  readonly periodStart: string;
  readonly periodEnd: string;
  /** Groups the entries that become one summary message. */
  readonly bucket: string;
}

export interface Delivery {
  readonly channel: Channel;
  readonly recipient: string;
  /** `<key>#<state>#<channel>#<recipient>`: one message per state change per recipient. */
  readonly dedupeKey: string;
  /** Not before this instant (end of quiet hours, or of the digest period). */
  readonly notBefore: string;
  /** Present when the notification goes into a digest instead of its own message. */
  readonly digest: DigestSlot | undefined;
}

export interface RoutingDecision {
  readonly deliveries: readonly Delivery[];
  /** Which rule decided, for the log: `routes[2]` or `channelsBySeverity.high`. */
  readonly decidedBy: string;
}

export function dedupeKey(key: string, state: string, channel: Channel, recipient: string): string {
  return `${key}#${state}#${channel}#${recipient}`;
}

/** A short, stable id for a dedupe key: DynamoDB keys stay small, and the same key always gives the same id. */
export function messageIdOf(dedupe: string): string {
  return createHash('sha256').update(dedupe).digest('hex').slice(0, 32);
}

export function routeNotification(notification: Notification, policy: Policy, now: Date): RoutingDecision {
  const settings = policy.notifications;
  const { channels, recipients, decidedBy } = chooseChannels(notification, settings);
  const digest = settings.digest.severities.includes(notification.severity) && notification.kind === 'finding' ? digestSlot(notification, settings, now) : undefined;
  const quietUntil = settings.quietHours.bypassSeverities.includes(notification.severity) ? undefined : quietHoursEnd(now, settings.quietHours);
  const notBefore = latest([now, quietUntil, digest ? new Date(digest.periodEnd) : undefined]).toISOString();

  const deliveries: Delivery[] = [];
  for (const channel of new Set(channels)) {
    const targets = channel === 'slack' ? [SLACK_RECIPIENT] : [...new Set(recipients)];
    for (const recipient of targets) {
      const slot = digest ? { ...digest, bucket: `${digest.bucket}#${channel}#${recipient}` } : undefined;
      deliveries.push({ channel, recipient, dedupeKey: dedupeKey(notification.key, notification.state, channel, recipient), notBefore, digest: slot });
    }
  }
  return { deliveries, decidedBy };
}

function chooseChannels(notification: Notification, settings: NotificationPolicy): { channels: readonly Channel[]; recipients: readonly string[]; decidedBy: string } {
  const index = settings.routes.findIndex(({ match }) =>
    (match.areas === undefined || (notification.area !== undefined && match.areas.includes(notification.area))) &&
    (match.controls === undefined || (notification.control !== undefined && match.controls.includes(notification.control))) &&
    (match.severities === undefined || match.severities.includes(notification.severity)) &&
    (match.owners === undefined || (notification.owner !== undefined && match.owners.includes(notification.owner))),
  );
  const rule = settings.routes[index];
  if (rule !== undefined) return { channels: rule.channels, recipients: rule.emailRecipients, decidedBy: `routes[${index}]` };
  return { channels: settings.channelsBySeverity[notification.severity], recipients: settings.defaultEmailRecipients, decidedBy: `channelsBySeverity.${notification.severity}` };
}

/**
 * The end of the quiet hours `now` falls in, or undefined outside them. Quiet hours may
 * span midnight (22:00–08:00). The end is found by adding the minutes left on the local
 * clock, which is off by the shift on a night daylight saving changes: a message then waits
 * an hour more or less, which is harmless.
 */
export function quietHoursEnd(now: Date, quiet: NotificationPolicy['quietHours']): Date | undefined {
  if (!quiet.enabled) return undefined;
  const minute = localTime(now, quiet.timezone).minuteOfDay;
  const from = minutesOfClock(quiet.from);
  const to = minutesOfClock(quiet.to);
  const inside = from < to ? minute >= from && minute < to : minute >= from || minute < to;
  if (!inside) return undefined;
  const minutesInDay = DAY_MS / MINUTE_MS;
  const minutesLeft = (to - minute + minutesInDay) % minutesInDay;
  const startOfMinute = Math.floor(now.getTime() / MINUTE_MS) * MINUTE_MS;
  return new Date(startOfMinute + minutesLeft * MINUTE_MS);
}

/** Digest periods are aligned to the epoch, so every container computes the same slots. */
export function digestSlot(notification: Notification, settings: NotificationPolicy, now: Date): DigestSlot {
  const periodMs = settings.digest.periodMinutes * MINUTE_MS;
  const start = Math.floor(now.getTime() / periodMs) * periodMs;
  const owner = notification.owner ?? UNOWNED;
  const periodStart = new Date(start).toISOString();
  return { owner, periodStart, periodEnd: new Date(start + periodMs).toISOString(), bucket: `${periodStart}#${owner}` };
}

function latest(instants: readonly (Date | undefined)[]): Date {
  return new Date(Math.max(...instants.filter((d): d is Date => d !== undefined).map((d) => d.getTime())));
}
