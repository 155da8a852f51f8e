/**
 * The backup-verification flows over ports (the store, the lifecycle): record an observation
 * into its dataset's state and ledger, then reconcile the dataset's findings with what the
 * checks call for; sweep the datasets that are due; flag what cannot be mapped or read.
 * Every finding goes through the shared lifecycle.
 */
import type { EventPublisher } from '../shared/ports.ts';
import { findingLifecycle, type FindingLifecycle } from '../shared/findings/lifecycle.ts';
import { subjectScope } from '../shared/findings/findings-store.ts';
import { isLive } from '../shared/findings/finding.ts';
import { retentionExpiry } from '../shared/time.ts';
import type { Policy } from '../../schemas/policy.ts';
import { catalogueFingerprint, datasetsOfKey, describeKey, findDataset, type Dataset, type DatasetKey } from './catalogue.ts';
import { backupFinding, DETECTED_BY, evaluateDataset, findingIdOf } from './backup-checks.ts';
import { fold, type DatasetState } from './dataset-state.ts';
import type { AwsReading } from './aws-events.ts';
import type { Keyed, Observation } from './observations.ts';
import { datasetScope, type BackupStore } from './backup-store.ts';

export interface BackupDeps {
  readonly store: BackupStore;
  readonly publisher: EventPublisher;
  readonly policy: Policy;
}

export interface Outcome {
  readonly raised: string[];
  readonly updated: string[];
  readonly resolved: string[];
}

const MAX_ATTEMPTS = 8;
export const UNCATALOGUED_SCOPE = subjectScope(DETECTED_BY, 'uncatalogued');
export const MALFORMED_SCOPE = subjectScope(DETECTED_BY, 'malformed-aws-events');

const lifecycleOf = (deps: BackupDeps): FindingLifecycle => findingLifecycle({ store: deps.store.findings, publisher: deps.publisher }, DETECTED_BY);
const empty = (): Outcome => ({ raised: [], updated: [], resolved: [] });
const merge = (into: Outcome, from: Outcome) => {
  into.raised.push(...from.raised);
  into.updated.push(...from.updated);
  into.resolved.push(...from.resolved);
  return into;
};
const latest = (...at: (string | undefined)[]) => at.filter((a): a is string => a !== undefined).sort().at(-1) as string;
/** Evidence is kept as long as a cold backup must be (the ledger answers for it). */
const ledgerExpiry = (policy: Policy, at: string) => retentionExpiry(at, Math.max(policy.backups.tiers.cold.minRetentionDays, policy.audit.retention.days) + 31);

/**
 * Reads a dataset, applies `change` to its state, judges it at `now` (never earlier than it was
 * last judged) and reconciles its findings; optimistic, retried on a lost race.
 */
async function settle(deps: BackupDeps, dataset: Dataset, now: Date, change: (state: DatasetState) => DatasetState): Promise<Outcome> {
  const scope = datasetScope(dataset.id);
  for (let attempt = 1; ; attempt++) {
    const record = await deps.store.read(dataset.id);
    const before: DatasetState = record.state ?? { datasetId: dataset.id, enrolledAt: now.toISOString() };
    const judgedAt = new Date(latest(now.toISOString(), before.evaluatedAt));
    const after: DatasetState = { ...change(before), evaluatedAt: judgedAt.toISOString() };
    const evaluation = evaluateDataset(dataset, after, deps.policy.backups, judgedAt);
    if (!(await deps.store.save(after, record.version, evaluation.nextDueAt))) {
      if (attempt >= MAX_ATTEMPTS) throw new Error(`dataset ${dataset.id} kept changing under ${MAX_ATTEMPTS} attempts`);
      continue;
    }
    // Findings after the state: a crash in between is finished by the next event or sweep.
    const outcome = await lifecycleOf(deps).reconcile(scope, evaluation.findings, judgedAt, {
      current: record.findings,
      howResolved: (f) => ({ summary: `${dataset.id}: the condition cleared at ${judgedAt.toISOString()} (${f.rule})`, facts: { dataset: dataset.id } }),
    });
    return { raised: outcome.raised, updated: outcome.updated, resolved: outcome.resolved };
  }
}

/** One observation about a dataset, or a "not in the catalogue" finding. */
export async function recordObservation(deps: BackupDeps, keyed: Keyed & { recoveryPointArn?: string }, now: Date): Promise<Outcome> {
  let dataset = findDataset(deps.policy.backups, keyed.key);
  const { observation } = keyed;
  if (dataset === undefined && keyed.recoveryPointArn !== undefined && keyed.key.dataset === undefined) {
    const mapped = await deps.store.datasetOfRecoveryPoint(keyed.recoveryPointArn);
    if (mapped !== undefined) dataset = findDataset(deps.policy.backups, { dataset: mapped });
  }
  if (dataset === undefined) return flagUncatalogued(deps, keyed.key, observation, now);
  await deps.store.appendLedger({ datasetId: dataset.id, observation }, ledgerExpiry(deps.policy, observation.at));
  if (keyed.recoveryPointArn !== undefined) await deps.store.mapRecoveryPoint(keyed.recoveryPointArn, dataset.id, ledgerExpiry(deps.policy, observation.at));
  const target = dataset;
  return settle(deps, target, now, (state) => fold(state, observation, target, deps.policy.backups));
}

