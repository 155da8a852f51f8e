/**
 * AWS Backup and KMS events as AWS sends them (guide 1.1–1.3 evidence), read tolerantly: the
 * ERP contract does not cover them and a strict envelope would refuse a share of AWS's own
 * events (ids that are not UUIDs, odd accounts, no `resources`, numbers and booleans as
 * strings, dates as ISO text or epoch numbers). Status lives in `state` for backup and copy
 * jobs and in `status` for restore jobs and recovery points: both are read, always. What
 * cannot be read is "malformed" — flagged as a finding by the flow, never an error (the audit
 * trail already keeps the event verbatim). Pure.
 */
import * as z from '../../schemas/zod-mini.ts';
import type { BackupPolicy, DatasetKey } from './catalogue.ts';
import { addDays } from '../shared/time.ts';
import type { Observation } from './observations.ts';

const text = z.pipe(z.union([z.string(), z.number()]), z.transform(String));
/** A number, or a string holding one ("7200"). */
const numeric = z.union([z.number(), z.pipe(z.string().check(z.trim(), z.regex(/^-?\d+(\.\d+)?$/)), z.transform(Number))]);
/** A boolean, or "true"/"false". */
const flag = z.union([z.boolean(), z.pipe(z.enum(['true', 'false', 'TRUE', 'FALSE', 'True', 'False']), z.transform((v) => v.toLowerCase() === 'true'))]);
/** ISO text, or epoch seconds (AWS's API spelling) as a number or a string. */
const instant = z.union([
  z.pipe(z.number(), z.transform((n) => new Date(n < 1e11 ? n * 1000 : n))),
  z.pipe(z.string().check(z.trim(), z.minLength(1)), z.transform((s) => (/^\d+(\.\d+)?$/.test(s) ? new Date(Number(s) < 1e11 ? Number(s) * 1000 : Number(s)) : new Date(s)))),
]).check(z.refine((d) => !Number.isNaN(d.getTime()), { message: 'not a date' }));

/** The envelope, loosely: only what the function needs, in whatever type AWS gave it. */
export const awsServiceEnvelope = z.looseObject({
  id: text,
  source: z.string().check(z.minLength(1)),
  'detail-type': z.string().check(z.minLength(1)),
  time: instant,
  account: z.optional(z.unknown()),
  region: z.optional(z.string()),
  resources: z.optional(z.array(z.unknown())),
  detail: z.record(z.string(), z.unknown()),
});

const lifecycle = z.optional(z.looseObject({ deleteAfterDays: z.optional(numeric), DeleteAfterDays: z.optional(numeric) }));
const calculated = z.optional(z.looseObject({ deleteAt: z.optional(instant), DeleteAt: z.optional(instant) }));
const tags = z.optional(z.record(z.string(), text));

/** Optional fields of one type: `{ name: schema.optional(), ... }`. */
function optionalFields<const K extends string, T extends z.ZodMiniType>(schema: T, names: readonly K[]): Record<K, z.ZodMiniOptional<T>> {
  return Object.fromEntries(names.map((name) => [name, z.optional(schema)])) as Record<K, z.ZodMiniOptional<T>>;
}

/** Fields of the AWS Backup details the function reads (camelCase as EventBridge delivers them), by type; anything else is kept, not read. */
const backupDetail = z.looseObject({
  ...optionalFields(z.string(), [
    'state', 'status', 'statusMessage', 'resourceArn', 'sourceResourceArn', 'resourceType',
    'recoveryPointArn', 'sourceRecoveryPointArn', 'destinationRecoveryPointArn',
    'backupVaultArn', 'backupVaultName', 'destinationBackupVaultArn', 'sourceBackupVaultArn',
    'encryptionKeyArn', 'validationStatus',
  ]),
  ...optionalFields(text, ['backupJobId', 'copyJobId', 'restoreJobId']),
  ...optionalFields(instant, ['creationDate', 'completionDate']),
  backupSizeInBytes: z.optional(numeric),
  isEncrypted: z.optional(flag),
  lifecycle,
  calculatedLifecycle: calculated,
  tags,
  resourceTags: tags,
});

/** The event a reading came from: a readable resend of a malformed event (same source and id) clears its finding. */
export interface AwsEventRef {
  readonly source: string;
  readonly eventId: string;
}

