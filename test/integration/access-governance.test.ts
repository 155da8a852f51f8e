/**
 * access-governance over a simulated month, end to end through the local runtime with real
 * AWS SDK clients over loopback: ERP/HR facts put on the bus with their own `Time`s →
 * access-governance (state in dynalite) → schedules fired with `scheduler.tick` → findings and
 * commands back on the bus → recorded by log-archiving, where the test reads them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { ScheduleIdOf } from '../../infra/function-routes.ts';
import { stateTable } from '../../infra/state-table.ts';
import { runAuditCommand } from '../../cli/audit.ts';
import { runReportCommand } from '../../cli/report.ts';
import { dynamoAccessStores } from '../../functions/access-governance/stores.ts';
import type { PermissionReport } from '../../functions/access-governance/permission-report.ts';
import { endOfMonth } from '../../functions/shared/time.ts';
import { heldPermissions } from '../../functions/access-governance/permission-state.ts';
import { deadLetterStore } from '../../runtime/event-bus.ts';
import { rejectedStore, type LocalRuntime } from '../../runtime/local-runtime.ts';
import { captureStdout } from '../support/capture-stdout.ts';
import { startPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.ts';
import { type CommandIssued, type FindingRaised, type FindingResolved } from '../../schemas/index.ts';
import { processClock } from '../../functions/shared/clock.ts';
import { stateDocumentClient } from '../../functions/shared/aws-clients.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
let h: PipelineHarness;
let runtime: LocalRuntime;
let docs: DynamoDBDocumentClient;
let dataDir: string;
let startedAt: Date;
/** Start of the simulated month. */
let t0: number;
const at = (offset: number) => new Date(t0 + offset);

beforeAll(async () => {
  h = await startPipelineHarness('access');
  ({ runtime, docs, dataDir, startedAt } = h);
  t0 = Math.ceil(startedAt.getTime() / HOUR) * HOUR + HOUR;
});
afterAll(() => h.stop());

const entry: PipelineHarness['entry'] = (...args) => h.entry(...args);
const put: PipelineHarness['put'] = (entries) => h.put(entries);
const fireSchedule: PipelineHarness['fireSchedule'] = (id, notBefore) => h.fireSchedule(id, notBefore);
/** What access-governance put on the bus, as log-archiving recorded it. */
const published = <T,>(detailType: string) => h.published<T>(detailType, 'erpgov.access-governance');
// Typed by the routing table: a schedule it does not declare does not compile.
const ACCESS_SWEEP: ScheduleIdOf<'access-governance'> = 'access-sweep';
const PERMISSION_AUDIT: ScheduleIdOf<'access-governance'> = 'access-permission-audit';
const raised = async (account: string, control: string) => (await published<FindingRaised>('Finding Raised')).filter((f) => f.detail.subject.id === account && f.detail.control === control);
const commandsFor = async (account: string) => (await published<CommandIssued>('Command Issued')).filter((c) => c.detail.account === account).map((c) => c.detail);

const role = (account: string, person: string, roleName: string, modules: string[], permissions: string[], job: string, extra: Record<string, unknown> = {}) =>
  ({ account, person, role: roleName, modules, permissions, job, grantedBy: 'admin.li', ...extra });

