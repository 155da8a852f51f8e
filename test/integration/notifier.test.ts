/**
 * notifier end to end through the local runtime, against real protocol peers on loopback: an
 * HTTP server standing in for the Slack incoming webhook (it can answer 500, 429 with
 * Retry-After, or 404 on cue) and an SMTP server (smtp-server) that takes the mail. Time is
 * driven with `scheduler.tick` on the drain schedule; nothing waits on a clock.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runNotificationsCommand } from '../../cli/notifications.ts';
import type { ScheduleIdOf } from '../../infra/function-routes.ts';
import { dynamoOutboxStore, type OutboxStore } from '../../functions/notifier/outbox-store.ts';
import { messageIdOf } from '../../functions/notifier/routing.ts';
import { MINUTE_MS as MIN } from '../../functions/shared/time.ts';
import { clearPolicyCache } from '../../schemas/policy-loader.ts';
import { stateTable } from '../../infra/state-table.ts';
import type { BusEvent } from '../../runtime/put-events.ts';
import { startLocalRuntime, type LocalRuntime } from '../../runtime/local-runtime.ts';
import { LOCAL_CREDENTIALS } from '../../runtime/http-server.ts';
import { erpEntry } from '../support/erp-entry.ts';

const OUTBOX_DRAIN_SCHEDULE = 'notifier-outbox-drain' satisfies ScheduleIdOf<'notifier'>;
const SLACK_SECRET_PATH = '/services/T0LOCAL/B0LOCAL/s3cr3tW3bh00kT0k3n';
const SMTP_USER = 'notifier';
const SMTP_PASSWORD = 'Sm7p-Pa55w0rd-never-logged';
const AUDIT_LEAD = 'audit-lead@example.com';
const IT_OPS = 'it-ops@example.com';

// ---- the Slack stand-in -------------------------------------------------------------
interface SlackCall {
  readonly status: number;
  readonly body: { text: string; blocks: unknown[] };
}
const slackCalls: SlackCall[] = [];
/** Answers to give, in order, before going back to 200. */
const slackScript: { status: number; headers?: Record<string, string> }[] = [];
let slackServer: Server;
/**
 * Incident notifications only: the incident-response function also raises SLA findings that
 * name the incident (its id appears in them) when a drain runs past the targets.
 */
const aboutIncidentOnly = (text: string) => !text.includes('incident-response-5.');
const slackDelivered = (needle: string) => slackCalls.filter((c) => c.status === 200 && JSON.stringify(c.body).includes(needle) && aboutIncidentOnly(JSON.stringify(c.body)));

