/**
 * access-governance's DynamoDB stores against a real dynalite: the per-account summaries the
 * monthly report reads (revision order under concurrent reconciles, the fallbacks when a
 * summary is missing or too large, people joined at read time), day-precision usage, and the
 * report through the store matching the report over each account read on its own.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { buildMonthlyReport, readAccount, recordFact, type AccessFact } from '../../functions/access-governance/flows.ts';
import { buildPermissionReport } from '../../functions/access-governance/permission-report.ts';
import { STANDING, type AccountSnapshot, type RoleHolding } from '../../functions/access-governance/permission-state.ts';
import { dynamoAccessStores, type AccessStores } from '../../functions/access-governance/stores.ts';
import { parsePolicy } from '../../schemas/policy-loader.ts';
import type { OutgoingEvent } from '../../functions/shared/ports.ts';
import { stateTable } from '../../infra/state-table.ts';
import { ensureStateTable, startDynamoServer } from '../../runtime/dynamo-server.ts';

let server: Awaited<ReturnType<typeof startDynamoServer>>;
let client: DynamoDBClient;
let docs: DynamoDBDocumentClient;
let tableSeq = 0;

beforeAll(async () => {
  server = await startDynamoServer({ host: '127.0.0.1', port: 0 });
  client = new DynamoDBClient({ endpoint: server.url, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
  docs = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
});
afterAll(async () => {
  client.destroy();
  await server.close();
});

async function freshStores(options: { maxSummaryChars?: number } = {}): Promise<AccessStores> {
  const table = `access-${++tableSeq}`;
  await ensureStateTable(client, stateTable, table);
  return dynamoAccessStores(docs, table, options);
}

const holding = (account: string, role: string, eventTime: string, extra: Partial<RoleHolding> = {}): RoleHolding => ({
  account, role, grantKey: STANDING, state: 'assigned', eventTime, eventId: `${account}-${role}-${eventTime}`, person: `E-${account}`, modules: ['orders'], permissions: [`${role.toLowerCase()}.do`], ...extra,
});

async function reported(stores: AccessStores): Promise<Map<string, AccountSnapshot>> {
  const seen = new Map<string, AccountSnapshot>();
  await stores.accounts.forEachAccount(await stores.people.everyone(), (s) => seen.set(s.meta.account, s));
  return seen;
}
const roleNames = (s: AccountSnapshot | undefined) => (s?.roles ?? []).map((r) => r.role).sort();

describe('account summaries', () => {
  it('keep the later revision when two reconciles save out of order', async () => {
    const stores = await freshStores();
    await stores.accounts.touch('u1', { known: true, person: 'E-1' });
    await stores.accounts.putHolding(holding('u1', 'SALES', '2026-03-01T00:00:00.000Z'));
    const first = await stores.accounts.nextRevision('u1');
    const firstSnapshot = (await stores.accounts.read('u1')).state;
    await stores.accounts.putHolding(holding('u1', 'AP', '2026-03-02T00:00:00.000Z'));
    const second = await stores.accounts.nextRevision('u1');
    const secondSnapshot = (await stores.accounts.read('u1')).state;
    expect(second).toBeGreaterThan(first);

    expect(await stores.accounts.saveSummary(secondSnapshot, second)).toBe(true);
    expect(await stores.accounts.saveSummary(firstSnapshot, first)).toBe(false);
    expect(roleNames((await reported(stores)).get('u1'))).toEqual(['AP', 'SALES']);
  });

  it('leave out revoked roles and ended grants no role refers to', async () => {
    const stores = await freshStores();
    await stores.accounts.touch('u2', { known: true, person: 'E-2' });
    await stores.accounts.putHolding(holding('u2', 'SALES', '2026-03-01T00:00:00.000Z'));
    await stores.accounts.putHolding(holding('u2', 'AP', '2026-03-01T00:00:00.000Z', { state: 'revoked' }));
    const grant = { grantId: 'G1', account: 'u2', permissions: ['payment.approve'], modules: ['finance'], reason: 'close', approver: 'lead', startsAt: '2026-03-01T00:00:00.000Z', grantExpiresAt: '2026-03-03T00:00:00.000Z', requestedExpiresAt: '2026-03-03T00:00:00.000Z', state: 'active' as const, eventId: 'g1' };
    await stores.grants.open(grant);
    await stores.grants.open({ ...grant, grantId: 'G2', eventId: 'g2' });
    await stores.grants.end('u2', 'G2');
    await stores.accounts.saveSummary((await stores.accounts.read('u2')).state, await stores.accounts.nextRevision('u2'));
    const summary = (await reported(stores)).get('u2');
    expect(roleNames(summary)).toEqual(['SALES']);
    expect(summary?.grants.map((g) => g.grantId)).toEqual(['G1']);
  });

  it('join the person as stored when the report reads, not as it was when the summary was saved', async () => {
    const stores = await freshStores();
    await stores.accounts.touch('u3', { known: true, person: 'E-3' });
    await stores.people.setJob('E-3', 'sales');
    await stores.accounts.saveSummary((await stores.accounts.read('u3')).state, await stores.accounts.nextRevision('u3'));
    await stores.people.recordDeparture('E-3', '2026-03-10T00:00:00.000Z');
    expect((await reported(stores)).get('u3')?.person).toEqual({ person: 'E-3', job: 'sales', departedAt: '2026-03-10T00:00:00.000Z' });
  });

  it('fall back to reading the account when a reconcile stopped between its revision and its save', async () => {
    const stores = await freshStores();
    await stores.accounts.touch('u4', { known: true, person: 'E-4' });
    await stores.accounts.putHolding(holding('u4', 'WM', '2026-03-01T00:00:00.000Z'));
    await stores.accounts.nextRevision('u4');
    expect(roleNames((await reported(stores)).get('u4'))).toEqual(['WM']);
  });

  it('are not stored when too large, and the report reads that account itself', async () => {
    const stores = await freshStores({ maxSummaryChars: 400 });
    await stores.accounts.touch('u5', { known: true, person: 'E-5' });
    for (const role of ['R1', 'R2', 'R3', 'R4']) await stores.accounts.putHolding(holding('u5', role, '2026-03-01T00:00:00.000Z'));
    expect(await stores.accounts.saveSummary((await stores.accounts.read('u5')).state, await stores.accounts.nextRevision('u5'))).toBe(true);
    expect(roleNames((await reported(stores)).get('u5'))).toEqual(['R1', 'R2', 'R3', 'R4']);
  });
});

describe('usage', () => {
  it('is kept at day precision: one write per account, module and day, whatever the order', async () => {
    const stores = await freshStores();
    expect(await stores.accounts.recordUse('u6', 'orders', '2026-03-10T08:00:00.000Z')).toBe(true);
    expect(await stores.accounts.recordUse('u6', 'orders', '2026-03-10T17:00:00.000Z')).toBe(false);
    expect(await stores.accounts.recordUse('u6', 'orders', '2026-03-09T17:00:00.000Z')).toBe(false);
    expect(await stores.accounts.recordUse('u6', 'finance', '2026-03-10T09:00:00.000Z')).toBe(true);
    expect(await stores.accounts.recordUse('u6', 'orders', '2026-03-11T07:00:00.000Z')).toBe(true);
    expect((await stores.accounts.read('u6')).state.lastUse).toEqual({ orders: '2026-03-11T07:00:00.000Z', finance: '2026-03-10T09:00:00.000Z' });
  });

  it('answers a use of a day already stored without a request; another container still writes a new day once', async () => {
    const table = `access-${++tableSeq}`;
    await ensureStateTable(client, stateTable, table);
    let requests = 0;
    const counting = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: server.url, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } }));
    counting.middlewareStack.add((next) => (args) => (requests++, next(args)), { step: 'initialize', name: 'countRequests' });
    onTestFinished(() => counting.destroy());
    const [one, other] = [dynamoAccessStores(counting, table), dynamoAccessStores(counting, table)];
    expect(await one.accounts.recordUse('u7', 'orders', '2026-03-10T08:00:00.000Z')).toBe(true);
    const after = requests;
    for (const hour of ['09', '12', '17']) expect(await one.accounts.recordUse('u7', 'orders', `2026-03-10T${hour}:00:00.000Z`)).toBe(false);
    expect(requests).toBe(after);
    expect(await other.accounts.recordUse('u7', 'orders', '2026-03-10T10:00:00.000Z')).toBe(false);
    expect(await other.accounts.recordUse('u7', 'orders', '2026-03-11T10:00:00.000Z')).toBe(true);
    expect(await one.accounts.recordUse('u7', 'orders', '2026-03-11T11:00:00.000Z')).toBe(false);
    expect((await one.accounts.read('u7')).state.lastUse).toEqual({ orders: '2026-03-11T10:00:00.000Z' });
  });
});

describe('the monthly report through the store', () => {
  it('equals the report over every account read on its own, after facts arrive out of order and twice', async () => {
    const stores = await freshStores();
    const policy = parsePolicy({
      access: {
        leastPrivilege: { jobModules: { sales: ['orders'], finance: ['finance'], warehouse: ['inventory'] } },
        segregationOfDuties: { conflicts: [{ first: 'vendor.create', second: 'payment.approve', reason: 'create vendor + approve payment' }] },
      },
    });
    const published: OutgoingEvent[] = [];
    const deps = { stores, publisher: { publish: async (events: readonly OutgoingEvent[]) => void published.push(...events) }, policy };
    const role = (account: string, person: string, name: string, modules: string[], permissions: string[], job: string) => ({ account, person, role: name, modules, permissions, job, grantedBy: 'admin' });
    const facts = [
      { eventId: 'a1', detailType: 'Role Assigned', time: '2025-10-01T09:00:00Z', detail: role('s1', 'E-s1', 'SALES', ['orders'], ['order.create'], 'sales') },
      { eventId: 'a2', detailType: 'Role Assigned', time: '2026-03-01T09:00:00Z', detail: role('f1', 'E-f1', 'AP', ['finance'], ['vendor.create'], 'finance') },
      { eventId: 'a3', detailType: 'Role Assigned', time: '2026-03-02T09:00:00Z', detail: role('f1', 'E-f1', 'PAY', ['finance'], ['payment.approve'], 'finance') },
      { eventId: 'r1', detailType: 'Role Revoked', time: '2026-03-05T09:00:00Z', detail: role('l1', 'E-l1', 'SALES', ['orders'], ['order.create'], 'sales') },
      { eventId: 'a4', detailType: 'Role Assigned', time: '2026-03-03T09:00:00Z', detail: role('l1', 'E-l1', 'SALES', ['orders'], ['order.create'], 'sales') },
      { eventId: 'a5', detailType: 'Role Assigned', time: '2026-03-03T09:00:00Z', detail: role('l2', 'E-l2', 'WM', ['inventory'], ['stock.move'], 'warehouse') },
      { eventId: 'd1', detailType: 'Employee Departed', time: '2026-03-10T09:00:00Z', detail: { person: 'E-l2', departedAt: '2026-03-10T09:00:00Z', accounts: ['l2'] } },
      { eventId: 'o1', detailType: 'Operation Audited', time: '2026-03-20T09:00:00Z', detail: { actor: 'ghost', action: 'update', target: 'x', module: 'orders' } },
      // As routed, minus the contract check.
    ].map((f) => ({ ...f, source: 'erp.test', claimedTime: f.time, detail: { schemaVersion: 1, ...f.detail } }) as unknown as AccessFact);
    for (const fact of [...facts, ...facts.slice(2, 5)]) await recordFact(deps, fact);

    const report = await buildMonthlyReport(stores, policy, '2026-03');
    const accounts = ['s1', 'f1', 'l1', 'l2', 'ghost'];
    const oneByOne = buildPermissionReport('2026-03', await Promise.all(accounts.map(async (a) => (await readAccount(stores, a)).snapshot)), policy);
    expect(report).toEqual(oneByOne);
    expect(report.accountsReviewed).toBe(5);
    expect(report.items.map((i) => `${i.category} ${i.account}`).sort()).toEqual(['leaver-not-cleaned l2', 'no-bound-person ghost', 'sod-conflict f1', 'unused-permission s1']);
  });
});

