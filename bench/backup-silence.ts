/**
 * Benchmark of backup-verification's silence sweep (guide 1.1), through the real store on
 * dynalite over loopback.
 *
 * N cold datasets are bulk-loaded as the store keeps them (state + due-time index entry), with
 * a backup history in their ledgers. The sweep reads only what is due from the index, so its
 * cost must grow with the datasets due — not with the catalogue, not with the history:
 *
 *   A. D datasets due, no history          the sweep
 *   B. D datasets due, H ledger entries each  the same sweep: requests unchanged
 *   C. 10·D datasets due                   requests grow ~10×
 *   Baseline (same run): a sweep without the index — one partition read per dataset.
 *
 *   tsx bench/backup-silence.ts [--datasets N] [--due D] [--history H]
 */
import { parseArgs } from 'node:util';
import { mapWithConcurrency } from '../functions/shared/concurrency.ts';
import { dynamoFindingsStore } from '../functions/shared/findings/findings-store.ts';
import { stateIndex } from '../functions/shared/dynamo-access.ts';
import { addDays, addMinutes } from '../functions/shared/time.ts';
import { catalogueFingerprint } from '../functions/backup-verification/catalogue.ts';
import { datasetScope, dynamoBackupStore, DUE_PARTITION } from '../functions/backup-verification/backup-store.ts';
import { sweep } from '../functions/backup-verification/flows.ts';
import { parsePolicy } from '../schemas/policy-loader.ts';
import { stateTable } from '../infra/state-table.ts';
import { bulkLoad, startBenchDynamo } from './support/dynamo.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { values } = parseArgs({ options: { datasets: { type: 'string' }, due: { type: 'string' }, history: { type: 'string' } } });
const N = Number(values.datasets ?? 10_000);
const D = Number(values.due ?? 50);
const H = Number(values.history ?? 20);
const T0 = new Date('2026-03-02T00:00:00Z');
const { pk, sk } = { pk: stateTable.partitionKey, sk: stateTable.sortKey };

const policy = parsePolicy({ backups: { catalogue: Array.from({ length: N }, (_, i) => ({ id: `ds-${i}`, system: `sys-${i}`, kind: 'database', tier: 'cold', backupPlan: 'weekly' })) } });

const dynamo = await startBenchDynamo();
const { docs } = dynamo;
const store = dynamoBackupStore(docs, stateTable.name, dynamoFindingsStore(docs, stateTable.name));

/** Every dataset backed up at T0 (due at T0 + 7 days), except the first `due` ones, backed up a week earlier. */
function states(due: number, at: Date) {
  return Array.from({ length: N }, (_, i) => {
    const last = i < due ? addDays(at, -7) : at;
    const state = { datasetId: `ds-${i}`, enrolledAt: addDays(T0, -60).toISOString(), lastGoodBackup: { at: last.toISOString(), eventId: `e${i}`, full: true }, lastGoodFullBackup: { at: last.toISOString(), eventId: `e${i}` }, lastPassingRestore: { at: last.toISOString(), eventId: `r${i}`, testId: `t${i}`, verdict: 'passed', problems: [], durationMinutes: 10, overRto: false } };
    return { [pk]: datasetScope(`ds-${i}`).partition, [sk]: 'STATE', state, version: 1, [stateIndex.partitionKey]: DUE_PARTITION, [stateIndex.sortKey]: `${addDays(last, 7).toISOString()}#ds-${i}` };
  });
}

async function measure(label: string, run: () => Promise<unknown>) {
  const before = dynamo.requests();
  const t = performance.now();
  const result = await run();
  return { label, ms: performance.now() - t, requests: dynamo.requests() - before, result };
}

const publisher = { publish: async () => {} };
const deps = { store, publisher, policy };
await store.setEnrolment(catalogueFingerprint(policy.backups));
const firedAt = addMinutes(T0, 5);
const rows: { label: string; ms: number; requests: number; due: number }[] = [];

let t = performance.now();
await bulkLoad(docs, states(D, T0));
console.log(`loaded ${N} datasets in ${((performance.now() - t) / 1000).toFixed(1)} s`);
const a = await measure(`A. ${D} due, no history`, () => sweep(deps, firedAt));
rows.push({ ...a, due: (a.result as { due: number }).due });

t = performance.now();
await bulkLoad(docs, states(D, addMinutes(T0, 10)));
const ledger: Record<string, unknown>[] = [];
for (let i = 0; i < N; i++) for (let k = 0; k < H; k++) ledger.push({ [pk]: `BACKUP-LEDGER#ds-${i}`, [sk]: `${addDays(T0, -7 * (k + 1)).toISOString()}#h${k}`, observation: { kind: 'backup', eventId: `h${k}`, at: addDays(T0, -7 * (k + 1)).toISOString(), origin: 'erp', ref: 'b', full: true } });
await bulkLoad(docs, ledger);
console.log(`loaded ${ledger.length} ledger entries in ${((performance.now() - t) / 1000).toFixed(1)} s`);
const b = await measure(`B. ${D} due, ${H} ledger entries each`, () => sweep(deps, addMinutes(T0, 15)));
rows.push({ ...b, due: (b.result as { due: number }).due });

await bulkLoad(docs, states(10 * D, addMinutes(T0, 20)));
const c = await measure(`C. ${10 * D} due, same history`, () => sweep(deps, addMinutes(T0, 25)));
rows.push({ ...c, due: (c.result as { due: number }).due });

// Baseline: without the index a sweep reads every dataset's partition to learn which are due.
const base = await measure(`baseline: read all ${N} partitions`, async () => mapWithConcurrency(policy.backups.catalogue, 8, (d) => store.read(d.id)));
rows.push({ ...base, due: N });

console.log('\n| run | due | time | DynamoDB requests | time / baseline | requests / baseline |\n| --- | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows) console.log(`| ${r.label} | ${r.due} | ${(r.ms / 1000).toFixed(2)} s | ${r.requests} | ${(r.ms / base.ms).toFixed(3)} | ${(r.requests / base.requests).toFixed(3)} |`);
console.log(`\nB/A requests: ${(b.requests / a.requests).toFixed(2)} (history does not count); C/A requests: ${(c.requests / a.requests).toFixed(2)} (due ×10)`);
if (a.requests !== b.requests) console.log('NOTE: requests changed with history');

await dynamo.close();
