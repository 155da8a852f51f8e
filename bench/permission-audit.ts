/**
 * Benchmark of the monthly permission audit (guide 2.5), through the real store.
 *
 * 1. 1,000,000 role assign/revoke events over 100,000 accounts, out of order with duplicates,
 *    folded into per-account state — what access-governance keeps in DynamoDB as the events
 *    arrive (the fold is the pure twin of the store's conditional writes).
 * 2. Baseline, same run: the report over that state in memory (the report logic alone).
 * 3. The state is bulk-loaded into dynalite as the stores keep it (one summary per account, one
 *    item per person), then the report runs through the account and person stores over
 *    loopback, as `erpgov report permissions` does. Budget: the guide's 30-second report threshold. Its
 *    output must equal the in-memory report.
 * 4. The per-account path (one Query + one GetItem per account, what the checks read) for a
 *    small sample, extrapolated: what the summaries save.
 * 5. The price of keeping summaries: DynamoDB requests per Role Assigned fact.
 *
 *   tsx bench/permission-audit.ts [--accounts N] [--events N] [--sample N] [--facts N]
 */
import { parseArgs } from 'node:util';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { summaryItem } from '../functions/access-governance/account-store.ts';
import { buildMonthlyReport, readAccount, recordFact, type AccessFact } from '../functions/access-governance/flows.ts';
import { personItem } from '../functions/access-governance/person-store.ts';
import { dynamoAccessStores } from '../functions/access-governance/stores.ts';
import { buildPermissionReport, type PermissionReport } from '../functions/access-governance/permission-report.ts';
import { foldHoldings, STANDING, type AccountSnapshot, type PersonState, type RoleHolding } from '../functions/access-governance/permission-state.ts';
import { mapWithConcurrency } from '../functions/shared/concurrency.ts';
import { defaultPolicy } from '../schemas/default-policy.ts';
import { stateTable } from '../infra/state-table.ts';
import { bulkLoad, startBenchDynamo } from './support/dynamo.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const { values } = parseArgs({ options: { accounts: { type: 'string' }, events: { type: 'string' }, sample: { type: 'string' }, facts: { type: 'string' } } });
const ACCOUNTS = Number(values.accounts ?? 100_000);
const EVENTS = Number(values.events ?? 1_000_000);
const SAMPLE = Number(values.sample ?? 500);
const FACTS = Number(values.facts ?? 500);
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
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

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

/** Every account's state, with every report category planted: leavers, movers, unbound accounts, idle roles, expired grants. */
function snapshotsFrom(accounts: number, holdings: Map<string, RoleHolding>): AccountSnapshot[] {
  const byAccount = new Map<string, RoleHolding[]>();
  for (const h of holdings.values()) byAccount.set(h.account, [...(byAccount.get(h.account) ?? []), h]);
  const snapshots: AccountSnapshot[] = [];
  for (let a = 0; a < accounts; a++) {
    const account = `u${a}`;
    const personId = a % 50 === 0 ? undefined : `E-${a}`;
    const job = JOBS[a % JOBS.length] ?? 'sales';
    const person: PersonState | undefined = personId === undefined ? undefined : {
      person: personId, job,
      ...(a % 97 === 0 ? { departedAt: '2026-02-01T00:00:00.000Z' } : {}),
      ...(a % 89 === 0 ? { job: 'warehouse', transfer: { fromJob: job, toJob: 'warehouse', effectiveAt: '2026-02-15T00:00:00.000Z' } } : {}),
    };
    const grants = a % 211 === 0
      ? [{ grantId: `G-${a}`, account, permissions: ['payment.approve'], modules: ['finance'], reason: 'quarter close', approver: 'fin.lead', startsAt: '2026-03-01T00:00:00.000Z', grantExpiresAt: '2026-03-08T00:00:00.000Z', requestedExpiresAt: '2026-03-08T00:00:00.000Z', state: 'active' as const, eventId: `g${a}` }]
      : [];
    snapshots.push({
      meta: { account, known: true, ...(personId ? { person: personId } : {}) },
      ...(person ? { person } : {}),
      roles: byAccount.get(account) ?? [],
      grants,
      lastUse: a % 3 === 0 ? {} : { orders: '2026-03-20T00:00:00.000Z', finance: '2026-03-20T00:00:00.000Z' },
    });
  }
  return snapshots;
}

function sameReport(a: PermissionReport, b: PermissionReport): boolean {
  return a.accountsReviewed === b.accountsReviewed && JSON.stringify(a.items) === JSON.stringify(b.items);
}

async function withDynamo<T>(run: (docs: DynamoDBDocumentClient, requests: () => number) => Promise<T>): Promise<T> {
  const dynamo = await startBenchDynamo({ diskPrefix: 'erpgov-permission-bench-' });
  try {
    return await run(dynamo.docs, dynamo.requests);
  } finally {
    await dynamo.close();
  }
}

let failed = false;