describe('leavers (guide 2.3): the 24-hour clock', () => {
  it('flags access still present at the deadline, issues revoke commands, and clears when the ERP confirms', async () => {
    await put([
      entry('Role Assigned', role('u100', 'E-100', 'SD_SALES_CLERK', ['orders'], ['order.create'], 'sales'), at(-10 * DAY)),
      entry('Employee Departed', { person: 'E-100', departedAt: at(HOUR).toISOString(), accounts: ['u100'] }, at(HOUR)),
    ]);
    await fireSchedule(ACCESS_SWEEP, at(HOUR + 23 * HOUR));
    expect(await raised('u100', '2.3')).toEqual([]);

    await fireSchedule(ACCESS_SWEEP, at(HOUR + 24 * HOUR));
    const [finding, ...more] = await raised('u100', '2.3');
    expect(more).toEqual([]);
    expect(finding?.detail).toMatchObject({ title: 'Leaver still has access', severity: 'critical', mode: 'enforce', evidence: { facts: { remainingRoles: ['SD_SALES_CLERK'], limitHours: 24 } } });
    const [command] = await commandsFor('u100');
    expect(command).toMatchObject({ command: 'revoke-role', role: 'SD_SALES_CLERK', control: '2.3', findingId: finding?.detail.findingId });

    // The ERP carries the command out and quotes it back.
    await put([entry('Role Revoked', { account: 'u100', person: 'E-100', role: 'SD_SALES_CLERK', revokedBy: 'connector', reason: 'departure', commandId: command?.commandId }, at(26 * HOUR))]);
    const resolved = (await published<FindingResolved>('Finding Resolved')).filter((f) => f.detail.findingId === finding?.detail.findingId);
    expect(resolved).toHaveLength(1);
    expect(resolved[0]?.detail).toMatchObject({ resolution: 'fixed', control: '2.3', evidence: { facts: { revocations: [`SD_SALES_CLERK on u100 (command ${command?.commandId})`] } } });
  });

  it('a revoke that arrives before its assignment leaves the role revoked', async () => {
    await put([entry('Role Revoked', { account: 'u101', person: 'E-101', role: 'FI_AP', revokedBy: 'admin.li' }, at(2 * HOUR))]);
    await put([entry('Role Assigned', role('u101', 'E-101', 'FI_AP', ['finance'], ['payment.approve'], 'finance'), at(HOUR))]);
    const { state } = await dynamoAccessStores(docs, stateTable.name).accounts.read('u101');
    expect(state.roles.map((r) => r.state)).toEqual(['revoked']);
  });
});

