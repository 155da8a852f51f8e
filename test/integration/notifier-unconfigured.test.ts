/**
 * notifier on a fresh start: no webhook, no mail server, the shipped policy. Notifications
 * print to the console and land in `<data dir>/outbox/YYYY-MM-DD.md`, one entry per message.
 * Its own file: the notifier reads its channel settings once per process.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { runNotificationsCommand } from '../../cli/notifications.ts';
import { startLocalRuntime, type LocalRuntime } from '../../runtime/local-runtime.ts';
import { LOCAL_CREDENTIALS } from '../../runtime/http-server.ts';
import { PIPELINE_EVENT_BUS_NAME } from '../../schemas/index.ts';

let dataDir: string;
let runtime: LocalRuntime;
let events: EventBridgeClient;
const printed: string[] = [];
const originalStdout = process.stdout.write.bind(process.stdout);

beforeAll(async () => {
  for (const name of ['ERPGOV_SLACK_WEBHOOK_URL', 'ERPGOV_SMTP_URL', 'ERPGOV_MAIL_FROM', 'ERPGOV_POLICY_FILE', 'NOTIFIER_SECRET_ARN']) vi.stubEnv(name, undefined);
  dataDir = mkdtempSync(join(tmpdir(), 'erpgov-notifier-console-'));
  // The test runner silences the console copy (ERPGOV_QUIET); this test is about that copy.
  vi.stubEnv('ERPGOV_QUIET', undefined);
  // Kept, not echoed: what would reach the console.
  process.stdout.write = ((chunk: string | Uint8Array) => {
    printed.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  }) as typeof process.stdout.write;
  runtime = await startLocalRuntime({ dataDir, armSchedules: false });
  events = new EventBridgeClient({ endpoint: runtime.eventBridgeUrl, region: 'us-east-1', credentials: LOCAL_CREDENTIALS, maxAttempts: 1 });
});

afterAll(async () => {
  process.stdout.write = originalStdout;
  vi.unstubAllEnvs();
  events.destroy();
  await runtime.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

it('an incident without any channel configured is printed and written to the on-disk outbox, once', async () => {
  const entry = {
    EventBusName: PIPELINE_EVENT_BUS_NAME,
    Source: 'erp.odoo',
    DetailType: 'Incident Opened',
    Detail: JSON.stringify({ schemaVersion: 1, incidentId: 'INC-CONSOLE-1', severity: 'P1', title: 'Payment gateway down', reportedBy: 'monitoring' }),
  };
  const out = await events.send(new PutEventsCommand({ Entries: [entry, entry] }));
  expect(out.FailedEntryCount).toBe(0);
  await runtime.bus.whenIdle();

  // Says plainly that nothing went out: no "Slack:", no emoji shortcodes.
  expect(printed.join('')).toContain('[erpgov notification] not sent: no channel configured: [CRITICAL] Incident opened: Payment gateway down');
  expect(printed.join('')).not.toMatch(/Slack:|:rotating_light:/);
  const folder = join(dataDir, 'outbox');
  expect(existsSync(folder)).toBe(true);
  const files = readdirSync(folder);
  expect(files).toHaveLength(1);
  expect(files[0]).toMatch(/^\d{4}-\d{2}-\d{2}\.md$/);
  const text = readFileSync(join(folder, files[0] as string), 'utf8');
  // Two PutEvents entries (two event ids) for one state change: one entry in the outbox.
  expect(text.match(/^## /gm)).toHaveLength(1);
  expect(text).toContain('Payment gateway down');
  expect(text).toContain('5.1'); // the control, with its meaning
  expect(text).toContain('INC-CONSOLE-1');
  expect(text).toContain('not sent: no channel configured');
  expect(text).not.toMatch(/:rotating_light:/);

  // `erpgov notifications list` says the same of it.
  const listed: string[] = [];
  expect(await runNotificationsCommand(['list', '--state', 'sent', '--data-dir', dataDir], (line) => listed.push(line))).toBe(0);
  expect(listed.join('\n')).toMatch(/INC-CONSOLE-1.*not sent: no channel configured/);
  expect(listed.join('\n')).not.toMatch(/ sent 20/);
});