function startSlackStandIn(): Promise<string> {
  slackServer = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      if (req.url !== SLACK_SECRET_PATH || req.method !== 'POST') {
        res.writeHead(404).end('no_service');
        return;
      }
      const answer = slackScript.shift() ?? { status: 200 };
      slackCalls.push({ status: answer.status, body: JSON.parse(body) as SlackCall['body'] });
      res.writeHead(answer.status, { 'content-type': 'text/plain', ...answer.headers }).end(answer.status === 200 ? 'ok' : 'error');
    });
  });
  return new Promise((resolve) => slackServer.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(slackServer.address() as AddressInfo).port}${SLACK_SECRET_PATH}`)));
}

// ---- the SMTP peer ------------------------------------------------------------------
interface Mail {
  readonly to: string[];
  readonly headers: string;
  readonly raw: string;
}
const mails: Mail[] = [];
let smtp: SMTPServer | undefined;
let smtpPort = 0;
const mailsTo = (address: string, needle: string) => mails.filter((m) => m.to.includes(address) && m.raw.includes(needle) && aboutIncidentOnly(m.raw));

function startSmtp(port: number): Promise<number> {
  const server = new SMTPServer({
    authOptional: false,
    // Plain SMTP on loopback: no certificate to manage in a test; TLS is nodemailer's job with smtps://.
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === SMTP_USER && auth.password === SMTP_PASSWORD) callback(null, { user: auth.username });
      else callback(new Error('535 authentication failed'));
    },
    onData(stream, session, callback) {
      let raw = '';
      stream.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
      stream.on('end', () => {
        const headers = (raw.split(/\r?\n\r?\n/)[0] ?? '').replace(/\r?\n[ \t]+/g, ' ');
        mails.push({ to: session.envelope.rcptTo.map((r) => r.address), headers, raw: raw.replace(/=\r?\n/g, '') });
        callback();
      });
    },
  });
  smtp = server;
  return new Promise((resolve, reject) => {
    server.on('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.server.address() as AddressInfo).port));
  });
}

function stopSmtp(): Promise<void> {
  const server = smtp;
  smtp = undefined;
  return new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
}

// ---- the pipeline -------------------------------------------------------------------
const HIGH_RISK_SWEEP_SCHEDULE = 'audit-high-risk-sweep' satisfies ScheduleIdOf<'audit-analysis'>;
let dataDir: string;
let runtime: LocalRuntime;
let events: EventBridgeClient;
let docs: DynamoDBDocumentClient;
let outbox: OutboxStore;
const logged: string[] = [];
const originalStdout = process.stdout.write.bind(process.stdout);
const originalStderr = process.stderr.write.bind(process.stderr);

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'erpgov-notifier-'));
  const webhookUrl = await startSlackStandIn();
  smtpPort = await startSmtp(0);
  const policyFile = join(dataDir, 'policy.json');
  writeFileSync(
    policyFile,
    JSON.stringify({
      notifications: {
        routes: [{ match: { controls: ['6.2'] }, channels: ['slack', 'email'], emailRecipients: [AUDIT_LEAD] }],
        defaultEmailRecipients: [IT_OPS],
        retry: { maxAttempts: 5, baseDelaySeconds: 1, maxDelaySeconds: 120 },
      },
    }),
  );
  vi.stubEnv('ERPGOV_POLICY_FILE', policyFile);
  vi.stubEnv('ERPGOV_SLACK_WEBHOOK_URL', webhookUrl);
  vi.stubEnv('ERPGOV_SMTP_URL', `smtp://${SMTP_USER}:${SMTP_PASSWORD}@127.0.0.1:${smtpPort}`);
  vi.stubEnv('ERPGOV_MAIL_FROM', 'erpgov@example.com');
  // Everything the functions log, so the secrets test has something to search.
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'DEBUG');
  clearPolicyCache();
  // Kept, not echoed: the secrets test searches it, and a green run stays quiet.
  const capture = ((chunk: string | Uint8Array) => {
    logged.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  }) as typeof process.stdout.write;
  process.stdout.write = capture;
  process.stderr.write = capture;

  runtime = await startLocalRuntime({ dataDir, armSchedules: false, retry: { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20 } });
  events = new EventBridgeClient({ endpoint: runtime.eventBridgeUrl, region: 'us-east-1', credentials: LOCAL_CREDENTIALS, maxAttempts: 1 });
  docs = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: runtime.dynamoDbUrl, region: 'us-east-1', credentials: LOCAL_CREDENTIALS }));
  outbox = dynamoOutboxStore(docs, stateTable.name);
});

afterAll(async () => {
  process.stdout.write = originalStdout;
  process.stderr.write = originalStderr;
  events.destroy();
  docs.destroy();
  await runtime.stop();
  await stopSmtp();
  await new Promise((resolve) => slackServer.close(resolve));
  vi.unstubAllEnvs();
  clearPolicyCache();
  rmSync(dataDir, { recursive: true, force: true });
});

async function put(entries: PutEventsRequestEntry[]): Promise<string[]> {
  const out = await events.send(new PutEventsCommand({ Entries: entries }));
  expect(out.FailedEntryCount).toBe(0);
  await runtime.bus.whenIdle();
  return (out.Entries ?? []).map((e) => e.EventId as string);
}

const incident = (incidentId: string, severity: string, title: string) => erpEntry('Incident Opened', { incidentId, severity, title, reportedBy: 'monitoring' }, new Date());

/** Fires the drain at its first fire time at or after `notBefore` (catching up earlier ones), and waits for it. */
async function drainAt(notBefore: Date): Promise<Date> {
  for (let i = 0; i < 10_000; i++) {
    const next = runtime.scheduler.upcoming().find((s) => s.id === OUTBOX_DRAIN_SCHEDULE)?.next;
    if (!next) throw new Error(`schedule ${OUTBOX_DRAIN_SCHEDULE} is not armed`);
    const due = new Date(next);
    runtime.scheduler.tick(due >= notBefore ? due : notBefore);
    await runtime.bus.whenIdle();
    if (due >= notBefore) return due;
  }
  throw new Error('drain schedule never reached the requested time');
}

const slackMessageId = (key: string, state: string) => messageIdOf(`${key}#${state}#slack#webhook`);
const mailMessageId = (key: string, state: string, to: string) => messageIdOf(`${key}#${state}#email#${to}`);