describe('temporary grants (guide 2.4)', () => {
  it('expire on time, keep what an overlapping grant or standing role still gives, and list the operations for review', async () => {
    await put([
      entry('Role Assigned', role('u200', 'E-200', 'FI_VIEWER', ['finance'], ['journal.view'], 'finance'), at(-10 * DAY)),
      entry('Temporary Grant Issued', { grantId: 'G1', grantee: 'u200', person: 'E-200', permissions: ['ledger.read', 'ledger.export', 'journal.view'], reason: 'year-end audit', approver: 'audit.mgr', expiresAt: at(2 * DAY).toISOString() }, at(0)),
      entry('Temporary Grant Issued', { grantId: 'G2', grantee: 'u200', person: 'E-200', permissions: ['ledger.read'], reason: 'quarter close', approver: 'audit.mgr', expiresAt: at(5 * DAY).toISOString() }, at(0)),
    ]);
    const [operationId] = await put([entry('Operation Audited', { actor: 'u200', action: 'export', target: 'ledger-2026', module: 'finance', grantId: 'G1' }, at(DAY))]);

    await fireSchedule(ACCESS_SWEEP, at(2 * DAY - 10 * MIN));
    expect(await commandsFor('u200')).toEqual([]);

    await fireSchedule(ACCESS_SWEEP, at(2 * DAY));
    expect(await commandsFor('u200')).toMatchObject([{ command: 'revoke-permissions', grantId: 'G1', permissions: ['ledger.export'], control: '2.4' }]);
    const { state } = await dynamoAccessStores(docs, stateTable.name).accounts.read('u200');
    expect([...heldPermissions(state, at(2 * DAY + 10 * MIN)).keys()].sort()).toEqual(['journal.view', 'ledger.read']);
    const review = (await raised('G1', '2.4'))[0]?.detail;
    expect(review).toMatchObject({ title: 'Temporary grant ended: operations for review', evidence: { eventIds: [operationId], facts: { approver: 'audit.mgr', operationCount: 1 } } });

    // Not named by the ERP, done while only G2 was active: tagged with G2 by its window.
    const [untaggedId] = await put([entry('Operation Audited', { actor: 'u200', action: 'read', target: 'ledger-2026', module: 'finance' }, at(3 * DAY))]);
    await fireSchedule(ACCESS_SWEEP, at(5 * DAY));
    const g2Review = (await raised('G2', '2.4'))[0]?.detail;
    expect(g2Review?.evidence).toMatchObject({ eventIds: [untaggedId], facts: { operationCount: 1, operations: [{ eventId: untaggedId, attribution: 'window' }] } });
    // The auditor's view: the trail's own records of what was done under the grant.
    const search = await captureStdout(() => runAuditCommand(['search', '--grant', 'G2', '--json', '--endpoint', runtime.dynamoDbUrl, '--from', at(-DAY).toISOString().slice(0, 10), '--to', at(10 * DAY).toISOString().slice(0, 10)]));
    expect(search.code).toBe(0);
    expect(JSON.parse(search.output)).toMatchObject([{ eventId: untaggedId, actor: 'u200', action: 'read', grant: { grantId: 'G2', attribution: 'window' } }]);
    expect((await commandsFor('u200')).map((c) => [c.grantId, c.permissions]).sort()).toEqual([
      ['G1', ['ledger.export']],
      ['G2', ['ledger.read']],
    ]);
  });

  it('tags an operation handled before its grant (unordered delivery) once the grant arrives', async () => {
    const [early] = await put([entry('Operation Audited', { actor: 'u202', action: 'export', target: 'ledger-2026', module: 'finance' }, at(DAY + 5 * MIN))]);
    await put([entry('Temporary Grant Issued', { grantId: 'G-late', grantee: 'u202', person: 'E-202', permissions: ['ledger.export'], reason: 'audit', approver: 'audit.mgr', startsAt: at(DAY).toISOString(), expiresAt: at(2 * DAY).toISOString() }, at(DAY))]);
    const search = await captureStdout(() => runAuditCommand(['search', '--grant', 'G-late', '--json', '--endpoint', runtime.dynamoDbUrl, '--from', at(0).toISOString().slice(0, 10), '--to', at(3 * DAY).toISOString().slice(0, 10)]));
    expect(JSON.parse(search.output)).toMatchObject([{ eventId: early, grant: { grantId: 'G-late', attribution: 'window' } }]);
  });

  it('tags an operation delivered with its grant, handled first, while its trail record still waits for its seal', async () => {
    // One delivery: the trail accepts both as one batch and seals it after the deliveries end, so
    // when access governance reaches the grant, the operation is in an open seal intent only.
    const [early] = await put([
      entry('Operation Audited', { actor: 'u203', action: 'export', target: 'ledger-2026', module: 'finance' }, at(DAY + 6 * MIN)),
      entry('Temporary Grant Issued', { grantId: 'G-same', grantee: 'u203', person: 'E-203', permissions: ['ledger.export'], reason: 'audit', approver: 'audit.mgr', startsAt: at(DAY).toISOString(), expiresAt: at(2 * DAY).toISOString() }, at(DAY)),
    ]);
    const search = await captureStdout(() => runAuditCommand(['search', '--grant', 'G-same', '--json', '--endpoint', runtime.dynamoDbUrl, '--from', at(0).toISOString().slice(0, 10), '--to', at(3 * DAY).toISOString().slice(0, 10)]));
    expect(JSON.parse(search.output)).toMatchObject([{ eventId: early, grant: { grantId: 'G-same', attribution: 'window' } }]);
  });

  it('remembers an account between deliveries (one instance locally), and still tags the operations of a grant opened meanwhile', async () => {
    await put([entry('Role Assigned', role('u204', 'E-204', 'FI_VIEWER', ['finance'], ['journal.view'], 'finance'), at(-10 * DAY))]);
    let metaWrites = 0;
    const documents = stateDocumentClient();
    const text = (v: { S?: string } | string | undefined) => (typeof v === 'object' ? v.S : v);
    documents.middlewareStack.add(
      (next, context) => (args) => {
        const key = (args.input as { Key?: Record<string, { S?: string } | string | undefined> }).Key ?? {};
        if (context.commandName === 'UpdateItemCommand' && text(key.pk) === 'ACCESS#ACCT#u204' && text(key.sk) === 'META') metaWrites++;
        return next(args);
      },
      { step: 'initialize', name: 'countAccountMetaWrites' },
    );
    onTestFinished(() => void documents.middlewareStack.remove('countAccountMetaWrites'));
    const operation = (minutes: number) => entry('Operation Audited', { actor: 'u204', action: 'export', target: 'ledger-2026', module: 'finance' }, at(DAY + minutes * MIN));
    // Each its own delivery: what the role's delivery read back serves all three.
    await put([operation(1)]);
    await put([operation(2)]);
    await put([operation(3)]);
    expect(metaWrites).toBe(0);
    await put([entry('Temporary Grant Issued', { grantId: 'G-warm', grantee: 'u204', person: 'E-204', permissions: ['ledger.export'], reason: 'audit', approver: 'audit.mgr', startsAt: at(DAY + 10 * MIN).toISOString(), expiresAt: at(2 * DAY).toISOString() }, at(DAY + 10 * MIN))]);
    const [under] = await put([operation(20)]);
    const search = await captureStdout(() => runAuditCommand(['search', '--grant', 'G-warm', '--json', '--endpoint', runtime.dynamoDbUrl, '--from', at(0).toISOString().slice(0, 10), '--to', at(3 * DAY).toISOString().slice(0, 10)]));
    expect(JSON.parse(search.output)).toMatchObject([{ eventId: under, grant: { grantId: 'G-warm', attribution: 'window' } }]);
  });

  it('a grant approved by its grantee is a finding', async () => {
    await put([entry('Temporary Grant Issued', { grantId: 'G-self', grantee: 'u201', person: 'E-201', permissions: ['ledger.read'], reason: 'self', approver: 'u201', expiresAt: at(DAY).toISOString() }, at(0))]);
    expect((await raised('u201', '2.4')).map((f) => f.detail.title)).toEqual(['Temporary grant approved by its grantee']);
  });
});

