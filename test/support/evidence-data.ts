/**
 * A data folder with a month (2026-10) of evidence for the evidence pack's tests: audit records
 * across the areas (a leaver revoked after 20 hours, logins, a backup, a change), a 2.3 finding
 * raised and resolved, a 2.2 finding still open, a 6.2 finding under an exception.
 */
import { findingLifecycle } from '../../functions/shared/findings/lifecycle.ts';
import { dynamoFindingsStore, subjectScope } from '../../functions/shared/findings/findings-store.ts';
import type { Finding } from '../../functions/shared/findings/finding.ts';
import { dynamoAuditTrailStore } from '../../functions/shared/audit-trail/audit-trail-store.ts';
import { toAuditRecord } from '../../functions/shared/audit-trail/audit-record.ts';
import { withStateTable } from '../../cli/state-access.ts';

let n = 0;
const event = (detailType: string, detail: Record<string, unknown>, time: string) => ({
  version: '0',
  id: `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
  'detail-type': detailType,
  source: 'erp.sap',
  account: '000000000000',
  time,
  region: 'us-east-1',
  resources: [],
  detail: { schemaVersion: 1, ...detail },
});

const finding = (control: string, rule: string, id: string, title: string): Finding => ({
  findingId: `${control}-${rule}-${id}`,
  control,
  rule,
  title,
  severity: 'high',
  mode: 'enforce',
  subject: { type: 'account', id },
  summary: title,
  facts: {},
  eventIds: [],
});

export async function seedEvidenceMonth(dataDir: string): Promise<void> {
  await withStateTable({ dataDir, endpoint: 'http://127.0.0.1:1' }, async ({ docs, tableName }) => {
    const trail = dynamoAuditTrailStore(docs, tableName);
    const events = [
      event('Employee Departed', { person: 'E-100', departedAt: '2026-10-05T08:00:00.000Z', accounts: ['u100'] }, '2026-10-05T08:00:00.000Z'),
      event('Role Revoked', { account: 'u100', person: 'E-100', role: 'SALES', revokedBy: 'admin1', reason: 'departure' }, '2026-10-06T04:00:00.000Z'),
      event('Login', { account: 'u200', person: 'E-200', deviceId: 'AA:BB:CC:DD:EE:01', outcome: 'success' }, '2026-10-07T09:00:00.000Z'),
      event('Operation Audited', { actor: 'u200', action: 'update', module: 'sales', target: 'order-1' }, '2026-10-07T09:05:00.000Z'),
    ];
    for (const e of events) await trail.append(toAuditRecord(e, new Date(e.time)), new Date(e.time));
    const lifecycle = findingLifecycle({ store: dynamoFindingsStore(docs, tableName), publisher: { publish: async () => {} } }, 'access-governance');
    const leaver = finding('2.3', 'leaver-not-revoked', 'u100', 'Leaver not revoked within 24 h');
    await lifecycle.raise(subjectScope('access-governance', 'u100'), leaver, new Date('2026-10-06T08:00:00.000Z'));
    await lifecycle.resolve(subjectScope('access-governance', 'u100'), leaver.findingId, { summary: 'revoked' }, new Date('2026-10-06T09:00:00.000Z'));
    await lifecycle.raise(subjectScope('access-governance', 'u300'), finding('2.2', 'shared-account', 'u300', 'Shared account'), new Date('2026-10-10T08:00:00.000Z'));
  });
}
