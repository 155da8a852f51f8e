/**
 * Operator controls through the real runtime and the real CLI (in-process, found through the
 * data folder's runtime.json as a user's shell would): the README's unverified bulk delete
 * becomes a finding with `schedule run ... --at`, `findings list --open` shows it, `findings
 * ack` and `findings exception` handle it as events on the bus; every subcommand answers
 * --help; bad input is one line, exit status 2, and nothing written.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../cli/main.ts';
import { COMMAND_HELP } from '../../cli/usage.ts';
import { searchTrail } from '../../functions/shared/audit-trail/audit-queries.ts';
import { dynamoAuditTrailStore } from '../../functions/shared/audit-trail/audit-trail-store.ts';
import { dynamoFindingsStore, subjectScope } from '../../functions/shared/findings/findings-store.ts';
import { findingLifecycle } from '../../functions/shared/findings/lifecycle.ts';
import { stateTable } from '../../infra/state-table.ts';
import { rejectedStore, startLocalRuntime, type LocalRuntime } from '../../runtime/local-runtime.ts';
import { LOCAL_CREDENTIALS } from '../../runtime/http-server.ts';
import { readRuntimeFile } from '../../runtime/runtime-file.ts';
import { captureOutput } from '../support/capture-stdout.ts';
import { quietFunctions } from '../support/quiet-functions.ts';

const MIN = 60_000;
let dataDir: string;
let runtime: LocalRuntime;
let docs: DynamoDBDocumentClient;
let loud: () => void;

/** Runs `erpgov ...args` in-process: exit status, stdout and stderr. */
async function erpgov(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  // A simulation runs in a throw-away folder of its own: it takes no --data-dir.
  const { code, output, errors } = await captureOutput(() => runCli(args[0] === 'simulate' ? args : [...args, '--data-dir', dataDir]));
  return { code, out: output, err: errors };
}

beforeAll(async () => {
  loud = quietFunctions();
  dataDir = mkdtempSync(join(tmpdir(), 'erpgov-operator-'));
  // The runtime sets ERPGOV_DATA_DIR for its functions: claimed as it is, so unstubAllEnvs puts it back.
  vi.stubEnv('ERPGOV_DATA_DIR', process.env.ERPGOV_DATA_DIR);
  runtime = await startLocalRuntime({ dataDir, armSchedules: false, retry: { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20 } });
  docs = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: runtime.dynamoDbUrl, region: 'us-east-1', credentials: LOCAL_CREDENTIALS }));
});
afterAll(async () => {
  docs.destroy();
  await runtime.stop();
  loud(); // also unstubs the environment
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the CLI finds the runtime', () => {
  it('through the endpoints the runtime wrote to the data folder', async () => {
    expect(readRuntimeFile(dataDir)).toMatchObject({ pid: process.pid, eventBridgeUrl: runtime.eventBridgeUrl, dynamoDbUrl: runtime.dynamoDbUrl });
    const sent = await erpgov('send-example', 'Login');
    expect(sent.code).toBe(0);
    expect(sent.out).toContain(`to ${runtime.eventBridgeUrl}`);
    await runtime.bus.whenIdle();
  });

  it('every command and subcommand answers --help', async () => {
    const lines = [['start'], ['send-example'], ['routes'], ['schedule', 'list'], ['schedule', 'run'], ['replay'], ['simulate'], ['findings', 'list'], ['findings', 'show'], ['findings', 'ack'], ['findings', 'exception'], ['audit', 'verify'], ['audit', 'search'], ['dlq', 'list'], ['rejected', 'list'], ['notifications', 'list'], ['report', 'permissions']];
    for (const line of lines) {
      const help = await erpgov(...line, '--help');
      expect(help.code, line.join(' ')).toBe(0);
      expect(help.out, line.join(' ')).toBe(COMMAND_HELP[line[0] as string]);
    }
    expect((await erpgov('--help')).out).toMatch(/every command answers --help/);
  });
});

