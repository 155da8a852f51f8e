/**
 * The evidence pack's index: for each of the guide's 22 controls (1.1–6.4) its status for the
 * period, the figures that show it, the findings with their timelines and the exceptions, and
 * the series the HTML charts. Pure: every input (findings, audit records, the areas' reports,
 * the trail's verification, the archive manifests) is read by the command and passed in.
 *
 * Status, per control, judged at the end of the period:
 *   findings-open      a finding of the control was open or acknowledged at the period's end;
 *   exception          its only live findings were covered by a documented exception;
 *   findings-resolved  findings were raised or live during the period and all were resolved by its end;
 *   met                data reached the control in the period and no finding was live;
 *   no-data            nothing fed the control in the period (a control nobody feeds is not "met").
 */
import { areaOfControl, controlCatalogue, GUIDE_AREA_TITLES, type GuideAreaName } from '../../../schemas/controls.ts';
import type { AuditRecord } from '../audit-trail/audit-record.ts';
import type { VerifyReport } from '../audit-trail/audit-queries.ts';
import type { FindingState, StoredFinding } from '../findings/finding.ts';
import { HOUR_MS, MINUTE_MS } from '../time.ts';
import { registry, type DetailTypeName } from '../../../schemas/registry.ts';
import type { Period } from './period.ts';
import type { AreaReports } from './report-views.ts';

export const CONTROLS = Object.keys(controlCatalogue).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
export const CONTROL_STATUSES = ['met', 'findings-open', 'findings-resolved', 'exception', 'no-data'] as const;
export type ControlStatus = (typeof CONTROL_STATUSES)[number];

export const STATUS_LABELS: Readonly<Record<ControlStatus, { en: string; zh: string }>> = {
  met: { en: 'met', zh: '符合' },
  'findings-open': { en: 'findings open', zh: '有未关闭问题' },
  'findings-resolved': { en: 'findings resolved', zh: '问题已整改' },
  exception: { en: 'exception', zh: '已批准例外' },
  'no-data': { en: 'no data', zh: '无数据' },
};

/** The guide's area of a control of the catalogue ("2.3" → access). */
function guideAreaOf(control: string): GuideAreaName {
  const area = areaOfControl(control);
  if (area === undefined) throw new Error(`control ${control} is in none of the guide's areas`);
  return area;
}

/** What the audit trail and the archive give a pack (read by pack-sources.ts). */
export interface TrailEvidence {
  /** Audit records whose operation happened in the period. */
  readonly records: readonly AuditRecord[];
  readonly verify: VerifyReport;
  /** Archive manifest keys of the period's days. */
  readonly archiveManifests: readonly string[];
}

export interface EvidenceInputs extends TrailEvidence, AreaReports {
  readonly period: Period;
  readonly generatedAt: string;
  readonly findings: readonly StoredFinding[];
  readonly retentionDays: number;
  /** Controls fed in the period by data that never enters the trail (control-feed.ts), e.g. 3.1's metric samples. */
  readonly fedControls: readonly string[];
}

export type Figure = number | string | null;

export interface FindingTimeline {
  readonly findingId: string;
  readonly control: string;
  readonly title: string;
  readonly severity: string;
  readonly subject: string;
  readonly stateAtEnd: FindingState;
  readonly stateNow: FindingState;
  readonly firstRaisedAt: string;
  readonly resolvedAt: string | null;
  readonly exception: { owner: string; until: string; reason: string } | null;
  readonly history: readonly { at: string; state: string; by: string; note?: string }[];
}

export interface ControlEvidence {
  readonly control: string;
  readonly area: { en: string; zh: string };
  readonly title: { en: string; zh: string };
  readonly status: ControlStatus;
  readonly statusLabel: { en: string; zh: string };
  /** Audit records of the period whose detail-type serves the control (the event contract). */
  readonly records: number;
  /** Whether anything reached the control in the period (records, report rows, the trail's verification): without, it is "no data" whatever its findings. */
  readonly hasData: boolean;
  readonly figures: Readonly<Record<string, Figure>>;
  readonly evidenceFiles: readonly string[];
  readonly findings: readonly FindingTimeline[];
  readonly exceptions: readonly { findingId: string; owner: string; until: string; reason: string }[];
}

