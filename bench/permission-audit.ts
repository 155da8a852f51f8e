/**
 * Benchmark of the monthly permission audit (guide 2.5).
 *
 * 1. 100,000 accounts and 1,000,000 role assign/revoke events, out of order with duplicates:
 *    the events are folded into per-account state (what the handler keeps in DynamoDB as they
 *    arrive), then the report runs over that state through the AccessStore port (an in-memory
 *    fake). Budget: 30 s for the report.
 * 2. The same accounts with 10x fewer events: the report's time must not follow the history
 *    (it reads current state per account).
 * 3. The DynamoDB-backed read (dynalite over loopback) for a smaller N, per account, to show the
 *    cost per account of the real store.
 *
 *   tsx bench/permission-audit.ts [--accounts N] [--events N] [--dynamo-accounts N]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoAccessStore, type AccessStore } from '../functions/access-governance/access-state.ts';
import { buildMonthlyReport } from '../functions/access-governance/governance.ts';
import { foldHoldings, STANDING, type AccountSnapshot, type RoleHolding } from '../functions/access-governance/permission-state.ts';
import { defaultPolicy } from '../functions/shared/policy.ts';
import { stateTable } from '../infra/state-table.ts';
import { ensureStateTable, startDynamoServer } from '../runtime/dynamo-server.ts';

const { values } = parseArgs({ options: { accounts: { type: 'string' }, events: { type: 'string' }, 'dynamo-accounts': { type: 'string' } } });
const ACCOUNTS = Number(values.accounts ?? 100_000);
const EVENTS = Number(values.events ?? 1_000_000);
const DYNAMO_ACCOUNTS = Number(values['dynamo-accounts'] ?? 300);
const BUDGET_MS = 30_000;
const MONTH = '2026-03';
const ROLES = [
  { role: 'SALES', modules: ['orders'], permissions: ['order.create', 'order.view'] },
  { role: 'SALES_APPROVE', modules: ['orders'], permissions: ['order.approve'] },
  { role: 'AP', modules: ['finance'], permissions: ['vendor.create'] },
  { role: 'PAY', modules: ['finance'], permissions: ['payment.approve'] },
  { role: 'WM', modules: ['inventory'], permissions: ['stock.move'] },
];
const JOBS = ['sales', 'finance', 'warehouse'];

/** A deterministic pseudo-random sequence, so runs compare. */
function lcg(seed: number) {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

function* events(accounts: number, count: number): Generator<RoleHolding> {
  const rnd = lcg(42);
  const start = Date.parse('2025-06-01T00:00:00Z');
  const span = Date.parse('2026-03-31T00:00:00Z') - start;
  for (let i = 0; i < count; i++) {
    const a = Math.floor(rnd() * accounts);
    const r = ROLES[Math.floor(rnd() * ROLES.length)] ?? ROLES[0]!;
    yield {
      account: `u${a}`, role: r.role, grantKey: STANDING, state: rnd() < 0.35 ? 'revoked' : 'assigned', eventTime: new Date(start + Math.floor(rnd() * span)).toISOString(),
      eventId: `e${i}`, person: `E-${a}`, modules: r.modules, permissions: r.permissions,
    };
  }
}

function snapshotsFrom(accounts: number, holdings: Map<string, RoleHolding>): Map<string, AccountSnapshot> {
  const byAccount = new Map<string, RoleHolding[]>();
  for (const h of holdings.values()) byAccount.set(h.account, [...(byAccount.get(h.account) ?? []), h]);
  const snapshots = new Map<string, AccountSnapshot>();
  for (let a = 0; a < accounts; a++) {
    const account = `u${a}`;
    const person = a % 50 === 0 ? undefined : `E-${a}`;
    snapshots.set(account, {
      meta: { account, known: true, ...(person ? { person } : {}) },
      ...(person ? { person: { person, job: JOBS[a % JOBS.length] ?? 'sales', ...(a % 97 === 0 ? { departedAt: '2026-02-01T00:00:00.000Z' } : {}) } } : {}),
      roles: byAccount.get(account) ?? [],
      grants: [],
      lastUse: a % 3 === 0 ? {} : { orders: '2026-03-20T00:00:00.000Z', finance: '2026-03-20T00:00:00.000Z' },
    });
  }
  return snapshots;
}

/** The AccessStore port over memory: only what the report reads. */
function memoryStore(snapshots: Map<string, AccountSnapshot>): AccessStore {
  const names = [...snapshots.keys()];
  const unused = () => Promise.reject(new Error('not used by the report'));
  return {
    async *accountPages() {
      for (let i = 0; i < names.length; i += 1000) yield names.slice(i, i + 1000);
    },
    snapshot: async (account) => ({ snapshot: snapshots.get(account) as AccountSnapshot, openFindings: [] }),
    putHolding: unused, touchAccount: unused, linkPerson: unused, accountsOf: unused, putGrant: unused, endGrant: unused, dueGrants: unused, recordUse: unused,
    recordDeparture: unused, recordTransfer: unused, setPersonJob: unused, putClock: unused, dueClocks: unused, closeClock: unused, putLogin: unused,
    loginsBetween: unused, openFinding: unused, closeFinding: unused, recordSignOff: unused, signOffs: unused,
  };
}

async function inMemory(accounts: number, eventCount: number) {
  let t = performance.now();
  const holdings = foldHoldings(events(accounts, eventCount));
  const foldMs = performance.now() - t;
  const snapshots = snapshotsFrom(accounts, holdings);
  t = performance.now();
  const report = await buildMonthlyReport(memoryStore(snapshots), defaultPolicy, MONTH);
  const reportMs = performance.now() - t;
  return { foldMs, reportMs, items: report.items.length, holdings: holdings.size };
}

const full = await inMemory(ACCOUNTS, EVENTS);
console.log(`permission audit, in memory: ${ACCOUNTS} accounts, ${EVENTS} events → ${full.holdings} holdings (fold ${(full.foldMs / 1000).toFixed(2)} s, done as events arrive)`);
console.log(`  report: ${(full.reportMs / 1000).toFixed(2)} s, ${full.items} items, ${((full.reportMs * 1000) / ACCOUNTS).toFixed(1)} µs/account (budget ${BUDGET_MS / 1000} s)`);
const tenth = await inMemory(ACCOUNTS, Math.floor(EVENTS / 10));
console.log(`  same accounts, ${Math.floor(EVENTS / 10)} events → ${tenth.holdings} holdings: report ${(tenth.reportMs / 1000).toFixed(2)} s; ratio for 10x the history: ${(full.reportMs / tenth.reportMs).toFixed(2)}x (it follows the holdings — at most accounts × roles — not the events)`);

// DynamoDB-backed read, smaller N.
const dir = mkdtempSync(join(tmpdir(), 'erpgov-permission-bench-'));
const server = await startDynamoServer({ path: join(dir, 'dynamodb'), host: '127.0.0.1', port: 0 });
const client = new DynamoDBClient({ endpoint: server.url, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
let dynamoOk = true;
try {
  await ensureStateTable(client, stateTable);
  const docs = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  const store = dynamoAccessStore(docs, stateTable.name);
  const small = snapshotsFrom(DYNAMO_ACCOUNTS, foldHoldings(events(DYNAMO_ACCOUNTS, DYNAMO_ACCOUNTS * 10)));
  for (const s of small.values()) {
    await store.touchAccount(s.meta.account, { known: true, ...(s.meta.person ? { person: s.meta.person } : {}) });
    for (const h of s.roles) await store.putHolding(h);
  }
  const t = performance.now();
  const report = await buildMonthlyReport(store, defaultPolicy, MONTH);
  const ms = performance.now() - t;
  const perAccount = ms / DYNAMO_ACCOUNTS;
  console.log(`permission audit, DynamoDB (dynalite, loopback): ${DYNAMO_ACCOUNTS} accounts in ${(ms / 1000).toFixed(2)} s = ${perAccount.toFixed(2)} ms/account (${report.items.length} items)`);
  console.log(`  ratio DynamoDB/in-memory per account: ${(perAccount / (full.reportMs / ACCOUNTS)).toFixed(0)}x; linear extrapolation to ${ACCOUNTS} accounts: ${((perAccount * ACCOUNTS) / 1000).toFixed(0)} s on dynalite`);
} catch (err) {
  dynamoOk = false;
  console.error(`DynamoDB part failed: ${(err as Error).message}`);
} finally {
  client.destroy();
  await new Promise<void>((resolve) => server.server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
}

if (full.reportMs > BUDGET_MS || !dynamoOk) {
  console.error(`FAIL: report took ${(full.reportMs / 1000).toFixed(2)} s (budget ${BUDGET_MS / 1000} s)`);
  process.exitCode = 1;
}