// 1–2. Fold and the in-memory baseline.
let t = performance.now();
const holdings = foldHoldings(events(ACCOUNTS, EVENTS));
const foldMs = performance.now() - t;
const snapshots = snapshotsFrom(ACCOUNTS, holdings);
t = performance.now();
const expected = buildPermissionReport(MONTH, snapshots, defaultPolicy);
const memoryMs = performance.now() - t;
console.log(`permission audit: ${ACCOUNTS} accounts, ${EVENTS} events → ${holdings.size} current holdings (fold ${seconds(foldMs)}; done as events arrive)`);
console.log(`  in memory (baseline): ${seconds(memoryMs)}, ${expected.items.length} items ${JSON.stringify(expected.counts)}`);
const tenth = foldHoldings(events(ACCOUNTS, Math.floor(EVENTS / 10)));
t = performance.now();
buildPermissionReport(MONTH, snapshotsFrom(ACCOUNTS, tenth), defaultPolicy);
const tenthMs = performance.now() - t;
console.log(`  in memory with 1/10 of the history (${tenth.size} holdings): ${seconds(tenthMs)}; 10x the events costs ${(memoryMs / tenthMs).toFixed(2)}x (the report follows the accounts' current holdings, not the events)`);

// 3. Through the store.
const summaryMs = await withDynamo(async (docs, requests) => {
  const people = snapshots.flatMap((s) => (s.person ? [personItem(s.person)] : []));
  t = performance.now();
  await bulkLoad(docs, [...people, ...snapshots.map((s) => summaryItem(s, 1))]);
  console.log(`  loaded ${people.length} people + ${snapshots.length} account summaries into dynalite in ${seconds(performance.now() - t)} (not part of the report)`);
  const before = requests();
  t = performance.now();
  const report = await buildMonthlyReport(dynamoAccessStores(docs, stateTable.name), defaultPolicy, MONTH);
  const ms = performance.now() - t;
  const same = sameReport(report, expected);
  console.log(`  through the store (dynalite, loopback): ${seconds(ms)} for ${report.accountsReviewed} accounts, ${requests() - before} requests; ${same ? 'identical to' : 'DIFFERENT from'} the in-memory report; budget ${BUDGET_MS / 1000} s`);
  console.log(`  ratio store/in-memory: ${(ms / memoryMs).toFixed(1)}x; ${((ms * 1000) / ACCOUNTS).toFixed(0)} µs/account`);
  if (!same || ms > BUDGET_MS) failed = true;
  return ms;
});

// 4. The per-account path, for a sample.
await withDynamo(async (docs) => {
  const stores = dynamoAccessStores(docs, stateTable.name);
  const sample = snapshots.slice(0, SAMPLE);
  for (const s of sample) {
    await stores.accounts.touch(s.meta.account, { known: true, ...(s.meta.person ? { person: s.meta.person } : {}) });
    for (const h of s.roles) await stores.accounts.putHolding(h);
  }
  t = performance.now();
  await mapWithConcurrency(sample, 16, (s) => readAccount(stores, s.meta.account));
  const perAccount = (performance.now() - t) / SAMPLE;
  console.log(`  per-account reads (Query + GetItem, 16 at a time), ${SAMPLE} accounts: ${perAccount.toFixed(2)} ms/account → ${((perAccount * ACCOUNTS) / 1000).toFixed(0)} s for ${ACCOUNTS}; the summaries are ${((perAccount * ACCOUNTS) / summaryMs).toFixed(0)}x faster`);
});

// 5. What keeping summaries costs per fact.
await withDynamo(async (docs, requests) => {
  const deps = { stores: dynamoAccessStores(docs, stateTable.name), publisher: { publish: async () => {} }, policy: defaultPolicy };
  const facts = [...events(Math.max(1, Math.floor(FACTS / 3)), FACTS)];
  const before = requests();
  t = performance.now();
  for (const h of facts) {
    const fact = { eventId: h.eventId, source: 'erp.bench', time: h.eventTime, claimedTime: h.eventTime };
    const person = h.person ?? h.account;
    await recordFact(deps, (h.state === 'assigned'
      ? { ...fact, detailType: 'Role Assigned', detail: { schemaVersion: 1, account: h.account, person, role: h.role, modules: [...h.modules], permissions: [...h.permissions], job: 'sales', grantedBy: 'admin' } }
      : { ...fact, detailType: 'Role Revoked', detail: { schemaVersion: 1, account: h.account, person, role: h.role, revokedBy: 'admin' } }) as AccessFact);
  }
  const ms = performance.now() - t;
  console.log(`  role facts through recordFact: ${((requests() - before) / FACTS).toFixed(2)} DynamoDB requests/fact (2 keep the summary, 1 reads the person's other accounts), ${((FACTS * 1000) / ms).toFixed(0)} facts/s sequential`);
});

if (failed) {
  console.error('FAIL: the report through the store was over budget or differed from the in-memory report');
  process.exitCode = 1;
}