describe('done when: the README\'s unverified bulk delete becomes a finding within a minute, listed, acknowledged', () => {
  let findingId: string;

  it('schedule run audit-high-risk-sweep --at <40 minutes later> raises it and prints what it caused', async () => {
    // The README's example, as an ERP sends it: a bulk delete with no second person.
    const put = await fetch(runtime.eventBridgeUrl, {
      method: 'POST',
      headers: { 'x-amz-target': 'AWSEvents.PutEvents', 'content-type': 'application/x-amz-json-1.1' },
      body: JSON.stringify({ Entries: [{ EventBusName: 'erpgov-bus', Source: 'erp.sap', DetailType: 'Operation Audited', Detail: JSON.stringify({ schemaVersion: 1, actor: 'u1001', action: 'delete', target: 'sales-order', module: 'orders', recordCount: 250 }) }] }),
    });
    expect(((await put.json()) as { FailedEntryCount: number }).FailedEntryCount).toBe(0);
    await runtime.bus.whenIdle();

    const before = await erpgov('schedule', 'list');
    expect(before.out).toMatch(/audit-high-risk-sweep\s+audit-analysis\s+rate\(5 minutes\)\s+next \S+:\d0:00\.000Z|audit-high-risk-sweep\s+audit-analysis\s+rate\(5 minutes\)\s+next \S+:\d5:00\.000Z/);

    const at = new Date(Date.now() + 40 * MIN).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const run = await erpgov('schedule', 'run', 'audit-high-risk-sweep', '--at', at, '--json');
    expect(run.code).toBe(0);
    const result = JSON.parse(run.out);
    expect(result.event).toMatchObject({ 'detail-type': 'Scheduled Event', source: 'aws.events', time: at, resources: [expect.stringMatching(/:rule\/audit-high-risk-sweep$/)] });
    expect(result.delivery).toMatchObject({ outcome: 'delivered', result: { schedule: 'audit-high-risk-sweep', findings: 1 } });
    expect(result.published).toEqual([expect.objectContaining({ detailType: 'Finding Raised', source: 'erpgov.audit-analysis', severity: 'critical' })]);
    findingId = result.published[0].id;
  });

  it('findings list --open shows it; --control and --severity narrow; --json gives the stored findings', async () => {
    const list = await erpgov('findings', 'list', '--open');
    expect(list.code).toBe(0);
    expect(list.out).toMatch(new RegExp(`open\\s+critical\\s+6\\.2\\s+${findingId}\\s+High-risk operation not verified`));
    const narrowed = JSON.parse((await erpgov('findings', 'list', '--open', '--area', 'audit', '--control', '6.2', '--severity', 'critical', '--json')).out);
    expect(narrowed.map((f: { findingId: string }) => f.findingId)).toEqual([findingId]);
    expect(JSON.parse((await erpgov('findings', 'list', '--control', '2.3', '--json')).out)).toEqual([]);
  });

  it('findings ack acknowledges it through an event on the bus, which the audit trail records', async () => {
    const ack = await erpgov('findings', 'ack', findingId, '--by', 'it.lead.sun', '--note', 'calling the sales head');
    expect(ack.code).toBe(0);
    expect(ack.out).toMatch(new RegExp(`${findingId}: acknowledged by it.lead.sun`));
    const stored = await dynamoFindingsStore(docs, stateTable.name).get(findingId);
    expect(stored?.finding).toMatchObject({ state: 'acknowledged', acknowledgedBy: 'it.lead.sun' });
    await runtime.bus.whenIdle();
    const today = new Date().toISOString().slice(0, 10);
    const trail = await searchTrail(dynamoAuditTrailStore(docs, stateTable.name), { from: today, to: today, source: 'erp.operator' });
    expect(trail.map((r) => [r.detailType, r.actor, r.target])).toContainEqual(['Finding Acknowledged', 'it.lead.sun', findingId]);
  });

  it('findings exception documents an expiring exception; findings show prints evidence and history', async () => {
    const until = new Date(Date.now() + 30 * 24 * 60 * MIN).toISOString().slice(0, 10);
    const granted = await erpgov('findings', 'exception', findingId, '--owner', 'sales.head.zhao', '--until', until, '--reason', 'month-end close, verified by phone', '--by', 'audit.lead.wu');
    expect(granted.code).toBe(0);
    expect(granted.out).toContain(`excepted until ${until}T23:59:59.000Z (owner sales.head.zhao)`);
    const show = await erpgov('findings', 'show', findingId);
    expect(show.code).toBe(0);
    expect(show.out).toContain('state excepted');
    expect(show.out).toContain('u1001\'s delete of 250 sales-order records');
    expect(show.out).toMatch(/acknowledged\s+by it\.lead\.sun: calling the sales head/);
    expect(show.out).toMatch(/excepted\s+by audit\.lead\.wu: month-end close/);
    expect(show.out).toContain('commands issued: none');
  });
});

