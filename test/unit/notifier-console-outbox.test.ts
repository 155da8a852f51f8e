/**
 * The console/outbox stand-in when no channel is configured: each message says plainly that it
 * was not sent, without Slack's markup or emoji shortcodes, and reports itself as not sent so
 * the outbox (and `erpgov notifications list`) says the same.
 */
import { expect, it } from 'vitest';
import { consoleOutboxSender, NOT_SENT } from '../../functions/notifier/console-outbox-sender.ts';
import { renderEmail, renderSlack } from '../../functions/notifier/render.ts';
import { fixedClock } from '../../functions/shared/clock.ts';
import type { Notification } from '../../functions/notifier/notification.ts';
import { nextAttempt } from '../../functions/notifier/retry.ts';
import { loadPolicy } from '../../schemas/policy-loader.ts';

const notification: Notification = {
  kind: 'finding', key: 'access-governance-2.3-leaver-E-100', state: 'raised', eventId: 'ev-1', occurredAt: '2026-03-02T10:00:00Z', firstSeenAt: '2026-03-02T10:00:00Z',
  severity: 'high', area: undefined, control: '2.3', owner: undefined, title: 'Leaver still has access', subject: { type: 'account', id: 'u100' },
  summary: 'E-100 left on 2026-03-01', evidenceEventIds: ['ev-1'], closedBy: undefined, resolution: undefined, incidentSeverity: undefined,
};

it('a Slack message with no webhook says "not sent: no channel configured", without "Slack:" or emoji shortcodes', async () => {
  const printed: string[] = [];
  const sender = consoleOutboxSender({ dataDir: undefined, write: (t) => printed.push(t), clock: fixedClock(new Date('2026-03-02T10:00:00Z')) });
  const result = await sender.slack.send(renderSlack(notification, 'en'));
  const text = printed.join('');
  expect(text).toContain(`[erpgov notification] ${NOT_SENT}: [HIGH] Finding: Leaver still has access`);
  expect(text).not.toMatch(/Slack:/);
  expect(text).not.toMatch(/:[a-z_]+:/);
  expect(text).toContain('Leaver still has access');
  expect(text).toContain('Control: 2.3');
  expect(result).toEqual({ ok: true, notSent: NOT_SENT });
  // The attempt ends the message (no retry), recorded as not sent.
  expect(nextAttempt(result, 1, new Date(), loadPolicy().notifications.retry)).toEqual({ kind: 'sent', notSent: NOT_SENT });
});

it('an e-mail with no mail server says the same, naming who it was for', async () => {
  const printed: string[] = [];
  const sender = consoleOutboxSender({ dataDir: undefined, write: (t) => printed.push(t) });
  const result = await sender.mail.send('it.lead@example.com', renderEmail(notification, 'en'));
  expect(printed.join('')).toContain(`${NOT_SENT}: [HIGH] Finding: Leaver still has access (e-mail to it.lead@example.com)`);
  expect(result).toEqual({ ok: true, notSent: NOT_SENT });
});