describe('notifier: done when a finding from the audit trail reaches Slack and e-mail, routed, once', () => {
  it('an unverified bulk delete becomes one Slack message and one mail to the 6.2 route\'s recipient', async () => {
    await put([erpEntry('Operation Audited', { actor: 'u1001', action: 'delete', target: 'sales-order', module: 'orders', recordCount: 250, operationId: 'nt-unverified' }, new Date(Date.now() - MIN))]);
    // The sweep after the verification window raises the finding; the notifier hears it on the bus.
    const upcoming = runtime.scheduler.upcoming().find((s) => s.id === HIGH_RISK_SWEEP_SCHEDULE)?.next as string;
    for (let at = new Date(upcoming); at.getTime() <= Date.now() + 45 * MIN; at = new Date(runtime.scheduler.upcoming().find((s) => s.id === HIGH_RISK_SWEEP_SCHEDULE)?.next as string)) {
      runtime.scheduler.tick(at);
      await runtime.bus.whenIdle();
    }
    const slack = slackDelivered('nt-unverified');
    expect(slack).toHaveLength(1);
    const text = JSON.stringify(slack[0]?.body);
    expect(text).toContain('High-risk operation not verified by a second person');
    expect(text).toContain('CRITICAL');
    expect(text).toContain('6.2');
    expect(text).toContain('second person'); // the control's meaning from the catalogue
    expect(mailsTo(AUDIT_LEAD, 'nt-unverified')).toHaveLength(1);
    expect(mailsTo(IT_OPS, 'nt-unverified')).toHaveLength(0);
    expect(mailsTo(AUDIT_LEAD, 'nt-unverified')[0]?.headers).toContain('Subject: [CRITICAL] Finding: High-risk operation not verified by a second person');

    // Later drains send nothing again.
    await drainAt(new Date(Date.now() + 50 * MIN));
    expect(slackDelivered('nt-unverified')).toHaveLength(1);
    expect(mailsTo(AUDIT_LEAD, 'nt-unverified')).toHaveLength(1);
  });
});

describe('one message per state change', () => {
  const findingId = 'test-6.2-duplicate-finding';
  const finding = (eventId: string, detailType: 'Finding Raised' | 'Finding Resolved', detail: Record<string, unknown>): BusEvent => ({
    version: '0', id: eventId, 'detail-type': detailType, source: 'erpgov.test', account: '000000000000', time: new Date().toISOString(), region: 'us-east-1', resources: [],
    detail: { schemaVersion: 1, findingId, control: '6.2', severity: 'high', mode: 'enforce', subject: { type: 'operation', id: 'op-dup' }, ...detail },
  });
  const raised = (eventId: string) =>
    finding(eventId, 'Finding Raised', { title: 'Duplicate-delivered finding', evidence: { summary: 'op-dup deleted 300 records', eventIds: ['e-1'] }, detectedBy: 'test' });

  it('the same finding delivered three times, twice under another event id, is sent once per channel and recipient', async () => {
    for (const event of [raised('dup-1'), raised('dup-1'), raised('dup-2'), raised('dup-1')]) runtime.bus.acceptFor(event, 'notifier');
    await runtime.bus.whenIdle();
    expect(slackDelivered(findingId)).toHaveLength(1);
    expect(mailsTo(AUDIT_LEAD, findingId)).toHaveLength(1);
  });

  it('its resolution is one more message on each, naming the same finding, its title and first-seen time', async () => {
    const resolved = finding('dup-resolved', 'Finding Resolved', { resolution: 'fixed', resolvedBy: 'it.lead.sun' });
    runtime.bus.acceptFor(resolved, 'notifier');
    runtime.bus.acceptFor(resolved, 'notifier');
    await runtime.bus.whenIdle();
    const slack = slackDelivered(findingId);
    expect(slack).toHaveLength(2);
    const resolveText = JSON.stringify(slack[1]?.body);
    expect(resolveText).toContain('Resolved: Duplicate-delivered finding');
    expect(resolveText).toContain('it.lead.sun');
    expect(mailsTo(AUDIT_LEAD, findingId)).toHaveLength(2);
    expect((await outbox.get(slackMessageId(findingId, 'resolved')))?.state).toBe('sent');
  });
});

