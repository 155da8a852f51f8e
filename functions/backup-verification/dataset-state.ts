/**
 * A dataset's state: the latest evidence of each kind, folded from observations in any order
 * (each field keeps the latest by time, so a late-delivered event cannot hide a newer one and
 * a redelivery changes nothing). Pure.
 */
import { retentionFloor, type BackupPolicy, type Dataset } from './catalogue.ts';
import type { Observation } from './observations.ts';

export interface Mark {
  readonly at: string;
  readonly eventId: string;
  readonly note?: string;
}

export interface RestoreVerdict extends Mark {
  readonly testId: string;
  readonly verdict: 'passed' | 'failed' | 'inconclusive';
  readonly problems: readonly string[];
  readonly durationMinutes: number;
  readonly overRto: boolean;
}

export interface DatasetState {
  readonly datasetId: string;
  /** When the dataset entered the catalogue's watch: deadlines run from here until evidence arrives. */
  readonly enrolledAt: string;
  /** Latest instant the checks judged at; checks never judge earlier (time only moves forward). */
  readonly evaluatedAt?: string;
  readonly lastGoodBackup?: Mark & { readonly full: boolean };
  readonly lastGoodFullBackup?: Mark;
  readonly lastFailure?: Mark & { readonly status: string };
  readonly lastOffsite?: Mark;
  readonly lastNotOffsite?: Mark;
  readonly lastRetentionOk?: Mark;
  readonly lastRetentionShort?: Mark & { readonly retainUntil: string; readonly floor: string };
  readonly lastEncrypted?: Mark & { readonly keyArn?: string };
  readonly lastUnencrypted?: Mark;
  readonly keyAtRisk?: Mark & { readonly keyArn: string; readonly what: string };
  readonly lastHeartbeat?: Mark & { readonly state: string; readonly lagSeconds: number };
  readonly lastRestore?: RestoreVerdict;
  readonly lastPassingRestore?: RestoreVerdict;
  readonly lastFailedRestore?: RestoreVerdict;
  readonly lastSlowRestore?: RestoreVerdict;
}

const later = <M extends Mark>(current: M | undefined, next: M): M => (current === undefined || next.at > current.at || (next.at === current.at && next.eventId >= current.eventId) ? next : current);

/** What a restore test shows against what the policy requires of a passing one. */
export function judgeRestore(o: Extract<Observation, { kind: 'restore-test' }>, dataset: Dataset, policy: BackupPolicy): RestoreVerdict {
  const durationMinutes = Math.round((Date.parse(o.finishedAt) - Date.parse(o.startedAt)) / 60_000);
  const overRto = durationMinutes > dataset.rtoMinutes;
  const failures: string[] = [];
  const missing: string[] = [];
  if (o.outcome === 'failed') failures.push(o.failureReason ?? 'the restore test failed');
  const must = new Set(policy.restoreTests.mustShow);
  if (o.recordsVerified !== undefined && o.expectedRecords !== undefined && o.recordsVerified !== o.expectedRecords) failures.push(`record counts differ: ${o.recordsVerified} restored, ${o.expectedRecords} at the source`);
  else if (must.has('row-counts') && (o.recordsVerified === undefined || o.expectedRecords === undefined)) missing.push('row counts');
  if (o.sourceChecksum !== undefined && o.restoredChecksum !== undefined && o.sourceChecksum !== o.restoredChecksum) failures.push('checksums differ');
  else if (must.has('checksum') && (o.sourceChecksum === undefined || o.restoredChecksum === undefined)) missing.push('checksum');
  if (o.applicationHealthy === false) failures.push('the application was not healthy on the restored data');
  else if (must.has('application-health') && o.applicationHealthy === undefined) missing.push('application health');
  const verdict = failures.length > 0 ? 'failed' : overRto && must.has('within-rto') ? 'failed' : missing.length > 0 ? 'inconclusive' : 'passed';
  const problems = [...failures, ...(overRto ? [`took ${durationMinutes} min, RTO ${dataset.rtoMinutes} min`] : []), ...missing.map((m) => `does not show ${m}`)];
  return { at: o.at, eventId: o.eventId, testId: o.testId, verdict, problems, durationMinutes, overRto };
}

