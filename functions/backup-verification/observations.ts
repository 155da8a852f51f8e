/**
 * What the function learns from an event, whatever its origin (an ERP fact, an AWS Backup or
 * KMS event): one observation about a dataset. The state, the ledger and the checks read
 * observations only, so ERP and AWS evidence count alike. Pure.
 */
import type { BackupCompleted, BackupFailed, ReplicationStatus, RestoreTestResult } from '../../schemas/registry.ts';
import type { DatasetKey } from './catalogue.ts';

interface Base {
  readonly eventId: string;
  /** When it happened (ISO UTC). */
  readonly at: string;
  readonly origin: 'erp' | 'aws';
}

export type Observation = Base &
  (
    | { readonly kind: 'backup'; readonly ref: string; readonly full: boolean; readonly offsite?: boolean; readonly encrypted?: boolean; readonly keyArn?: string; readonly retainUntil?: string; readonly sizeBytes?: number; readonly location?: string }
    | { readonly kind: 'backup-failed'; readonly ref?: string; readonly status: string; readonly message?: string }
    | { readonly kind: 'copy'; readonly ref?: string; readonly ok: boolean; readonly offsite: boolean; readonly destination?: string; readonly status: string; readonly message?: string }
    | { readonly kind: 'replication'; readonly replica: string; readonly state: 'in-sync' | 'lagging' | 'broken'; readonly lagSeconds: number; readonly offsite?: boolean; readonly encryptedInTransit?: boolean }
    | {
        readonly kind: 'restore-test';
        readonly testId: string;
        readonly ref?: string;
        readonly outcome: 'passed' | 'failed';
        readonly startedAt: string;
        readonly finishedAt: string;
        readonly recordsVerified?: number;
        readonly expectedRecords?: number;
        readonly sourceChecksum?: string;
        readonly restoredChecksum?: string;
        readonly applicationHealthy?: boolean;
        readonly failureReason?: string;
      }
    | { readonly kind: 'key-at-risk'; readonly keyArn: string; readonly what: 'deletion' | 'expiry' }
    | { readonly kind: 'noted'; readonly what: string; readonly status?: string }
  );

export type ObservationKind = Observation['kind'];

/** An observation with what names its dataset. */
export interface Keyed {
  readonly key: DatasetKey;
  readonly observation: Observation;
}

const iso = (at: string) => new Date(at).toISOString();

type ErpFact =
  | { eventId: string; time: string; detailType: 'Backup Completed'; detail: BackupCompleted }
  | { eventId: string; time: string; detailType: 'Backup Failed'; detail: BackupFailed }
  | { eventId: string; time: string; detailType: 'Replication Status'; detail: ReplicationStatus }
  | { eventId: string; time: string; detailType: 'Restore Test Result'; detail: RestoreTestResult };

/** An ERP backup fact (already checked against its contract) as an observation. */
export function fromErpFact(fact: ErpFact): Keyed {
  const base = { eventId: fact.eventId, origin: 'erp' as const };
  switch (fact.detailType) {
    case 'Backup Completed': {
      const d = fact.detail;
      return {
        key: { dataset: d.dataset, system: d.system, tier: d.tier },
        observation: {
          ...base, kind: 'backup', at: iso(d.finishedAt), ref: d.backupId, full: d.kind === 'full', encrypted: d.encrypted, sizeBytes: d.sizeBytes, location: d.location,
          ...(d.offsite !== undefined ? { offsite: d.offsite } : {}),
          ...(d.encryption !== undefined ? { keyArn: d.encryption } : {}),
          ...(d.retainUntil !== undefined ? { retainUntil: iso(d.retainUntil) } : {}),
        },
      };
    }
    case 'Backup Failed': {
      const d = fact.detail;
      return { key: { dataset: d.dataset, system: d.system, tier: d.tier }, observation: { ...base, kind: 'backup-failed', at: iso(fact.time), status: 'FAILED', message: d.error, ...(d.backupId ? { ref: d.backupId } : {}) } };
    }
    case 'Replication Status': {
      const d = fact.detail;
      return {
        key: { dataset: d.dataset, system: d.system, tier: 'hot' },
        observation: { ...base, kind: 'replication', at: iso(fact.time), replica: d.replica, state: d.state, lagSeconds: d.lagSeconds, ...(d.offsite !== undefined ? { offsite: d.offsite } : {}), ...(d.encryptedInTransit !== undefined ? { encryptedInTransit: d.encryptedInTransit } : {}) },
      };
    }
    case 'Restore Test Result': {
      const d = fact.detail;
      return {
        key: { dataset: d.dataset, system: d.system },
        observation: {
          ...base, kind: 'restore-test', at: iso(d.finishedAt), testId: d.testId, ref: d.backupId, outcome: d.outcome, startedAt: iso(d.startedAt), finishedAt: iso(d.finishedAt),
          ...(d.recordsVerified !== undefined ? { recordsVerified: d.recordsVerified } : {}),
          ...(d.expectedRecords !== undefined ? { expectedRecords: d.expectedRecords } : {}),
          ...(d.sourceChecksum !== undefined ? { sourceChecksum: d.sourceChecksum } : {}),
          ...(d.restoredChecksum !== undefined ? { restoredChecksum: d.restoredChecksum } : {}),
          ...(d.applicationHealthy !== undefined ? { applicationHealthy: d.applicationHealthy } : {}),
          ...(d.failureReason !== undefined ? { failureReason: d.failureReason } : {}),
        },
      };
    }
  }
}