describe('outages: nothing lost, delivered once when the endpoint is back', () => {
  it('Slack answering 500, then 429 with Retry-After: the message waits as asked and is delivered once', async () => {
    slackScript.push({ status: 500 }, { status: 429, headers: { 'Retry-After': '30' } });
    await put([incident('INC-NT-1', 'P2', 'Order entry slow for all users')]);
    // The immediate attempt met the 500; e-mail went through.
    expect(slackDelivered('INC-NT-1')).toHaveLength(0);
    expect(mailsTo(IT_OPS, 'INC-NT-1')).toHaveLength(1);
    const afterFirst = await outbox.get(slackMessageId('INC-NT-1', 'opened'));
    expect(afterFirst).toMatchObject({ state: 'pending', attempts: 1, lastError: expect.stringContaining('500') });

    // The next drain meets the 429: the message is put back exactly Retry-After seconds later.
    const firedAt = await drainAt(new Date(afterFirst?.nextAttemptAt as string));
    const afterSecond = await outbox.get(slackMessageId('INC-NT-1', 'opened'));
    expect(afterSecond).toMatchObject({ state: 'pending', attempts: 2, lastError: expect.stringContaining('429') });
    // The scheduled event's time has whole seconds, like EventBridge's.
    expect(afterSecond?.nextAttemptAt).toBe(new Date(Math.floor(firedAt.getTime() / 1000) * 1000 + 30_000).toISOString());

    await drainAt(new Date(afterSecond?.nextAttemptAt as string));
    expect(slackDelivered('INC-NT-1')).toHaveLength(1);
    expect(await outbox.get(slackMessageId('INC-NT-1', 'opened'))).toMatchObject({ state: 'sent', attempts: 3 });
    await drainAt(new Date(Date.now() + 90 * MIN));
    expect(slackDelivered('INC-NT-1')).toHaveLength(1);
    expect(mailsTo(IT_OPS, 'INC-NT-1')).toHaveLength(1);
  });

  it('the SMTP server down: the mail stays pending through a drain, and goes out once it is back', async () => {
    await stopSmtp();
    await put([incident('INC-NT-2', 'P1', 'Whole ERP down')]);
    expect(slackDelivered('INC-NT-2')).toHaveLength(1);
    const id = mailMessageId('INC-NT-2', 'opened', IT_OPS);
    const down = await outbox.get(id);
    expect(down).toMatchObject({ state: 'pending', attempts: 1 });
    const stillDown = await drainAt(new Date(Date.now() + 100 * MIN));
    const retried = await outbox.get(id);
    expect(retried?.state).toBe('pending');
    expect(retried?.attempts).toBeGreaterThanOrEqual(2);
    expect(retried?.lastError).toContain('ECONNREFUSED');

    await startSmtp(smtpPort);
    await drainAt(new Date(stillDown.getTime() + 10 * MIN));
    expect(mailsTo(IT_OPS, 'INC-NT-2')).toHaveLength(1);
    expect(await outbox.get(id)).toMatchObject({ state: 'sent', attempts: (retried?.attempts ?? 0) + 1 });
    await drainAt(new Date(stillDown.getTime() + 20 * MIN));
    expect(mailsTo(IT_OPS, 'INC-NT-2')).toHaveLength(1);
    expect(slackDelivered('INC-NT-2')).toHaveLength(1);
  });

  it('a permanent 4xx ends in the dead state, visible in the store and the CLI, and is not retried', async () => {
    slackScript.push({ status: 404 });
    await put([incident('INC-NT-3', 'P3', 'Reports slow in finance')]);
    const id = slackMessageId('INC-NT-3', 'opened');
    expect(await outbox.get(id)).toMatchObject({ state: 'dead', attempts: 1, lastError: expect.stringContaining('404') });
    expect((await outbox.list('dead', 50)).map((m) => m.messageId)).toContain(id);
    const callsAbout = () => slackCalls.filter((c) => JSON.stringify(c.body).includes('INC-NT-3')).length;
    expect(callsAbout()).toBe(1);
    await drainAt(new Date(Date.now() + 200 * MIN));
    expect(callsAbout()).toBe(1);

    const printed: string[] = [];
    const exit = await runNotificationsCommand(['list', '--state', 'dead', '--endpoint', runtime.dynamoDbUrl, '--data-dir', dataDir], (line) => printed.push(line));
    expect(exit).toBe(0);
    expect(printed.join('\n')).toContain('INC-NT-3');
    expect(printed.join('\n')).toContain('404');
  });
});

describe('secrets', () => {
  it('neither the webhook URL nor the SMTP password appears in anything the functions logged', () => {
    const output = logged.join('');
    // The capture works: the notifier's own log lines are in it.
    expect(output).toContain('notification sent');
    expect(output).toContain('notification delivery failed; will retry');
    expect(output).not.toContain('s3cr3tW3bh00kT0k3n');
    expect(output).not.toContain(SLACK_SECRET_PATH);
    expect(output).not.toContain(SMTP_PASSWORD);
  });
});