export interface ChartSeries {
  readonly leaverRevocationHours: readonly { person: string; hours: number | null }[];
  readonly thresholdEpisodes: readonly { label: string; minutes: number }[];
  readonly responseTimes: readonly { severity: string; mttaMinutes: number | null; mttrMinutes: number | null }[];
  readonly rtoTrend: readonly { quarter: string; bestRtoMinutes: number | null; averageRtoMinutes: number | null; targetMinutes: number }[];
}

export interface EvidenceIndex {
  readonly kind: 'erpgov-evidence-pack';
  readonly version: 1;
  readonly period: Period;
  readonly generatedAt: string;
  readonly summary: Readonly<Record<ControlStatus, number>>;
  readonly controls: readonly ControlEvidence[];
  /** 6.3: abnormal operations found by the log analysis and what was done about them. */
  readonly abnormalOperations: readonly { findingId: string; control: string; title: string; subject: string; raisedAt: string; outcome: string }[];
  readonly charts: ChartSeries;
  readonly files: readonly string[];
}

/** The evidence files every pack holds (paths inside the pack). */
export const EVIDENCE_FILES = {
  permissions: 'evidence/permissions.json',
  backups: 'evidence/backups.json',
  changes: 'evidence/changes.json',
  operations: 'evidence/operations.json',
  auditTrail: 'evidence/audit-trail-verification.json',
  manifests: 'evidence/archive-manifests.json',
  findingsCsv: 'evidence/findings.csv',
  findingsJsonl: 'evidence/findings.jsonl',
} as const;

const CONTROL_FILES: Readonly<Record<GuideAreaName, readonly (keyof typeof EVIDENCE_FILES)[]>> = {
  backup: ['backups'],
  access: ['permissions'],
  performance: ['operations'],
  change: ['changes'],
  incident: ['operations'],
  audit: ['auditTrail', 'manifests'],
};

/** The finding's state at an instant, from its history (the state it was first raised in before any entry). */
export function stateAt(finding: StoredFinding, at: string): FindingState | undefined {
  if (finding.firstRaisedAt >= at) return undefined;
  let state: FindingState = 'open';
  for (const h of finding.history) {
    if (h.at >= at) break;
    if (h.state !== 'evidence-updated') state = h.state;
  }
  return state;
}

/** Whether the finding existed in the period: raised before its end and not resolved before its start. */
function touchesPeriod(finding: StoredFinding, period: Period): boolean {
  if (finding.firstRaisedAt >= period.to) return false;
  const atStart = stateAt(finding, period.from);
  if (atStart !== 'resolved') return true;
  return finding.history.some((h) => h.at >= period.from && h.at < period.to && h.state !== 'resolved' && h.state !== 'evidence-updated');
}

export function controlStatus(findings: readonly FindingTimeline[], hasData: boolean): ControlStatus {
  if (findings.some((f) => f.stateAtEnd === 'open' || f.stateAtEnd === 'acknowledged')) return 'findings-open';
  if (findings.some((f) => f.stateAtEnd === 'excepted')) return 'exception';
  if (findings.length > 0) return 'findings-resolved';
  return hasData ? 'met' : 'no-data';
}

const median = (values: readonly number[]): number | null => {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};
const round1 = (n: number) => Math.round(n * 10) / 10;
const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);
const detailOf = (r: AuditRecord): Record<string, unknown> => {
  try {
    const event = JSON.parse(r.originalEvent) as { detail?: unknown };
    return typeof event.detail === 'object' && event.detail !== null ? (event.detail as Record<string, unknown>) : {};
  } catch {
    return {};
  }
};

