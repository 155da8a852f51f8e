/**
 * Backup facts (guide area 1): backups of hot and cold data, off-site replication of hot data,
 * and restore tests. They let the pipeline check the tiering (1.1: hot replicated in real
 * time, cold fully backed up weekly and kept 3 years), that backups are restore-tested
 * (1.2), and that backups and replication are encrypted (1.3).
 */
import * as z from '../zod-mini.ts';
import { builtOnFirstUse, erpFact, identifier, inOrder, label, list, passedOrFailed, prose, timestamp } from './common.ts';

/** Hot: today's orders and inventory, replicated in real time. Cold: history (e.g. finance records), backed up weekly. */
export const dataTier = z.enum(['hot', 'cold']).check(z.describe('Data tier (1.1): "hot" = current operational data, "cold" = historical records.'));
export const backupKind = z.enum(['full', 'incremental', 'differential']).check(z.describe('Backup kind; only a full backup satisfies the weekly cold backup (1.1).'));

const system = () => identifier('System or database backed up, e.g. "sap-prd-hana", "kingdee-finance-db".');
const backupId = () => identifier('Id of the backup set, as the backup tool names it.');
/** Added within schemaVersion 1 (optional, so every earlier event stays valid). */
const dataset = () => z.optional(identifier('Dataset of the backup catalogue (policy backups.catalogue[].id) the fact is about; without it the pipeline maps the fact by `system`.'));

export const backupCompleted = builtOnFirstUse(() => erpFact('A backup finished successfully (guide 1.1, 1.3).', {
  backupId: backupId(),
  system: system(),
  tier: dataTier,
  kind: backupKind,
  sizeBytes: z.number().check(z.int(), z.nonnegative(), z.describe('Size of the backup in bytes; a sudden drop hints at an incomplete backup.')),
  startedAt: timestamp('When the backup started.'),
  finishedAt: timestamp('When the backup finished.'),
  location: label('Where the backup is stored, e.g. "s3://erp-backups/prd/2026-03-01" or "offsite-dc-2:/vault".'),
  offsite: z.optional(z.boolean()).check(z.describe('Whether the location is off-site (another site or region).')),
  encrypted: z.boolean().check(z.describe('Whether the backup is encrypted at rest (1.3).')),
  encryption: z.optional(label('Encryption used, e.g. "AES-256 (KMS key erp-backup)".')),
  retainUntil: z.optional(timestamp('When the backup may be deleted; cold backups must be kept at least 3 years (1.1).')),
  dataClasses: z.optional(list(label('Data class'), 'Classes of data inside, e.g. "orders", "finance", "payroll", "customer"; sensitive classes must be encrypted (1.3).')),
  checksum: z.optional(label('Checksum of the backup set, e.g. "sha256:…".')),
  dataset: dataset(),
}).check(z.superRefine(inOrder('startedAt', 'finishedAt'))));
export type BackupCompleted = z.infer<ReturnType<typeof backupCompleted>>;

export const backupFailed = builtOnFirstUse(() => erpFact('A backup failed (guide 1.1).', {
  backupId: z.optional(backupId()).check(z.describe('Id of the backup set, if one was started.')),
  system: system(),
  tier: dataTier,
  kind: backupKind,
  startedAt: z.optional(timestamp('When the backup started.')),
  error: prose('What went wrong, as the backup tool reported it.'),
  errorCode: z.optional(label('Error code from the backup tool.')),
  dataset: dataset(),
}));
export type BackupFailed = z.infer<ReturnType<typeof backupFailed>>;

export const replicationState = z.enum(['in-sync', 'lagging', 'broken']);

export const replicationStatus = builtOnFirstUse(() => erpFact('Status of the real-time replication of hot data to the off-site server (guide 1.1, 1.3).', {
  system: system(),
  replica: label('The replica: off-site server, region or site, e.g. "dr-site-shenzhen".'),
  state: replicationState.check(z.describe('"in-sync", "lagging" (behind, but applying), or "broken" (not applying at all).')),
  lagSeconds: z.number().check(z.nonnegative(), z.describe('How far the replica is behind the primary, in seconds; compared with the policy\'s maximum lag.')),
  offsite: z.optional(z.boolean()).check(z.describe('Whether the replica is off-site; 1.1 requires it.')),
  encryptedInTransit: z.optional(z.boolean()).check(z.describe('Whether the replication link is encrypted (1.3).')),
  dataset: dataset(),
}));
export type ReplicationStatus = z.infer<ReturnType<typeof replicationStatus>>;

export const restoreTestResult = builtOnFirstUse(() => erpFact('A backup was restored to check that it can be (guide 1.2).', {
  testId: identifier('Id of the restore test.'),
  backupId: backupId().check(z.describe('Backup set that was restored.')),
  system: system(),
  restoredTo: label('Where it was restored, e.g. "restore-test-01 (isolated)".'),
  outcome: passedOrFailed.check(z.describe('"passed" when the restored system opened and its checks held.')),
  startedAt: timestamp('When the restore started.'),
  finishedAt: timestamp('When the restore and its checks finished.'),
  recordsVerified: z.optional(z.number().check(z.int(), z.nonnegative())).check(z.describe('Records checked after the restore (e.g. counts against the source).')),
  testedBy: identifier('Account or person who ran the test.'),
  failureReason: z.optional(prose('Why the restore test failed; required when outcome is "failed".')),
  dataset: dataset(),
  expectedRecords: z.optional(z.number().check(z.int(), z.nonnegative())).check(z.describe('Records the source held at the backup; a passing test shows recordsVerified equal to it (1.2).')),
  sourceChecksum: z.optional(label('Checksum of the backup set at the source.')),
  restoredChecksum: z.optional(label('Checksum of what was restored; a passing test shows it equal to sourceChecksum (1.2).')),
  applicationHealthy: z.optional(z.boolean()).check(z.describe('Whether the application opened and its health checks passed on the restored data (1.2).')),
}).check(z.superRefine(inOrder('startedAt', 'finishedAt')), z.superRefine((value, ctx) => {
  if (value.outcome === 'failed' && value.failureReason === undefined) {
    ctx.addIssue({ code: 'custom', path: ['failureReason'], input: undefined, message: 'must say why when outcome is "failed" — a failed restore test is only useful with its reason' });
  }
})));
export type RestoreTestResult = z.infer<ReturnType<typeof restoreTestResult>>;