describe('bad input: one line naming the value and what is allowed, exit status 2, nothing written', () => {
  const nothingWritten = async (run: () => Promise<{ code: number; out: string; err: string }>) => {
    await runtime.bus.whenIdle();
    const accepted = runtime.bus.stats.accepted;
    const rejected = rejectedStore(dataDir).readAll().length;
    const result = await run();
    await runtime.bus.whenIdle();
    expect(runtime.bus.stats.accepted).toBe(accepted);
    expect(rejectedStore(dataDir).readAll().length).toBe(rejected);
    expect(result.code).toBe(2);
    expect(result.err.trim().split('\n')).toHaveLength(1);
    return result.err;
  };

  it('an unknown schedule id, or --at that is not a time', async () => {
    expect(await nothingWritten(() => erpgov('schedule', 'run', 'audit-sweep'))).toMatch(/unknown schedule "audit-sweep"; allowed: .*audit-high-risk-sweep/);
    expect(await nothingWritten(() => erpgov('schedule', 'run', 'access-sweep', '--at', 'tomorrow morning'))).toMatch(/--at: "tomorrow morning" is not a time; allowed: ISO 8601/);
  });

  it('a replay line that is neither shape (the file is refused whole)', async () => {
    const file = join(dataDir, 'bad.jsonl');
    writeFileSync(file, `${JSON.stringify({ Source: 'erp.sap', DetailType: 'Login', Detail: '{"schemaVersion":1,"account":"u1","outcome":"success"}' })}\n{"event":"what"}\n`);
    expect(await nothingWritten(() => erpgov('replay', file))).toMatch(/bad\.jsonl:2: .* is neither shape; allowed: a PutEvents entry/);
  });

  it('a simulate period with no events', async () => {
    const file = join(dataDir, 'one.jsonl');
    writeFileSync(file, `${JSON.stringify({ Source: 'erp.sap', DetailType: 'Login', Detail: { schemaVersion: 1, account: 'u1', outcome: 'success' }, Time: '2026-03-01T09:00:00Z' })}\n`);
    const out = join(dataDir, 'sim-out');
    expect(await nothingWritten(() => erpgov('simulate', '--events', file, '--out', out, '--from', '2026-04-01', '--to', '2026-04-30'))).toMatch(/no event lies in the period .* the file's events run from 2026-03-01T09:00:00\.000Z/);
  });

  it('an acknowledgement of an unknown or an already-resolved finding', async () => {
    expect(await nothingWritten(() => erpgov('findings', 'ack', 'no-such-finding', '--by', 'it.lead.sun'))).toMatch(/finding "no-such-finding" is unknown; allowed: an id that `erpgov findings list` shows/);
    // A finding raised and resolved by its function.
    const lifecycle = findingLifecycle({ store: dynamoFindingsStore(docs, stateTable.name), publisher: { publish: async () => undefined } }, 'audit-analysis');
    const scope = subjectScope('audit-analysis', 'op-resolved');
    const id = lifecycle.id('6.2', 'unverified', 'op-resolved');
    await lifecycle.raise(scope, { findingId: id, control: '6.2', rule: 'unverified', title: 'High-risk operation not verified', severity: 'critical', mode: 'enforce', subject: { type: 'operation', id: 'op-resolved' }, summary: 's', facts: {}, eventIds: [] }, new Date());
    await lifecycle.resolve(scope, id, { summary: 'verified late' }, new Date());
    expect(await nothingWritten(() => erpgov('findings', 'ack', id, '--by', 'it.lead.sun'))).toMatch(new RegExp(`finding "${id}" is resolved .*only live findings`));
    expect(await nothingWritten(() => erpgov('findings', 'exception', id, '--owner', 'x', '--until', '2020-01-01', '--reason', 'r'))).toMatch(/--until: "2020-01-01" is not in the future/);
  });

  it('an unknown subcommand or flag value', async () => {
    expect(await nothingWritten(() => erpgov('findings', 'list', '--severity', 'urgent'))).toMatch(/--severity: "urgent" is not a severity; allowed: critical, high, medium, low/);
    expect(await nothingWritten(() => erpgov('findings', 'close', 'x'))).toMatch(/unknown subcommand "close"; allowed: list, show, ack, exception/);
    expect(await nothingWritten(() => erpgov('schedule', 'list', '--verbose'))).toMatch(/--verbose/);
    expect(await nothingWritten(() => erpgov('audit', 'verify', '--from', 'last week'))).toMatch(/--from: "last week" is not a date YYYY-MM-DD/);
    expect(await nothingWritten(() => erpgov('audit', 'search', '--to', '2026-13-45T99'))).toMatch(/--to: "2026-13-45T99" is not a date YYYY-MM-DD or a UTC time/);
    expect(await nothingWritten(() => erpgov('audit', 'search', '--grant', 'g1', '--athena'))).toMatch(/--grant cannot be combined with --athena/);
    expect(await nothingWritten(() => erpgov('audit', 'purge'))).toMatch(/unknown audit subcommand "purge"; allowed: verify, search/);
    expect(await nothingWritten(() => erpgov('notifications', 'list', '--state', 'lost'))).toMatch(/--state: "lost" is not an outbox state; allowed: /);
    expect(await nothingWritten(() => erpgov('notifications', 'flush'))).toMatch(/unknown subcommand "flush"; allowed: list/);
    expect(await nothingWritten(() => erpgov('dlq', 'clear'))).toMatch(/unknown subcommand "clear"; allowed: list/);
  });
});
