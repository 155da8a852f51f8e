/**
 * `erpgov evidence --period <YYYY-MM | YYYY-Qn | FROM..TO> --out DIR [--lang en|zh]`: one
 * evidence pack for the guide's 22 controls (see evidence-index.ts), read from the state
 * table (findings, audit trail, the areas' stores) and the local archive
 * (`<data>/archive`: manifests, head anchors). The pack is written into a temporary folder
 * beside DIR and renamed into place at the end, so a failure leaves nothing half-written.
 */
import { mkdtemp, mkdir, readdir, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildMonthlyReport } from '../../functions/access-governance/flows.ts';
import type { PermissionReport } from '../../functions/access-governance/permission-report.ts';
import { dynamoAccessStores } from '../../functions/access-governance/stores.ts';
import { buildBackupReport, type BackupReport } from '../../functions/backup-verification/backup-report.ts';
import { dynamoBackupStore } from '../../functions/backup-verification/backup-store.ts';
import type { ChangeReport } from '../../functions/change-approvals/change-report.ts';
import { changeStore, dynamoChangeItems, roleHoldingsReader } from '../../functions/change-approvals/change-store.ts';
import { freezeCalendars, monthlyChangeReport } from '../../functions/change-approvals/flows.ts';
import { dynamoDrillStore } from '../../functions/incident-response/drill-store.ts';
import { dynamoIncidentStore } from '../../functions/incident-response/incident-store.ts';
import { buildOperationsReport, type OperationsReport } from '../../functions/incident-response/operations-report.ts';
import { folderArchiveStore } from '../../functions/shared/archive-store.ts';
import { dynamoAuditTrailStore } from '../../functions/shared/audit-trail/audit-trail-store.ts';
import { processClock } from '../../functions/shared/clock.ts';
import { dynamoFindingsStore } from '../../functions/shared/findings/findings-store.ts';
import { loadPolicy } from '../../schemas/policy-loader.ts';
import type { Policy } from '../../schemas/policy.ts';
import { dataDirFrom } from '../options.ts';
import { withStateTable } from '../state-access.ts';
import { UsageError } from '../usage.ts';
import type { EvidenceIndex, EvidenceInputs } from '../../functions/shared/evidence/evidence-index.ts';
import { renderPack } from '../../functions/shared/evidence/evidence-pack.ts';
import { dynamoControlFeed } from '../../functions/shared/evidence/control-feed.ts';
import { earliestData, endsBeforeAnyData, trailEvidence } from '../../functions/shared/evidence/pack-sources.ts';
import type { Language } from '../../schemas/controls.ts';
import { localSigner, MANIFEST_FILE, sealPack, signingKey, verifyPack } from '../../functions/shared/evidence/pack-manifest.ts';
import { parsePeriod, type Period } from '../../functions/shared/evidence/period.ts';
import { terminalProgress, type Progress } from './progress.ts';

const LANGUAGES: readonly Language[] = ['en', 'zh'];

export async function runEvidenceCommand(args: string[]): Promise<number> {
  if (args[0] === 'verify') return runVerify(args.slice(1));
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { period: { type: 'string' }, out: { type: 'string' }, lang: { type: 'string' }, 'data-dir': { type: 'string' }, endpoint: { type: 'string' }, policy: { type: 'string' } },
  });
  if (positionals.length > 0) throw new UsageError(`evidence: unexpected "${positionals[0]}"; allowed: evidence --period P --out DIR, evidence verify DIR`);
  if (values.period === undefined) throw new UsageError('evidence: --period is required; allowed: YYYY-MM, YYYY-Qn or YYYY-MM-DD..YYYY-MM-DD');
  if (values.out === undefined || values.out.trim() === '') throw new UsageError('evidence: --out DIR is required (a new or empty folder)');
  const lang = (values.lang ?? 'en') as Language;
  if (!LANGUAGES.includes(lang)) throw new UsageError(`--lang: "${values.lang}" is not a language; allowed: ${LANGUAGES.join(', ')}`);
  const now = processClock.now();
  const period = parsePeriod(values.period, now);
  const out = resolve(values.out);
  await refuseNonEmpty(out);
  const policy = loadPolicy(values.policy ? { file: values.policy } : {});
  const dataDir = dataDirFrom(values['data-dir']);
  const access = { dataDir, ...(values.endpoint ? { endpoint: values.endpoint } : {}) };

  const progress = terminalProgress(5 + period.months.length * 3 + period.quarters.length);
  try {
    const inputs = await withStateTable(access, ({ docs, tableName }) => gatherInputs({ docs, tableName, dataDir, policy, period, now, progress }));
    refuseBeforeData(period, inputs);
    const key = await signingKey(dataDir);
    const written = await writePack(out, inputs, lang, progress, async (folder) => {
      await sealPack(folder, period, inputs.generatedAt, localSigner(key));
      return [MANIFEST_FILE];
    });
    progress.stop();
    const index = written.index;
    process.stdout.write(`evidence ${period.label}: ${index.controls.length} controls (${Object.entries(index.summary).map(([s, n]) => `${n} ${s}`).join(', ')}), ${written.files.length} files signed with ${key.keyId} → ${out}\n`);
    return 0;
  } finally {
    progress.stop();
  }
}

async function refuseNonEmpty(out: string): Promise<void> {
  const info = await stat(out).catch(() => undefined);
  if (!info) return;
  if (!info.isDirectory()) throw new UsageError(`--out: "${out}" exists and is not a folder; give a new or empty folder`);
  const entries = await readdir(out);
  if (entries.length > 0) throw new UsageError(`--out: "${out}" is not empty (${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}); give a new or empty folder`);
}