async function flagUncatalogued(deps: BackupDeps, key: DatasetKey, observation: Observation, now: Date): Promise<Outcome> {
  const shown = describeKey(key);
  const finding = backupFinding('dataset-not-in-catalogue', deps.policy.backups, {
    subject: { type: 'dataset', id: key.dataset ?? key.resourceArn ?? key.system ?? 'unknown' }, identifying: [shown],
    title: 'Backup evidence for a dataset not in the catalogue', severity: 'medium',
    summary: `${observation.kind} evidence (${observation.at}) for ${shown}, which backups.catalogue does not list: add it (with its tier) so its backups are checked, or stop backing it up`,
    facts: { key: { ...key }, kind: observation.kind, at: observation.at }, eventIds: [observation.eventId],
  });
  const result = await lifecycleOf(deps).raise(UNCATALOGUED_SCOPE, finding, now);
  return { raised: result === 'opened' || result === 'reopened' ? [finding.findingId] : [], updated: result === 'updated' ? [finding.findingId] : [], resolved: [] };
}

/** An AWS service event, read tolerantly; a readable resend of an event once flagged malformed (same source and id) resolves that finding. */
export async function recordAwsReading(deps: BackupDeps, reading: AwsReading, now: Date): Promise<Outcome & { ignored?: string }> {
  if (reading.kind === 'malformed') return flagMalformed(deps, reading, now);
  const outcome = await readRecorded(deps, reading, now);
  const malformedId = findingIdOf('malformed-aws-event', reading.source, reading.eventId);
  const how = { summary: `${reading.source} event ${reading.eventId} was sent again and read (${reading.kind === 'ignored' ? reading.reason : reading.observation.kind})` };
  if (await lifecycleOf(deps).resolve(MALFORMED_SCOPE, malformedId, how, now)) outcome.resolved.push(malformedId);
  return outcome;
}

async function readRecorded(deps: BackupDeps, reading: Exclude<AwsReading, { kind: 'malformed' }>, now: Date): Promise<Outcome & { ignored?: string }> {
  switch (reading.kind) {
    case 'observed':
      return recordObservation(deps, reading, now);
    case 'key-at-risk': {
      const outcome = empty();
      for (const dataset of datasetsOfKey(deps.policy.backups, reading.observation.keyArn)) {
        await deps.store.appendLedger({ datasetId: dataset.id, observation: reading.observation }, ledgerExpiry(deps.policy, reading.observation.at));
        merge(outcome, await settle(deps, dataset, now, (state) => fold(state, reading.observation, dataset, deps.policy.backups)));
      }
      return outcome;
    }
    case 'ignored':
      return { ...empty(), ignored: reading.reason };
  }
}

async function flagMalformed(deps: BackupDeps, reading: Extract<AwsReading, { kind: 'malformed' }>, now: Date): Promise<Outcome> {
  const finding = backupFinding('malformed-aws-event', deps.policy.backups, {
    subject: { type: 'event', id: reading.eventId }, identifying: [reading.source, reading.eventId],
    title: 'AWS service event that could not be read', severity: 'low',
    summary: `${reading.source} "${reading.detailType}" event ${reading.eventId} could not be read (${reading.problems.slice(0, 5).join('; ')}); it is kept verbatim in the audit trail`,
    facts: { source: reading.source, detailType: reading.detailType, problems: reading.problems.slice(0, 20) }, eventIds: reading.eventId === '(missing)' ? [] : [reading.eventId], sticky: true,
  });
  const result = await lifecycleOf(deps).raise(MALFORMED_SCOPE, finding, now);
  return { raised: result === 'opened' ? [finding.findingId] : [], updated: [], resolved: [] };
}

/**
 * The sweep: (1) when the catalogue changed since the last sweep, every dataset is enrolled
 * (created, or made due now); (2) the datasets due by `firedAt` are judged — silence and
 * staleness raised at their deadline, raised louder at each severity step; (3) "not in the
 * catalogue" findings whose dataset is now listed are resolved.
 */
export async function sweep(deps: BackupDeps, firedAt: Date): Promise<Outcome & { due: number; enrolled: number }> {
  const { backups } = deps.policy;
  const outcome = empty();
  let enrolled = 0;
  const fingerprint = catalogueFingerprint(backups);
  if ((await deps.store.enrolment()) !== fingerprint) {
    for (const dataset of backups.catalogue) {
      await deps.store.enrol({ datasetId: dataset.id, enrolledAt: firedAt.toISOString() }, firedAt.toISOString());
      enrolled++;
    }
    await deps.store.setEnrolment(fingerprint);
  }
  // Due strictly before the fire time + 1 ms: a deadline at the fire instant is judged now.
  const due = await deps.store.due(new Date(firedAt.getTime() + 1));
  for (const id of due) {
    const dataset = backups.catalogue.find((d) => d.id === id);
    if (dataset === undefined) {
      // Dropped from the catalogue: stop looking at it; its findings are resolved as no longer applicable.
      const record = await deps.store.read(id);
      if (record.state) await deps.store.save(record.state, record.version, undefined);
      const lc = lifecycleOf(deps);
      for (const f of record.findings) if (isLive(f.finding)) if (await lc.resolve(datasetScope(id), f.finding.findingId, { summary: `${id} left the catalogue`, resolution: 'no-longer-applicable' }, firedAt)) outcome.resolved.push(f.finding.findingId);
      continue;
    }
    merge(outcome, await settle(deps, dataset, firedAt, (state) => state));
  }
  const lc = lifecycleOf(deps);
  for (const f of await lc.findingsIn(UNCATALOGUED_SCOPE)) {
    if (!isLive(f)) continue;
    const key = (f.raised.evidence.facts as { key?: DatasetKey } | undefined)?.key;
    const now = key ? findDataset(backups, key) : undefined;
    if (now && (await lc.resolve(UNCATALOGUED_SCOPE, f.findingId, { summary: `now in the catalogue as ${now.id}` }, firedAt))) outcome.resolved.push(f.findingId);
  }
  return { ...outcome, due: due.length, enrolled };
}