/** 2.3: for each departure in the period, the hours until the person's last role was revoked (null: never). */
export function leaverRevocations(records: readonly AuditRecord[]): { person: string; departedAt: string; hours: number | null }[] {
  const revocations = records.filter((r) => r.detailType === 'Role Revoked').map((r) => ({ at: r.occurredAt, detail: detailOf(r) }));
  return records
    .filter((r) => r.detailType === 'Employee Departed')
    .map((r) => {
      const d = detailOf(r);
      const person = String(d.person ?? r.target ?? '');
      const departedAt = typeof d.departedAt === 'string' ? d.departedAt : r.occurredAt;
      const times = revocations.filter((v) => v.detail.person === person && v.at >= departedAt).map((v) => Date.parse(v.at));
      const hours = times.length === 0 ? null : round1((Math.max(...times) - Date.parse(departedAt)) / HOUR_MS);
      return { person, departedAt, hours };
    })
    .sort((a, b) => a.departedAt.localeCompare(b.departedAt) || a.person.localeCompare(b.person));
}

export function buildEvidenceIndex(input: EvidenceInputs): EvidenceIndex {
  const { period } = input;
  const count = (detailType: string) => input.records.filter((r) => r.detailType === detailType).length;
  const recordsByControl = new Map<string, number>();
  for (const r of input.records) {
    const entry = registry.get(r.detailType as DetailTypeName);
    for (const c of entry?.controls ?? []) recordsByControl.set(c, (recordsByControl.get(c) ?? 0) + 1);
  }
  const timelines = input.findings
    .filter((f) => touchesPeriod(f, period))
    .map(
      (f): FindingTimeline => ({
        findingId: f.findingId,
        control: f.raised.control,
        title: f.raised.title,
        severity: f.raised.severity,
        subject: `${f.raised.subject.type} ${f.raised.subject.id}`,
        stateAtEnd: stateAt(f, period.to) ?? 'open',
        stateNow: f.state,
        firstRaisedAt: f.firstRaisedAt,
        resolvedAt: f.resolvedAt ?? null,
        exception: f.exception ? { ...f.exception } : null,
        history: f.history.filter((h) => h.at < period.to).map((h) => ({ at: h.at, state: h.state, by: h.by, ...(h.note ? { note: h.note } : {}) })),
      }),
    )
    .sort((a, b) => a.firstRaisedAt.localeCompare(b.firstRaisedAt) || a.findingId.localeCompare(b.findingId));

  const backupRows = input.backups.flatMap((b) => b.rows);
  const datasets = new Set(backupRows.map((r) => r.dataset));
  const permissionItems = input.permissions.flatMap((p) => p.items);
  const category = (c: string) => permissionItems.filter((i) => i.category === c).length;
  const changes = input.changes.flatMap((c) => c.changes);
  const severities = input.operations.flatMap((o) => o.incidents);
  const drills = input.operations.flatMap((o) => o.drills).filter((d) => d.finishedAt >= period.from && d.finishedAt < period.to);
  const episodes = input.operations.flatMap((o) => o.episodes).filter((e) => e.startedAt < period.to && (e.clearedAt === null || e.clearedAt >= period.from));
  const controlOfFinding = new Map(input.findings.map((f) => [f.findingId, f.raised.control]));
  const leavers = leaverRevocations(input.records);
  const leaverHours = leavers.flatMap((l) => (l.hours === null ? [] : [l.hours]));
  const findingsOf = (control: string) => timelines.filter((t) => t.control === control);
  const rtoTarget = input.operations[0]?.rtoTrend[0]?.rtoTargetMinutes ?? null;

  const figures: Record<string, Record<string, Figure>> = {
    '1.1': {
      datasets: datasets.size,
      backupsCompleted: count('Backup Completed'),
      backupsFailed: count('Backup Failed'),
      datasetsWithAGoodBackup: new Set(backupRows.filter((r) => r.lastGoodBackup !== null).map((r) => r.dataset)).size,
      gapsBeyondCadence: backupRows.filter((r) => r.gapWithinCadence === false).length,
      notOffsite: backupRows.filter((r) => r.offsite === 'no').length,
      retentionShort: backupRows.filter((r) => r.retention === 'short').length,
    },
    '1.2': { restoreTestsRun: sum(backupRows.map((r) => r.restoreTestsRun)), restoreTestsPassed: sum(backupRows.map((r) => r.restoreTestsPassed)) },
    '1.3': { encrypted: backupRows.filter((r) => r.encryption === 'encrypted').length, unencrypted: backupRows.filter((r) => r.encryption === 'unencrypted').length, unknown: backupRows.filter((r) => r.encryption === 'unknown').length },
    '2.1': { accountsReviewed: Math.max(0, ...input.permissions.map((p) => p.accountsReviewed)), rolesAssigned: count('Role Assigned'), sodConflicts: category('sod-conflict'), unusedPermissions: category('unused-permission') },
    '2.2': { logins: count('Login'), accountsWithoutABoundPerson: category('no-bound-person') },
    '2.3': {
      leavers: leavers.length,
      transfers: count('Employee Transferred'),
      medianHoursToRevocation: median(leaverHours),
      worstHoursToRevocation: leaverHours.length === 0 ? null : Math.max(...leaverHours),
      leaversNotRevoked: leavers.filter((l) => l.hours === null).length,
    },
    '2.4': { temporaryGrantsIssued: count('Temporary Grant Issued'), operationsUnderGrants: input.records.filter((r) => r.detailType === 'Operation Audited' && detailOf(r).grantId !== undefined).length, expiredGrantsPresent: category('expired-grant-present') },
    '2.5': { permissionReports: input.permissions.length, leaversNotCleaned: category('leaver-not-cleaned'), moversNotAdjusted: category('mover-not-adjusted'), signOffs: sum(input.permissions.map((p) => p.signOffs.length)) },
    '3.1': { metricSamplesTaken: input.fedControls.includes('3.1') ? 'yes' : 'no', episodes: episodes.filter((e) => controlOfFinding.get(e.findingId) !== '3.2').length },
    '3.2': { episodes: episodes.filter((e) => controlOfFinding.get(e.findingId) === '3.2').length },
    '3.3': { slowQueries: count('Slow Query'), moduleErrors: count('Module Error') },
    '4.1': { changes: changes.length, rejected: changes.filter((c) => c.rejected !== null).length, emergencies: changes.filter((c) => c.emergency).length },
    '4.2': { changes: changes.length, withRollbackPlan: changes.filter((c) => c.rollbackPlan).length, tested: changes.filter((c) => c.tests !== '').length },
    '4.3': { deployedVersionMatches: changes.filter((c) => c.versionMatches === true).length, deployedVersionDiffers: changes.filter((c) => c.versionMatches === false).length },
    '4.4': { configurationChanges: count('Configuration Modified'), unmatchedProductionEdits: sum(input.changes.map((c) => c.unmatchedProductionEdits.length)) },
    '5.1': {
      incidents: sum(severities.map((s) => s.incidents)),
      acknowledgeBreaches: sum(severities.map((s) => s.acknowledgeBreaches)),
      resolveBreaches: sum(severities.map((s) => s.resolveBreaches)),
    },
    '5.2': {
      standbyServices: new Set(input.operations.flatMap((o) => o.standby.map((s) => s.service))).size,
      standbyReady: new Set(input.operations.flatMap((o) => o.standby.filter((s) => s.ready).map((s) => s.service))).size,
      offlineModeReady: input.operations.length === 0 ? null : input.operations.every((o) => o.offlineMode.ready) ? 'yes' : 'no',
    },
    '5.3': { drills: drills.length, bestRtoMinutes: drills.length === 0 ? null : Math.min(...drills.map((d) => d.rtoMinutes)), rtoTargetMinutes: rtoTarget },
    '6.1': { records: input.records.length, chainsVerified: input.verify.chains, recordsVerified: input.verify.records, chainsBroken: input.verify.broken.length, retentionDays: input.retentionDays, archiveManifests: input.archiveManifests.length },
    '6.2': { highRiskOperationsVerified: count('Operation Verified'), operationsAudited: count('Operation Audited') },
    '6.3': { abnormalOperations: timelines.filter((t) => t.control.startsWith('6.')).length },
    '6.4': { logins: count('Login'), behaviourFindings: findingsOf('6.4').length },
  };
  // Data that reaches a control without an event type of its own: the reports and the trail's verification.
  const extraData: Record<string, number> = {
    '1.1': backupRows.length,
    '1.3': backupRows.length,
    '2.1': Math.max(0, ...input.permissions.map((p) => p.accountsReviewed)),
    '2.5': Math.max(0, ...input.permissions.map((p) => p.accountsReviewed)),
    '3.1': episodes.length + (input.fedControls.includes('3.1') ? 1 : 0),
    '4.1': changes.length,
    '5.2': sum(input.operations.map((o) => o.standby.length)),
    '6.1': input.verify.records,
    '6.3': input.records.length,
  };

  const controls = CONTROLS.map((control): ControlEvidence => {
    const area = guideAreaOf(control);
    const own = findingsOf(control);
    const records = recordsByControl.get(control) ?? 0;
    const hasData = records + (extraData[control] ?? 0) > 0;
    const status = controlStatus(own, hasData);
    return {
      control,
      area: GUIDE_AREA_TITLES[area],
      title: { en: controlCatalogue[control]?.en ?? control, zh: controlCatalogue[control]?.zh ?? control },
      status,
      statusLabel: STATUS_LABELS[status],
      records,
      hasData,
      figures: figures[control] ?? {},
      evidenceFiles: [...CONTROL_FILES[area].map((k) => EVIDENCE_FILES[k]), EVIDENCE_FILES.findingsCsv, EVIDENCE_FILES.findingsJsonl],
      findings: own,
      exceptions: own.flatMap((f) => (f.exception && f.stateAtEnd === 'excepted' ? [{ findingId: f.findingId, ...f.exception }] : [])),
    };
  });

  const summary = Object.fromEntries(CONTROL_STATUSES.map((s) => [s, controls.filter((c) => c.status === s).length])) as Record<ControlStatus, number>;
  const abnormalOperations = timelines
    .filter((t) => t.control.startsWith('6.'))
    .map((t) => {
      const last = [...t.history].reverse().find((h) => h.state !== 'evidence-updated');
      const outcome = t.stateAtEnd === 'resolved' ? `resolved${last?.note ? `: ${last.note}` : ''} (by ${last?.by ?? 'unknown'})` : t.stateAtEnd === 'excepted' && t.exception ? `exception until ${t.exception.until} (owner ${t.exception.owner}): ${t.exception.reason}` : t.stateAtEnd === 'acknowledged' ? `acknowledged by ${last?.by ?? 'unknown'}, being handled` : 'open: not yet handled';
      return { findingId: t.findingId, control: t.control, title: t.title, subject: t.subject, raisedAt: t.firstRaisedAt, outcome };
    });

  return {
    kind: 'erpgov-evidence-pack',
    version: 1,
    period,
    generatedAt: input.generatedAt,
    summary,
    controls,
    abnormalOperations,
    charts: {
      leaverRevocationHours: leavers.map((l) => ({ person: l.person, hours: l.hours })),
      thresholdEpisodes: episodes.map((e) => ({ label: `${e.host} ${e.metric} ${e.startedAt.slice(0, 16)}`, minutes: e.minutesOverThreshold })),
      responseTimes: severities.map((s) => ({ severity: s.severity, mttaMinutes: s.mttaMinutes, mttrMinutes: s.mttrMinutes })),
      rtoTrend: (input.operations.at(-1)?.rtoTrend ?? []).map((t) => ({ quarter: t.quarter, bestRtoMinutes: t.bestRtoMinutes, averageRtoMinutes: t.averageRtoMinutes, targetMinutes: t.rtoTargetMinutes })),
    },
    files: Object.values(EVIDENCE_FILES),
  };
}

export const minutesBetween = (from: string, to: string) => round1((Date.parse(to) - Date.parse(from)) / MINUTE_MS);
