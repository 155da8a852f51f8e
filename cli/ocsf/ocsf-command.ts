/**
 * `erpgov export ocsf --period P --out DIR`: the period's audit records and findings as OCSF
 * events, one JSON object a line per class (`authentication.jsonl`, `account_change.jsonl`,
 * `api_activity.jsonl`, `compliance_finding.jsonl`), for a security lake. Written into a
 * temporary sibling folder and renamed, so a failure leaves nothing half-written.
 */
import { mkdtemp, readdir, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { dynamoAuditTrailStore } from '../../functions/shared/audit-trail/audit-trail-store.ts';
import { processClock } from '../../functions/shared/clock.ts';
import { dynamoFindingsStore } from '../../functions/shared/findings/findings-store.ts';
import { stateAt } from '../../functions/shared/evidence/evidence-index.ts';
import { parsePeriod } from '../../functions/shared/evidence/period.ts';
import { dataDirFrom } from '../options.ts';
import { withStateTable } from '../state-access.ts';
import { UsageError } from '../usage.ts';
import { auditRecordToOcsf, findingToOcsf, OCSF_CLASSES, type OcsfClassName, type OcsfEvent } from './ocsf-events.ts';

export async function runExportCommand(args: string[]): Promise<number> {
  const [format, ...rest] = args;
  if (format !== 'ocsf') throw new UsageError(`export: unknown format "${format ?? ''}"; allowed: ocsf`);
  const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { period: { type: 'string' }, out: { type: 'string' }, 'data-dir': { type: 'string' }, endpoint: { type: 'string' } } });
  if (positionals.length > 0) throw new UsageError(`export ocsf: unexpected "${positionals[0]}"`);
  if (values.period === undefined) throw new UsageError('export ocsf: --period is required; allowed: YYYY-MM, YYYY-Qn or YYYY-MM-DD..YYYY-MM-DD');
  if (values.out === undefined || values.out.trim() === '') throw new UsageError('export ocsf: --out DIR is required (a new or empty folder)');
  const period = parsePeriod(values.period, processClock.now());
  const out = resolve(values.out);
  const existing = await stat(out).catch(() => undefined);
  if (existing && (!existing.isDirectory() || (await readdir(out)).length > 0)) throw new UsageError(`--out: "${out}" is not a new or empty folder`);
  const dataDir = dataDirFrom(values['data-dir']);
  const events = await withStateTable({ dataDir, ...(values.endpoint ? { endpoint: values.endpoint } : {}) }, async ({ docs, tableName }) => {
    const byClass = new Map<OcsfClassName, OcsfEvent[]>((Object.keys(OCSF_CLASSES) as OcsfClassName[]).map((k) => [k, []]));
    for (const record of await dynamoAuditTrailStore(docs, tableName).recordsOccurredBetween(period.from, period.to)) {
      const { kind, event } = auditRecordToOcsf(record);
      byClass.get(kind)?.push(event);
    }
    for (const { finding } of await dynamoFindingsStore(docs, tableName).list()) {
      const atEnd = stateAt(finding, period.to);
      const raisedBefore = finding.firstRaisedAt < period.to;
      const liveInPeriod = atEnd !== undefined && (atEnd !== 'resolved' || (finding.resolvedAt ?? '') >= period.from);
      if (raisedBefore && liveInPeriod) byClass.get('compliance_finding')?.push(findingToOcsf(finding));
    }
    return byClass;
  });
  if ([...events.values()].every((e) => e.length === 0)) throw new UsageError(`--period: "${period.label}" has no audit records and no findings in the data folder (before any data?)`);
  await mkdir(dirname(out), { recursive: true });
  const temp = await mkdtemp(join(dirname(out), `.${basename(out)}.partial-`));
  try {
    for (const [kind, list] of events) await writeFile(join(temp, `${kind}.jsonl`), list.map((e) => `${JSON.stringify(e)}\n`).join(''));
    if (existing) await rmdir(out);
    await rename(temp, out);
  } catch (err) {
    await rm(temp, { recursive: true, force: true });
    throw err;
  }
  process.stdout.write(`ocsf ${period.label}: ${[...events].map(([k, l]) => `${l.length} ${OCSF_CLASSES[k].class_name} (${OCSF_CLASSES[k].class_uid})`).join(', ')} → ${out}\n`);
  return 0;
}