type Reading =
  | { readonly kind: 'observed'; readonly key: DatasetKey; readonly observation: Observation; readonly recoveryPointArn?: string }
  | { readonly kind: 'key-at-risk'; readonly observation: Extract<Observation, { kind: 'key-at-risk' }> }
  | { readonly kind: 'ignored'; readonly reason: string }
  | { readonly kind: 'malformed'; readonly detailType: string; readonly problems: readonly string[] };
export type AwsReading = Reading & AwsEventRef;

export const isAwsServiceEvent = (event: unknown): boolean => {
  const source = (event as { source?: unknown } | null)?.source;
  return typeof source === 'string' && source.startsWith('aws.') && source !== 'aws.events';
};

const GOOD_JOB = new Set(['COMPLETED']);
const BAD_JOB = new Set(['FAILED', 'ABORTED', 'EXPIRED', 'PARTIAL']);
const GOOD_POINT = new Set(['COMPLETED', 'AVAILABLE']);
const BAD_POINT = new Set(['PARTIAL', 'STOPPED']);

const regionOf = (arn: string | undefined) => arn?.split(':')[3];

const show = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v) : '(missing)');
const malformed = (event: Record<string, unknown>, problems: string[]): Reading => ({ kind: 'malformed', detailType: show(event['detail-type']), problems });

/** Reads one AWS service event; never throws. */
export function readAwsEvent(raw: unknown, policy: BackupPolicy): AwsReading {
  const event = (raw ?? {}) as Record<string, unknown>;
  const envelope = awsServiceEnvelope.safeParse(raw);
  if (!envelope.success) return { ...malformed(event, envelope.error.issues.map((i) => `${i.path.join('.') || '(event)'}: ${i.message}`)), source: show(event.source), eventId: show(event.id) };
  return { ...readEnvelope(envelope.data, event, policy), source: envelope.data.source, eventId: envelope.data.id };
}

