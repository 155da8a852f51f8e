/**
 * `erpgov audit verify [--from --to]`: recompute the sealed block chains and the records they
 * seal, and check them against the head anchors and manifests in the local archive; exit 1
 * naming the first broken block of each broken chain.
 * `erpgov audit search [KEYWORD] [--actor --action --module --source --from --to --limit --grant --json --athena]`;
 * with --athena it prints the same search as the named auditor query `audit-search` for Athena
 * over the archive's Glue table (AWS), the text `erpgov sql --query audit-search` runs on DuckDB;
 * with --grant ID only the operations access-governance tagged with that temporary grant (2.4).
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { anchoredHeadsFrom } from '../functions/shared/audit-trail/head-anchors.ts';
import { dynamoGrantStore, type GrantStore } from '../functions/access-governance/grant-store.ts';
import type { AuditRecord } from '../functions/shared/audit-trail/audit-record.ts';
import { dynamoAuditTrailStore, oldestIntactTrailDay, type AuditTrailStore } from '../functions/shared/audit-trail/audit-trail-store.ts';
import { integrityWarnings, matchesSearch, searchTrail, verifyTrail, type SearchFilters } from '../functions/shared/audit-trail/audit-queries.ts';
import { markResends } from '../functions/shared/audit-trail/resends.ts';
import { folderArchiveStore } from '../functions/shared/archive-store.ts';
import { processClock } from '../functions/shared/clock.ts';
import { utcDay } from '../functions/shared/time.ts';
import { auditSearchAthena } from './sql/auditor-queries.ts';
import { loadPolicy } from '../schemas/policy-loader.ts';
import { dataDirFrom } from './options.ts';
import { searchFilters, SEARCH_FILTER_FLAGS } from './search-filters.ts';
import { withStateTable } from './state-access.ts';
import { UsageError } from './usage.ts';

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const TIME = /^\d{4}-\d{2}-\d{2}(T[\d:.]+Z)?$/;
/** Records `audit search` shows when no --limit is given. */
const SEARCH_DEFAULT_LIMIT = 100;

