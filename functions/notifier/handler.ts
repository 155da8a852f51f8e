/**
 * notifier: findings, alerts and incident changes to Slack and e-mail, once per state change,
 * through an outbox in the state table so nothing is lost while a channel is down.
 *
 * Thin: wire the ports; ERP incident events and the pipeline's findings (typed by their
 * schemas) go to `acceptNotification`; the drain schedule closes ended digest periods and retries due
 * messages, with the event's own time as "now" (so a test's `scheduler.tick` decides the same way).
 */
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { stateDocumentClient } from '../shared/aws-clients.ts';
import { readFunctionConfig } from '../shared/config.ts';
import { governanceHandler, type GovernanceTools } from '../shared/event-handler.ts';
import { functionPolicy } from '../../schemas/policy-loader.ts';
import { loadChannelSettings, type ChannelSettings } from './channel-settings.ts';
import { consoleOutboxSender } from './console-outbox-sender.ts';
import { dynamoDigestStore } from './digest-store.ts';
import { dynamoDrainWake } from './drain-wake.ts';
import { acceptNotification, drainOutbox, type NotifierDeps, type NotifierLog } from './flows.ts';
import { notifiedEvent } from './notification.ts';
import { dynamoOutboxStore } from './outbox-store.ts';
import { sesSender } from './ses-sender.ts';
import { slackWebhookSender } from './slack-webhook-sender.ts';
import { smtpSender } from './smtp-sender.ts';
import { dynamoSubjectStore } from './subject-store.ts';

const config = readFunctionConfig();
const policy = functionPolicy();
const documents = stateDocumentClient();

// Secrets are fetched on the first invocation (an async read), then kept for the container's life.
let deps: Promise<Omit<NotifierDeps, 'log'>> | undefined;

function wire(settings: ChannelSettings): Omit<NotifierDeps, 'log'> {
  const fallback = consoleOutboxSender({ dataDir: process.env.ERPGOV_DATA_DIR });
  const mail = settings.mail;
  const wake = dynamoDrainWake(documents, config.stateTableName);
  return {
    outbox: dynamoOutboxStore(documents, config.stateTableName, wake.marker),
    digests: dynamoDigestStore(documents, config.stateTableName, wake.marker),
    wake,
    subjects: dynamoSubjectStore(documents, config.stateTableName),
    slack: settings.slackWebhookUrl !== undefined ? slackWebhookSender(settings.slackWebhookUrl) : fallback.slack,
    mail: mail === undefined ? fallback.mail : mail.transport === 'ses' ? sesSender(new SESv2Client({}), mail.from) : smtpSender({ url: mail.url, from: mail.from }),
    policy,
  };
}

function dependencies(log: NotifierLog): Promise<NotifierDeps> {
  deps ??= loadChannelSettings().then((settings) => {
    // Which channels are live, never their URLs or credentials.
    log.info('notification channels', { origin: settings.origin, slack: settings.slackWebhookUrl !== undefined ? 'webhook' : 'console', mail: settings.mail?.transport ?? 'console' });
    return wire(settings);
  });
  deps.catch(() => (deps = undefined));
  return deps.then((d) => ({ ...d, log }));
}

const notifierLog = (logger: GovernanceTools['logger']): NotifierLog => ({
  info: (message, fields = {}) => logger.info(message, fields),
  warn: (message, fields = {}) => logger.warn(message, fields),
});

export const handler = governanceHandler('notifier')({
  async onFact(fact, { logger, now }) {
    const notifier = await dependencies(notifierLog(logger));
    const result = await acceptNotification(notifier, notifiedEvent(fact), now);
    return { eventId: fact.eventId, enqueued: result.enqueued, duplicates: result.duplicates, digested: result.digested, attempts: result.attempts.map((a) => a.kind) };
  },
  onSchedule: {
    async 'notifier-outbox-drain'(firedAt, { logger }) {
      const notifier = await dependencies(notifierLog(logger));
      const result = await drainOutbox(notifier, firedAt);
      if (result.attempted > 0 || result.digests > 0) logger.info('outbox drained', { firedAt: firedAt.toISOString(), ...result });
      return { schedule: 'notifier-outbox-drain', ...result };
    },
  },
});