function refuseBeforeData(period: Period, inputs: EvidenceInputs & { earliestData: string | undefined }): void {
  if (!endsBeforeAnyData(period, inputs.earliestData)) return;
  const why = inputs.earliestData === undefined ? 'the data folder holds no findings, audit records or archive yet' : `the earliest is ${inputs.earliestData}`;
  throw new UsageError(`--period: "${period.label}" is before any data (${why})`);
}

async function gatherInputs(options: { docs: Parameters<typeof dynamoFindingsStore>[0]; tableName: string; dataDir: string; policy: Policy; period: Period; now: Date; progress: Progress }): Promise<EvidenceInputs & { earliestData: string | undefined }> {
  const { docs, tableName, dataDir, policy, period, now, progress } = options;
  const findingsStore = dynamoFindingsStore(docs, tableName);
  progress.step('findings');
  const findings = (await findingsStore.list()).map((r) => r.finding);
  const trail = dynamoAuditTrailStore(docs, tableName);
  const archive = folderArchiveStore(join(dataDir, 'archive'));
  const { records, verify, archiveManifests } = await trailEvidence(trail, archive, period, (label) => progress.step(label));

  const permissions: PermissionReport[] = [];
  const backups: BackupReport[] = [];
  const changes: ChangeReport[] = [];
  const accessStores = dynamoAccessStores(docs, tableName);
  const backupStore = dynamoBackupStore(docs, tableName, findingsStore);
  const changeItems = dynamoChangeItems(docs, tableName);
  const changeDeps = { store: changeStore(changeItems), roles: roleHoldingsReader(changeItems), findings: findingsStore, publisher: { publish: async () => {} }, policy, calendars: freezeCalendars(policy) };
  for (const month of period.months) {
    progress.step(`permission report ${month}`);
    permissions.push(await buildMonthlyReport(accessStores, policy, month));
    progress.step(`backup report ${month}`);
    backups.push(await buildBackupReport(backupStore, policy, month, now));
    progress.step(`change report ${month}`);
    changes.push(await monthlyChangeReport(changeDeps, month));
  }
  const operations: OperationsReport[] = [];
  for (const quarter of period.quarters) {
    progress.step(`operations report ${quarter}`);
    operations.push(await buildOperationsReport({ findings: findingsStore, incidents: dynamoIncidentStore(docs, tableName), drills: dynamoDrillStore(docs, tableName) }, policy, quarter));
  }
  const earliest = await earliestData(archive, findings, records, period.to);
  progress.step('index');
  const fedControls = [...(await dynamoControlFeed(docs, tableName, 'erpgov evidence').fedIn(period.months))];
  return { period, generatedAt: now.toISOString(), findings, records, verify, permissions, backups, changes, operations, archiveManifests, retentionDays: policy.audit.retention.days, fedControls, earliestData: earliest };
}

export interface WrittenPack {
  readonly index: EvidenceIndex;
  readonly files: readonly string[];
}

/** Writes every file of the pack into a temporary sibling folder of `out`, then renames it to `out`. */
export async function writePack(out: string, inputs: EvidenceInputs, lang: Language, progress?: Progress, seal?: (folder: string, files: readonly string[], index: EvidenceIndex) => Promise<string[]>): Promise<WrittenPack> {
  const { index, files } = renderPack(inputs, lang);
  await mkdir(dirname(out), { recursive: true });
  const temp = await mkdtemp(join(dirname(out), `.${basename(out)}.partial-`));
  try {
    for (const [name, body] of Object.entries(files)) {
      await mkdir(dirname(join(temp, name)), { recursive: true });
      await writeFile(join(temp, name), body);
    }
    const extra = seal ? await seal(temp, Object.keys(files), index) : [];
    progress?.step('written');
    const existing = await stat(out).catch(() => undefined);
    if (existing) await rmdir(out); // empty: checked before
    await rename(temp, out);
    return { index, files: [...Object.keys(files), ...extra] };
  } catch (err) {
    await rm(temp, { recursive: true, force: true });
    throw err;
  }
}

/** `erpgov evidence verify DIR [--key-id ID]`: every hash and the signature, offline; exit 1 naming what changed. */
async function runVerify(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { 'key-id': { type: 'string' } } });
  if (positionals.length !== 1) throw new UsageError(`evidence verify: give exactly one pack folder (got ${positionals.length})`);
  const folder = resolve(positionals[0] as string);
  const info = await stat(folder).catch(() => undefined);
  if (!info?.isDirectory()) throw new UsageError(`evidence verify: "${folder}" is not a folder`);
  const verdict = await verifyPack(folder, values['key-id']);
  const out = (line: string) => process.stdout.write(`${line}\n`);
  if (verdict.problem) out(`PROBLEM ${verdict.problem}`);
  for (const path of verdict.changed) out(`CHANGED ${path}`);
  for (const path of verdict.added) out(`ADDED   ${path}`);
  for (const path of verdict.removed) out(`REMOVED ${path}`);
  out(verdict.ok
    ? `OK: ${verdict.files} files of the ${verdict.period} pack match the manifest; signature ${verdict.keyId} (Ed25519${verdict.kms ? `, KMS key ${verdict.kms.keyArn}` : ''}) valid`
    : `FAILED: ${verdict.changed.length} changed, ${verdict.added.length} added, ${verdict.removed.length} removed; signature ${verdict.signatureValid ? 'valid' : 'INVALID'}`);
  return verdict.ok ? 0 : 1;
}