describe('one person, one account (guide 2.2)', () => {
  it('detects a shared account, and an unknown account produces a finding, not an error', async () => {
    await put([entry('Role Assigned', role('u300', 'E-300', 'SD_SALES_CLERK', ['orders'], ['order.view'], 'sales'), at(-10 * DAY))]);
    const ids = await put([
      entry('Login', { account: 'u300', person: 'E-300', deviceId: 'D-1', outcome: 'success' }, at(3 * HOUR)),
      entry('Login', { account: 'u300', person: 'E-301', deviceId: 'D-2', outcome: 'success' }, at(4 * HOUR)),
    ]);
    // One finding, its evidence growing as the logins are handled (in either order): the last event of it.
    const events = (await raised('u300', '2.2')).map((f) => f.detail);
    expect(new Set(events.map((f) => f.findingId)).size).toBe(1);
    const shared = events.slice(-1);
    expect(shared[0]).toMatchObject({ title: 'Shared account suspected', evidence: { facts: { persons: ['E-300', 'E-301'], devices: ['D-1', 'D-2'] } } });
    expect([...(shared[0]?.evidence.eventIds ?? [])].sort()).toEqual([...ids].sort());

    await put([entry('Login', { account: 'u999', deviceId: 'D-9', outcome: 'success' }, at(3 * HOUR))]);
    expect((await raised('u999', '2.2')).map((f) => f.detail.title)).toEqual(['Unknown account']);
  });
});

