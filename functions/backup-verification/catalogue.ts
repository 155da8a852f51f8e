/**
 * The backup catalogue (policy `backups`): which dataset an event is about, and what its tier
 * asks of it. Pure.
 */
import { createHash } from 'node:crypto';
import type { Policy } from '../../schemas/policy.ts';
import { addDays, addMinutes, DAY_MS, MINUTE_MS } from '../shared/time.ts';

export type BackupPolicy = Policy['backups'];
export type Dataset = BackupPolicy['catalogue'][number];

/** What names a dataset in an event: its id, an ERP system, an AWS resource ARN (with tags), a recovery point. */
export interface DatasetKey {
  readonly dataset?: string;
  readonly system?: string;
  readonly resourceArn?: string;
  readonly tags?: Readonly<Record<string, string>>;
  /** ERP facts carry their tier: a system with a hot and a cold dataset is told apart by it. */
  readonly tier?: 'hot' | 'cold';
}

const arnMatches = (pattern: string, arn: string) => (pattern.endsWith('*') ? arn.startsWith(pattern.slice(0, -1)) : pattern === arn);

/** The catalogue dataset a key names, or undefined ("not in the catalogue"). */
export function findDataset(policy: BackupPolicy, key: DatasetKey): Dataset | undefined {
  const { catalogue } = policy;
  if (key.dataset !== undefined) return catalogue.find((d) => d.id === key.dataset);
  if (key.resourceArn !== undefined) {
    const byArn = catalogue.find((d) => d.aws.resourceArns.some((p) => arnMatches(p, key.resourceArn as string)));
    if (byArn) return byArn;
  }
  const tag = key.tags?.[policy.aws.datasetTagKey];
  if (tag !== undefined) {
    const byTag = catalogue.find((d) => d.aws.tag === tag || d.id === tag);
    if (byTag) return byTag;
  }
  if (key.system !== undefined) {
    const bySystem = catalogue.filter((d) => d.system === key.system);
    return bySystem.find((d) => d.tier === key.tier) ?? (bySystem.length === 1 ? bySystem[0] : undefined);
  }
  return undefined;
}

/** How a key is shown in an "unknown dataset" finding, and what identifies that finding. */
export function describeKey(key: DatasetKey): string {
  if (key.dataset !== undefined) return `dataset ${key.dataset}`;
  if (key.resourceArn !== undefined) return `resource ${key.resourceArn}`;
  if (key.system !== undefined) return `system ${key.system}${key.tier ? ` (${key.tier})` : ''}`;
  return 'an event naming no dataset, system or resource';
}

export const datasetsOfKey = (policy: BackupPolicy, keyArn: string): Dataset[] => policy.catalogue.filter((d) => d.aws.kmsKeyArns.some((k) => k === keyArn || keyArn.endsWith(`/${k}`) || k.endsWith(`/${keyArn}`)));

export const isSensitive = (policy: BackupPolicy, dataset: Dataset) => dataset.dataClasses.some((c) => policy.sensitiveDataClasses.includes(c));

export const offsiteTarget = (policy: BackupPolicy, dataset: Dataset) => dataset.offsiteTarget ?? (dataset.tier === 'hot' ? policy.tiers.hot.offsiteTarget : undefined);

/** The longest a dataset may go without a good backup (cold) or a replication heartbeat (hot), in ms. */
export const cadenceMs = (policy: BackupPolicy, dataset: Dataset) => (dataset.tier === 'hot' ? policy.tiers.hot.heartbeatEveryMinutes * MINUTE_MS : policy.tiers.cold.fullBackupEveryDays * DAY_MS);
export const cadenceText = (policy: BackupPolicy, dataset: Dataset) => (dataset.tier === 'hot' ? `${policy.tiers.hot.heartbeatEveryMinutes} min` : `${policy.tiers.cold.fullBackupEveryDays} days`);
export const restoreTestPeriodDays = (policy: BackupPolicy, dataset: Dataset) => policy.restoreTests.everyDays[dataset.tier];

/**
 * The earliest a backup taken at `at` may be deleted: `days` after it, counted leap-aware —
 * whole 365-day years become calendar years (1,095 days = the same date 3 years on, 1,096
 * days when a 29 February falls between), the rest as days.
 */
export function retentionFloor(at: Date | string, days: number): Date {
  const start = new Date(at);
  const years = Math.floor(days / 365);
  const shifted = new Date(start);
  shifted.setUTCFullYear(start.getUTCFullYear() + years);
  // 29 February + whole years lands on 1 March: keep it, it is never shorter.
  return addDays(shifted, days - years * 365);
}

/** Changes to the catalogue or its figures make every dataset due again (`enrolment`). */
export function catalogueFingerprint(policy: BackupPolicy): string {
  return createHash('sha256').update(JSON.stringify({ catalogue: policy.catalogue, tiers: policy.tiers, restoreTests: policy.restoreTests, mode: policy.mode, sensitive: policy.sensitiveDataClasses })).digest('hex').slice(0, 32);
}

export { addMinutes };