function readEnvelope(e: z.infer<typeof awsServiceEnvelope>, event: Record<string, unknown>, policy: BackupPolicy): Reading {
  const base = { eventId: e.id, origin: 'aws' as const };
  const detailType = e['detail-type'];
  const firstResource = e.resources?.find((r): r is string => typeof r === 'string');

  if (e.source === 'aws.kms') {
    const keyArn = firstResource ?? (typeof e.detail['key-id'] === 'string' ? (e.detail['key-id'] as string) : undefined);
    if (keyArn === undefined) return malformed(event, ['resources / detail.key-id: names no key']);
    const what = detailType === 'KMS CMK Deletion' ? 'deletion' : detailType === 'KMS Imported Key Material Expiration' ? 'expiry' : undefined;
    if (what === undefined) return { kind: 'ignored', reason: `${detailType} is no evidence against a key` };
    return { kind: 'key-at-risk', observation: { ...base, kind: 'key-at-risk', at: e.time.toISOString(), keyArn, what } };
  }
  if (e.source !== 'aws.backup') return { kind: 'ignored', reason: `${e.source} is not governed here` };

  const parsed = backupDetail.safeParse(e.detail);
  if (!parsed.success) return malformed(event, parsed.error.issues.map((i) => `detail.${i.path.join('.')}: ${i.message}`));
  const d = parsed.data;
  // Backup and copy jobs say `state`, restore jobs and recovery points `status`: read both.
  const status = (d.state ?? d.status)?.toUpperCase();
  const at = (d.completionDate ?? e.time).toISOString();
  const resourceArn = d.resourceArn ?? d.sourceResourceArn ?? firstResource;
  const key: DatasetKey = { ...(resourceArn !== undefined ? { resourceArn } : {}), ...(d.tags ?? d.resourceTags ? { tags: d.tags ?? d.resourceTags } : {}) };
  const needStatus = () => malformed(event, ['detail.state / detail.status: neither is present']);
  const retainUntil = () => {
    const deleteAt = d.calculatedLifecycle?.deleteAt ?? d.calculatedLifecycle?.DeleteAt;
    if (deleteAt) return deleteAt.toISOString();
    const days = d.lifecycle?.deleteAfterDays ?? d.lifecycle?.DeleteAfterDays;
    return days !== undefined ? addDays(d.creationDate ?? e.time, days).toISOString() : undefined;
  };
  const offsiteVault = (arn: string | undefined) => arn !== undefined && policy.aws.offsiteVaultArns.includes(arn);

  switch (detailType) {
    case 'Backup Job State Change':
    case 'Recovery Point State Change': {
      if (status === undefined) return needStatus();
      const good = detailType === 'Backup Job State Change' ? GOOD_JOB : GOOD_POINT;
      const bad = detailType === 'Backup Job State Change' ? BAD_JOB : BAD_POINT;
      const ref = d.recoveryPointArn ?? d.backupJobId;
      const mapped = d.recoveryPointArn !== undefined ? { recoveryPointArn: d.recoveryPointArn } : {};
      if (good.has(status)) {
        const until = retainUntil();
        return {
          kind: 'observed', key, ...mapped,
          observation: {
            ...base, kind: 'backup', at, ref: ref ?? e.id, full: true,
            ...(offsiteVault(d.backupVaultArn) ? { offsite: true } : {}),
            ...(d.isEncrypted !== undefined ? { encrypted: d.isEncrypted } : d.encryptionKeyArn ? { encrypted: true } : {}),
            ...(d.encryptionKeyArn ? { keyArn: d.encryptionKeyArn } : {}),
            ...(until ? { retainUntil: until } : {}),
            ...(d.backupSizeInBytes !== undefined ? { sizeBytes: d.backupSizeInBytes } : {}),
            ...(d.backupVaultArn ? { location: d.backupVaultArn } : {}),
          },
        };
      }
      if (bad.has(status)) return { kind: 'observed', key, ...mapped, observation: { ...base, kind: 'backup-failed', at, status, ...(ref ? { ref } : {}), ...(d.statusMessage ? { message: d.statusMessage } : {}) } };
      return { kind: 'observed', key, ...mapped, observation: { ...base, kind: 'noted', at, what: detailType, status } };
    }
    case 'Copy Job State Change': {
      if (status === undefined) return needStatus();
      const destination = d.destinationBackupVaultArn;
      const offsite = offsiteVault(destination) || (destination !== undefined && d.sourceBackupVaultArn !== undefined && regionOf(destination) !== regionOf(d.sourceBackupVaultArn));
      if (GOOD_JOB.has(status) || BAD_JOB.has(status)) {
        return { kind: 'observed', key, observation: { ...base, kind: 'copy', at, ok: GOOD_JOB.has(status), offsite, status, ...(destination ? { destination } : {}), ...(d.copyJobId ? { ref: d.copyJobId } : {}), ...(d.statusMessage ? { message: d.statusMessage } : {}) } };
      }
      return { kind: 'observed', key, observation: { ...base, kind: 'noted', at, what: detailType, status } };
    }
    case 'Restore Job State Change': {
      if (status === undefined) return needStatus();
      const mapped = d.recoveryPointArn !== undefined ? { recoveryPointArn: d.recoveryPointArn } : {};
      if (status === 'COMPLETED' || status === 'FAILED' || status === 'ABORTED') {
        const started = (d.creationDate ?? e.time).toISOString();
        const validation = d.validationStatus?.toUpperCase();
        return {
          kind: 'observed', key, ...mapped,
          observation: {
            ...base, kind: 'restore-test', at, testId: d.restoreJobId ?? e.id, outcome: status === 'COMPLETED' && validation !== 'FAILED' ? 'passed' : 'failed', startedAt: started, finishedAt: at,
            ...(d.recoveryPointArn ? { ref: d.recoveryPointArn } : {}),
            ...(validation === 'SUCCESSFUL' ? { applicationHealthy: true } : validation === 'FAILED' ? { applicationHealthy: false } : {}),
            ...(status !== 'COMPLETED' || validation === 'FAILED' ? { failureReason: d.statusMessage ?? `restore job ${status.toLowerCase()}` } : {}),
          },
        };
      }
      return { kind: 'observed', key, ...mapped, observation: { ...base, kind: 'noted', at, what: detailType, status } };
    }
    case 'Recovery Point Change':
    case 'Scan Job State Change':
      return resourceArn === undefined ? { kind: 'ignored', reason: `${detailType} names no resource` } : { kind: 'observed', key, observation: { ...base, kind: 'noted', at, what: detailType, ...(status ? { status } : {}) } };
    default:
      return { kind: 'ignored', reason: `${detailType} concerns no dataset` };
  }
}
