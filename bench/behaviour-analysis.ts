/**
 * Benchmark of the hourly behaviour analysis (guide 6.4, 3.3): what one hourly run reads and
 * costs when the baseline comes from stored hour counts, against the earlier way — reading
 * every record of the baseline's days each hour — run in the same process over the same trail.
 *
 * The trail is an in-memory port (the cost of reading a record from DynamoDB is measured by
 * bench/audit-verify.ts); records read per run are counted, so the I/O saving stands apart from
 * this machine's speed.
 *
 *   tsx bench/behaviour-analysis.ts [--per-day N] [--accounts N]
 */
import { parseArgs } from 'node:util';
import { memoryBehaviourCursorStore } from '../functions/audit-analysis/behaviour-cursor-store.ts';
import { analyseBehaviour, baselineStart, contextStart } from '../functions/audit-analysis/behaviour.ts';
import { analyseClosedHours, SETTLE_MS } from '../functions/audit-analysis/flows.ts';
import { memoryHourlyBaselineStore } from '../functions/audit-analysis/hourly-baseline-store.ts';
import { toAuditRecord, type AuditRecord } from '../functions/shared/audit-trail/audit-record.ts';
import { recordsOf, type StoredRecord } from '../functions/shared/audit-trail/audit-trail-store.ts';
import { memoryFindingsStore } from '../functions/shared/findings/findings-store.ts';
import { findingLifecycle } from '../functions/shared/findings/lifecycle.ts';
import { DAY_MS, HOUR_MS as HOUR, startOfHour, utcDay, utcDaysBetween } from '../functions/shared/time.ts';
import { defaultPolicy } from '../schemas/default-policy.ts';

const { values } = parseArgs({ options: { 'per-day': { type: 'string' }, accounts: { type: 'string' } } });
const PER_DAY = Number(values['per-day'] ?? 10_000);
const ACCOUNTS = Number(values.accounts ?? 1_000);
const DAYS = 17;
const firstDay = Date.parse('2026-03-01T00:00:00Z');
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