export async function runAuditCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      'data-dir': { type: 'string' },
      endpoint: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      ...SEARCH_FILTER_FLAGS,
      grant: { type: 'string' },
      json: { type: 'boolean' },
      athena: { type: 'boolean' },
    },
  });
  const now = processClock.now();
  // By default, everything still hot: the policy's retention window (6.1).
  const retentionDays = loadPolicy().audit.retention.days;
  const oldestIntact = oldestIntactTrailDay(now, retentionDays);
  const from = values.from ?? oldestIntact;
  const to = values.to ?? utcDay(now);
  const pattern = sub === 'verify' ? DAY : TIME;
  for (const [flag, value] of [['--from', from], ['--to', to]] as const) {
    if (!pattern.test(value)) throw new UsageError(`${flag}: "${value}" is not ${sub === 'verify' ? 'a date YYYY-MM-DD' : 'a date YYYY-MM-DD or a UTC time YYYY-MM-DDTHH:MM:SSZ'}`);
  }
  const access = { dataDir: dataDirFrom(values['data-dir']), ...(values.endpoint ? { endpoint: values.endpoint } : {}) };
  const out = (line: string) => process.stdout.write(`${line}\n`);

  switch (sub) {
    case 'verify':
      return withStateTable(access, async ({ docs, tableName, via }) => {
        const started = performance.now();
        // Older chains may be partly gone by TTL, not by tampering: anchors count only for days still whole.
        const fromArchive = anchoredHeadsFrom(folderArchiveStore(join(access.dataDir, 'archive')));
        const report = await verifyTrail(dynamoAuditTrailStore(docs, tableName), from, to, async (day) => (day >= oldestIntact ? fromArchive(day) : []));
        const seconds = (performance.now() - started) / 1000;
        if (values.json) out(JSON.stringify(report, null, 2));
        else {
          out(`audit verify ${from}..${to} (${via}): ${report.chains} chains (${report.anchored} also against archived head anchors), ${report.records} records, ${(report.records / Math.max(seconds, 1e-9)).toFixed(0)} records/s`);
          for (const b of report.broken) out(`BROKEN ${b.chainId} at block ${b.seq}: ${b.kind} — ${b.message}`);
          out(report.broken.length === 0 ? 'OK: every chain is intact' : `${report.broken.length} chain(s) broken`);
        }
        return report.broken.length === 0 ? 0 : 1;
      });
    case 'search': {
      const filters = searchFilters({ from, to }, { ...values, keyword: positionals[0] ? positionals.join(' ') : undefined }, SEARCH_DEFAULT_LIMIT);
      if (values.athena && values.grant !== undefined) throw new UsageError('--grant cannot be combined with --athena: the grant tags live in the state table, not in the archive');
      if (values.athena) {
        // The same filters for the archive on AWS: the named query's SQL, to run in Athena.
        out(auditSearchAthena(filters).trimEnd());
        return 0;
      }
      return withStateTable(access, async ({ docs, tableName }) => {
        const trail = dynamoAuditTrailStore(docs, tableName);
        const found: (AuditRecord & { grant?: { grantId: string; attribution: string } })[] = values.grant === undefined ? await searchTrail(trail, filters) : await underGrant(trail, dynamoGrantStore(docs, tableName), values.grant, filters);
        // A record of a broken chain (or one no block seals) is shown, with why it cannot be trusted as found;
        // both deliveries of a resent ERP operation are shown, the later one marked.
        const warnings = await integrityWarnings(trail, found.map((r) => r.eventId));
        const records = markResends(found).map((r) => (warnings.has(r.eventId) ? { ...r, integrityWarning: warnings.get(r.eventId) as string } : r));
        if (values.json) out(JSON.stringify(records, null, 2));
        else {
          for (const r of records) {
            const tag = `${r.grant ? ` grant=${r.grant.grantId}(${r.grant.attribution})` : ''}${r.resendOf ? ` RESEND-OF=${r.resendOf}` : ''}`;
            out(`${r.occurredAt} ${r.source} ${r.detailType} actor=${r.actor ?? '-'} action=${r.action} target=${r.target ?? '-'} module=${r.module ?? '-'}${r.recordCount !== null ? ` records=${r.recordCount}` : ''}${r.valid ? '' : ' INVALID'}${skewTag(r)}${tag} id=${r.eventId}`);
            const warning = warnings.get(r.eventId);
            if (warning) out(`  WARNING: ${warning}`);
          }
          out(`${records.length} record(s)${warnings.size > 0 ? `, ${warnings.size} from a chain that does not verify: run audit verify` : ''}`);
          // Records keep the time the event claimed: a future-dated one lies beyond today, where the default range stops.
          if (values.to === undefined) out(`(up to ${to}; future-dated records, flagged FUTURE-DATED, keep their claimed time: add --to <later date> to see them)`);
        }
        return 0;
      });
    }
    default:
      throw new UsageError(`unknown audit subcommand "${sub ?? ''}"; allowed: verify, search`);
  }
}

/** A record whose time cannot be believed: what it claimed (its occurredAt) and when it really arrived. */
function skewTag(r: AuditRecord): string {
  if (r.clockSkew === undefined) return '';
  return ` ${r.clockSkew.kind === 'future' ? 'FUTURE-DATED' : 'TOO-OLD'}(arrived ${r.clockSkew.receivedAt}; ${r.clockSkew.allowed})`;
}

/** 2.4: the trail's records of the operations access-governance tagged with the grant, filtered like any search. */
async function underGrant(trail: AuditTrailStore, grants: GrantStore, grantId: string, filters: SearchFilters) {
  const records = [];
  for (const op of await grants.operations(grantId)) {
    const link = await trail.get(op.eventId);
    if (link && matchesSearch(link.record, filters)) records.push({ ...link.record, grant: { grantId, attribution: op.attribution } });
    if (records.length >= (filters.limit ?? Infinity)) break;
  }
  return records;
}