describe('monthly permission audit (guide 2.5)', () => {
  it('lists exactly the planted redundancies, as JSON, CSV and Markdown in the archive', async () => {
    await put([
      entry('Role Assigned', role('u400', 'E-400', 'SD_SALES_CLERK', ['orders'], ['order.view'], 'sales'), at(-10 * DAY)),
      entry('Employee Departed', { person: 'E-400', departedAt: at(2 * HOUR).toISOString() }, at(2 * HOUR)),
      entry('Role Assigned', role('u500', 'E-500', 'SD_SALES_CLERK', ['orders'], ['order.view'], 'sales'), at(-10 * DAY)),
      entry('Employee Transferred', { person: 'E-500', fromJob: 'sales', toJob: 'finance', effectiveAt: at(2 * HOUR).toISOString() }, at(2 * HOUR)),
      entry('Role Assigned', role('u600', 'E-600', 'FI_ALL', ['finance'], ['vendor.create', 'payment.approve'], 'finance'), at(-10 * DAY)),
      entry('Role Assigned', role('u700', 'E-700', 'FI_AUDIT', ['finance'], ['ledger.audit'], 'finance', { grantId: 'G7' }), at(0)),
      entry('Temporary Grant Issued', { grantId: 'G7', grantee: 'u700', person: 'E-700', permissions: ['ledger.audit'], reason: 'audit', approver: 'audit.mgr', expiresAt: at(3 * DAY).toISOString() }, at(0)),
      entry('Role Assigned', role('u800', 'E-800', 'WM_CLERK', ['inventory'], ['stock.move'], 'warehouse'), at(-200 * DAY)),
      entry('Role Assigned', role('u801', 'E-801', 'WM_CLERK', ['inventory'], ['stock.move'], 'warehouse'), at(-200 * DAY)),
      entry('Operation Audited', { actor: 'u801', action: 'update', target: 'stock', module: 'inventory' }, at(DAY)),
    ]);
    await fireSchedule(ACCESS_SWEEP, at(5 * DAY + 10 * MIN));

    const month = at(6 * DAY).toISOString().slice(0, 7);
    await fireSchedule(PERMISSION_AUDIT, new Date(endOfMonth(month).getTime() + 2 * HOUR - MIN));
    const report = JSON.parse(readFileSync(join(dataDir, 'archive', 'reports', 'permissions', `${month}.json`), 'utf8')) as PermissionReport;
    expect(report.items.map((i) => [i.category, i.account, i.what])).toEqual([
      ['expired-grant-present', 'u700', 'FI_AUDIT (grant G7)'],
      // Ended by the pipeline's command, not yet confirmed revoked by the ERP: still listed.
      ['expired-grant-present', 'u700', 'G7'],
      ['leaver-not-cleaned', 'u400', 'SD_SALES_CLERK'],
      ['mover-not-adjusted', 'u500', 'SD_SALES_CLERK'],
      ['no-bound-person', 'u999', 'u999'],
      // 2.1: the mover's sales role is outside the finance job.
      ['outside-job', 'u500', 'SD_SALES_CLERK'],
      ['sod-conflict', 'u600', 'vendor.create + payment.approve'],
      ['unused-permission', 'u800', 'WM_CLERK'],
    ]);
    const csv = readFileSync(join(dataDir, 'archive', 'reports', 'permissions', `${month}.csv`), 'utf8');
    expect(csv.trim().split('\n')).toHaveLength(1 + report.items.length);
    const md = readFileSync(join(dataDir, 'archive', 'reports', 'permissions', `${month}.md`), 'utf8');
    expect(md).toContain(`# Permission audit ${month}`);
    expect(md).toContain('| u400 | E-400 | SD_SALES_CLERK |');

    // The CLI reads the same state through the running runtime's endpoint. The scenario's
    // times are relative to today: near a month's end its month may not have begun, which the
    // CLI refuses (issue 15, class 4); the rest of the check needs a month that has begun. The
    // CLI's "now" is the process clock, which the harness moves with the scenario.
    const outDir = join(dataDir, 'cli-out');
    if (month > processClock.now().toISOString().slice(0, 7)) {
      await expect(runReportCommand(['permissions', '--month', month, '--endpoint', runtime.dynamoDbUrl])).rejects.toThrow(/has not begun/);
      return;
    }
    expect(await runReportCommand(['permissions', '--month', month, '--format', 'csv', '--out', outDir, '--endpoint', runtime.dynamoDbUrl])).toBe(0);
    expect(readFileSync(join(outDir, 'reports', 'permissions', `${month}.csv`), 'utf8')).toBe(csv);

    await put([entry('Permission Review Signed Off', { month, reviewer: 'audit.lead.wu', comment: 'checked' }, new Date(endOfMonth(month).getTime() + DAY))]);
    expect(await dynamoAccessStores(docs, stateTable.name).signOffs.ofMonth(month)).toMatchObject([{ reviewer: 'audit.lead.wu', comment: 'checked' }]);
    expect(md).toContain('Not signed off yet');
    expect(await runReportCommand(['permissions', '--month', month, '--format', 'md', '--out', outDir, '--endpoint', runtime.dynamoDbUrl])).toBe(0);
    expect(readFileSync(join(outDir, 'reports', 'permissions', `${month}.md`), 'utf8')).toContain('- audit.lead.wu, ');
  });
});

describe('delivery health', () => {
  it('dead-lettered nothing for access-governance, and the bus refused none of its events', () => {
    expect(deadLetterStore(dataDir).readAll().filter((letter) => letter.target === 'access-governance')).toEqual([]);
    expect(rejectedStore(dataDir).readAll()).toEqual([]);
  });
});