function lcg(seed: number) {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

// The trail: operations, logins and module errors spread over the days.
const rnd = lcg(7);
const byDay = new Map<string, AuditRecord[]>();
for (let i = 0; i < PER_DAY * DAYS; i++) {
  const time = new Date(firstDay + Math.floor(rnd() * DAYS * DAY_MS));
  const account = `u${Math.floor(rnd() * ACCOUNTS)}`;
  const kind = rnd();
  const [detailType, detail] =
    kind < 0.8 ? ['Operation Audited', { actor: account, action: rnd() < 0.1 ? 'delete' : rnd() < 0.1 ? 'export' : 'update', target: `order-${i}`, module: 'orders', recordCount: 1 }]
    : kind < 0.97 ? ['Login', { account, deviceId: `dev-${account}-${Math.floor(rnd() * 2)}`, outcome: rnd() < 0.95 ? 'success' : 'failure' }]
    : ['Module Error', { module: ['orders', 'inventory', 'finance'][Math.floor(rnd() * 3)], errorClass: 'lock', occurrences: 1 + Math.floor(rnd() * 5) }];
  const record = toAuditRecord({ version: '0', id: `e${i}`, 'detail-type': detailType, source: 'erp.sap', account: '000000000000', time: time.toISOString(), region: 'us-east-1', resources: [], detail: { schemaVersion: 1, ...detail } }, time);
  const day = record.occurredAt.slice(0, 10);
  (byDay.get(day) ?? byDay.set(day, []).get(day)!).push(record);
}

// Planted in the analysed hours: a delete burst and a login from a device the account never used.
for (const hour of ['2026-03-17T04', '2026-03-17T05']) {
  const planted = [
    ...Array.from({ length: 40 }, (_, i) => ['Operation Audited', { actor: 'u1', action: 'delete', target: `order-x${i}`, module: 'orders', recordCount: 1 }, `${hour}:${String(10 + (i % 40)).padStart(2, '0')}:00Z`] as const),
    ['Login', { account: 'u2', deviceId: 'stranger-laptop', outcome: 'success' }, `${hour}:30:00Z`] as const,
  ];
  planted.forEach(([detailType, detail, time], i) => {
    const record = toAuditRecord({ version: '0', id: `p-${hour}-${i}`, 'detail-type': detailType, source: 'erp.sap', account: '000000000000', time, region: 'us-east-1', resources: [], detail: { schemaVersion: 1, ...detail } }, new Date(time));
    byDay.get(record.occurredAt.slice(0, 10))!.push(record);
  });
}

// As the store gives them: each record with the chain its item names.
const storedByDay = new Map([...byDay].map(([day, records]) => [day, records.map((record): StoredRecord => ({ chainId: `erp.sap/${day}/0`, batchId: 'bench', record }))]));
let recordsRead = 0;
const trail = {
  storedRecordsOccurredOn: async (day: string) => {
    const records = storedByDay.get(day) ?? [];
    recordsRead += records.length;
    return records;
  },
};
const hours = memoryHourlyBaselineStore();
const stored = hours.hours;
const findings = findingLifecycle({ store: memoryFindingsStore(), publisher: { publish: async () => {} } }, 'audit-analysis');
const ports = { trail, hours, cursor: memoryBehaviourCursorStore(), findings, policy: defaultPolicy };

async function run(firedAt: Date) {
  recordsRead = 0;
  const t = performance.now();
  const { windows, findings } = await analyseClosedHours(ports, firedAt);
  return { ms: performance.now() - t, read: recordsRead, windows: windows.length, findings: findings.length, ids: findings.map((f) => f.findingId).sort() };
}

/** The earlier way: every record from the baseline's start to the window's end, each hour. */
async function earlierWay(firedAt: Date) {
  recordsRead = 0;
  const t = performance.now();
  const to = startOfHour(firedAt.getTime() - SETTLE_MS);
  const window = { from: new Date(to.getTime() - HOUR), to };
  const from = Math.min(baselineStart(window, defaultPolicy).getTime(), contextStart(window, defaultPolicy).getTime());
  const records: AuditRecord[] = [];
  for (const day of utcDaysBetween(utcDay(from), utcDay(window.to.getTime() - 1))) {
    for (const r of recordsOf(await trail.storedRecordsOccurredOn(day))) if (Date.parse(r.occurredAt) >= from && Date.parse(r.occurredAt) < window.to.getTime()) records.push(r);
  }
  const findings = analyseBehaviour(records, records, defaultPolicy, window);
  return { ms: performance.now() - t, read: recordsRead, findings: findings.length, ids: findings.map((f) => f.findingId).sort() };
}

const fire = new Date(Date.parse('2026-03-17T05:10:00Z'));
const before = await earlierWay(fire);
const first = await run(fire);
const storedAfterFirst = stored.size;
const next = await run(new Date(fire.getTime() + HOUR));
const nextBefore = await earlierWay(new Date(fire.getTime() + HOUR));
console.log(`behaviour analysis: ${PER_DAY} records/day, ${ACCOUNTS} accounts, ${defaultPolicy.audit.behaviourAnalysis.baselineDays}-day baseline`);
console.log(`  earlier way (every baseline record, each hour): ${seconds(before.ms)}, ${before.read} records read, ${before.findings} findings`);
console.log(`  first run (counts each baseline hour once, stores ${storedAfterFirst} hours): ${seconds(first.ms)}, ${first.read} records read, ${first.findings} findings`);
console.log(`  next hour (stored counts): ${seconds(next.ms)}, ${next.read} records read, ${next.findings} findings; the earlier way for the same hour: ${seconds(nextBefore.ms)}, ${nextBefore.read} records, ${nextBefore.findings} findings`);
console.log(`  ratio next hour / earlier way: time ${(next.ms / nextBefore.ms).toFixed(2)}x, records read ${(next.read / nextBefore.read).toFixed(2)}x`);
if (JSON.stringify(next.ids) !== JSON.stringify(nextBefore.ids) || JSON.stringify(first.ids) !== JSON.stringify(before.ids)) {
  console.error('FAIL: the stored-counts run and the earlier way raised different findings');
  process.exitCode = 1;
}