/** The state after one more observation. */
export function fold(state: DatasetState, o: Observation, dataset: Dataset, policy: BackupPolicy): DatasetState {
  const mark: Mark = { at: o.at, eventId: o.eventId };
  switch (o.kind) {
    case 'backup': {
      let next: DatasetState = { ...state, lastGoodBackup: later(state.lastGoodBackup, { ...mark, full: o.full, note: o.ref }) };
      if (o.full) next = { ...next, lastGoodFullBackup: later(state.lastGoodFullBackup, { ...mark, note: o.ref }) };
      if (o.offsite === true) next = { ...next, lastOffsite: later(state.lastOffsite, { ...mark, note: o.location ?? o.ref }) };
      if (o.offsite === false) next = { ...next, lastNotOffsite: later(state.lastNotOffsite, { ...mark, note: o.location ?? o.ref }) };
      if (o.encrypted === true) next = { ...next, lastEncrypted: later(state.lastEncrypted, { ...mark, ...(o.keyArn ? { keyArn: o.keyArn } : {}) }) };
      if (o.encrypted === false) next = { ...next, lastUnencrypted: later(state.lastUnencrypted, { ...mark, note: `backup ${o.ref} is not encrypted at rest` }) };
      if (dataset.tier === 'cold' && o.full && o.retainUntil !== undefined) {
        const floor = retentionFloor(o.at, policy.tiers.cold.minRetentionDays).toISOString();
        next = o.retainUntil >= floor
          ? { ...next, lastRetentionOk: later(state.lastRetentionOk, mark) }
          : { ...next, lastRetentionShort: later(state.lastRetentionShort, { ...mark, retainUntil: o.retainUntil, floor, note: o.ref }) };
      }
      return next;
    }
    case 'backup-failed':
      return { ...state, lastFailure: later(state.lastFailure, { ...mark, status: o.status, note: o.message ?? o.ref }) };
    case 'copy':
      if (!o.ok) return { ...state, lastNotOffsite: later(state.lastNotOffsite, { ...mark, note: `copy ${o.status.toLowerCase()}${o.message ? `: ${o.message}` : ''}` }) };
      return o.offsite ? { ...state, lastOffsite: later(state.lastOffsite, { ...mark, note: o.destination }) } : { ...state, lastNotOffsite: later(state.lastNotOffsite, { ...mark, note: `copy to ${o.destination ?? 'a vault'} that is not off-site` }) };
    case 'replication': {
      let next: DatasetState = { ...state, lastHeartbeat: later(state.lastHeartbeat, { ...mark, state: o.state, lagSeconds: o.lagSeconds, note: o.replica }) };
      if (o.offsite === true) next = { ...next, lastOffsite: later(state.lastOffsite, { ...mark, note: o.replica }) };
      if (o.offsite === false) next = { ...next, lastNotOffsite: later(state.lastNotOffsite, { ...mark, note: `replica ${o.replica} is not off-site` }) };
      if (o.encryptedInTransit === true) next = { ...next, lastEncrypted: later(state.lastEncrypted, mark) };
      if (o.encryptedInTransit === false) next = { ...next, lastUnencrypted: later(state.lastUnencrypted, { ...mark, note: `replication to ${o.replica} is not encrypted in transit` }) };
      return next;
    }
    case 'restore-test': {
      const verdict = judgeRestore(o, dataset, policy);
      let next: DatasetState = { ...state, lastRestore: later(state.lastRestore, verdict) };
      if (verdict.verdict === 'passed') next = { ...next, lastPassingRestore: later(state.lastPassingRestore, verdict) };
      if (verdict.problems.some((p) => !p.startsWith('does not show') && !p.startsWith('took'))) next = { ...next, lastFailedRestore: later(state.lastFailedRestore, verdict) };
      if (verdict.overRto) next = { ...next, lastSlowRestore: later(state.lastSlowRestore, verdict) };
      return next;
    }
    case 'key-at-risk':
      return { ...state, keyAtRisk: later(state.keyAtRisk, { ...mark, keyArn: o.keyArn, what: o.what }) };
    case 'noted':
      return state;
  }
}
