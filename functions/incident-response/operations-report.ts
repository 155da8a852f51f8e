/**
 * The quarterly operations report (guide 3.1–3.2, 5.1–5.3): threshold episodes per host and
 * metric with their time over threshold, incidents per severity with MTTA and MTTR against
 * the targets and their breaches, drills with the measured RTO trend quarter by quarter, and
 * standby readiness. Built from what the functions keep (findings, incidents, drills); pure
 * apart from the reads in `buildOperationsReport`.
 *
 * The top error-raising modules (3.3) stay with audit-analysis's hourly behaviour analysis
 * (one implementation): this report does not count them again.
 */
import { incidentSeverity, type IncidentSeverity } from '../../schemas/details/incident.ts';
import type { Policy } from '../../schemas/policy.ts';
import type { FindingsStore } from '../shared/findings/findings-store.ts';
import type { StoredFinding } from '../shared/findings/finding.ts';
import { MINUTE_MS, quarterBounds, quarterOf, SECOND_MS } from '../shared/time.ts';
import type { DrillRecord, DrillStore } from './drill-store.ts';
import { timeToAcknowledge, timeToResolve, type IncidentRecord } from './incident-clock.ts';
import type { IncidentStore } from './incident-store.ts';

/** How many quarters the RTO trend shows, ending with the report's. */
const TREND_QUARTERS = 8;

export interface EpisodeRow {
  readonly host: string;
  readonly series: string;
  readonly metric: string;
  readonly startedAt: string;
  readonly clearedAt: string | null;
  readonly minutesOverThreshold: number;
  readonly flapping: boolean;
  readonly findingId: string;
}

export interface SeverityRow {
  readonly severity: IncidentSeverity;
  readonly incidents: number;
  readonly acknowledged: number;
  readonly resolved: number;
  readonly mttaMinutes: number | null;
  readonly mttrMinutes: number | null;
  readonly respondTargetMinutes: number;
  readonly resolveTargetMinutes: number;
  readonly acknowledgeBreaches: number;
  readonly resolveBreaches: number;
}

export interface TrendRow {
  readonly quarter: string;
  readonly drills: number;
  readonly bestRtoMinutes: number | null;
  readonly averageRtoMinutes: number | null;
  readonly rtoTargetMinutes: number;
}

export interface OperationsReport {
  readonly quarter: string;
  readonly from: string;
  readonly to: string;
  readonly episodes: readonly EpisodeRow[];
  readonly incidents: readonly SeverityRow[];
  readonly drills: readonly { drillId: string; kind: string; service: string | null; finishedAt: string; outcome: string; rtoMinutes: number; rpoMinutes: number | null }[];
  readonly rtoTrend: readonly TrendRow[];
  readonly standby: readonly { service: string; lastFailoverAt: string | null; ready: boolean }[];
  readonly offlineMode: { lastDrillAt: string | null; ready: boolean };
}

const round1 = (n: number) => Math.round(n * 10) / 10;
const mean = (values: readonly number[]) => (values.length === 0 ? null : round1(values.reduce((a, b) => a + b, 0) / values.length));
const toMinutes = (seconds: number) => round1((seconds * SECOND_MS) / MINUTE_MS);

export function operationsReport(quarter: string, policy: Policy, findings: readonly StoredFinding[], incidents: readonly IncidentRecord[], drills: readonly DrillRecord[]): OperationsReport {
  const { from, to } = quarterBounds(quarter);
  const inQuarter = (at: string | undefined) => at !== undefined && at >= from.toISOString() && at < to.toISOString();

  const episodes: EpisodeRow[] = findings
    .filter((f) => f.detectedBy === 'threshold-alerts' && f.rule === 'threshold-breach')
    .map((f) => {
      const facts = f.raised.evidence.facts ?? {};
      const startedAt = typeof facts.startedAt === 'string' ? facts.startedAt : f.firstRaisedAt;
      const clearedAt = f.state === 'resolved' ? (f.resolvedAt ?? null) : null;
      const end = Math.min(Date.parse(clearedAt ?? to.toISOString()), to.getTime());
      const begin = Math.max(Date.parse(startedAt), from.getTime());
      return { host: f.raised.subject.id, series: String(facts.series ?? facts.metric ?? ''), metric: String(facts.metric ?? ''), startedAt, clearedAt, minutesOverThreshold: Math.max(0, Math.round((end - begin) / MINUTE_MS)), flapping: facts.flapping === true, findingId: f.findingId };
    })
    .filter((e) => e.startedAt < to.toISOString() && (e.clearedAt === null || e.clearedAt >= from.toISOString()))
    .sort((a, b) => a.host.localeCompare(b.host) || a.series.localeCompare(b.series) || a.startedAt.localeCompare(b.startedAt));

  const breaches = findings.filter((f) => f.detectedBy === 'incident-response');
  const breached = (rule: string, incidentId: string) => breaches.some((f) => f.rule === rule && f.raised.evidence.facts?.incidentId === incidentId);
  const quarterIncidents = incidents.filter((i) => inQuarter(i.openedAt) && i.severity !== undefined);
  const severities: SeverityRow[] = incidentSeverity.options.map((severity) => {
    const rows = quarterIncidents.filter((i) => i.severity === severity);
    const tta = rows.map(timeToAcknowledge).filter((m): m is number => m !== undefined);
    const ttr = rows.map(timeToResolve).filter((m): m is number => m !== undefined);
    const targets = policy.incident.severityTable[severity];
    return {
      severity,
      incidents: rows.length,
      acknowledged: tta.length,
      resolved: ttr.length,
      mttaMinutes: mean(tta),
      mttrMinutes: mean(ttr),
      respondTargetMinutes: targets.respondWithinMinutes,
      resolveTargetMinutes: targets.resolveWithinMinutes,
      acknowledgeBreaches: rows.filter((i) => breached('incident-acknowledge-breach', i.incidentId)).length,
      resolveBreaches: rows.filter((i) => breached('incident-resolve-breach', i.incidentId)).length,
    };
  });

  const upTo = drills.filter((d) => d.finishedAt < to.toISOString());
  const quarters: string[] = [];
  for (let i = TREND_QUARTERS - 1; i >= 0; i--) quarters.push(quarterOf(new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth() - 3 * i, 1))));
  const rtoTrend = quarters.map((q) => {
    const rtos = upTo.filter((d) => quarterOf(d.finishedAt) === q).map((d) => toMinutes(d.recoveryTimeSeconds));
    return { quarter: q, drills: rtos.length, bestRtoMinutes: rtos.length ? Math.min(...rtos) : null, averageRtoMinutes: mean(rtos), rtoTargetMinutes: policy.incident.recoveryTimeObjective.minutes };
  });
  const lastPassed = (match: (d: DrillRecord) => boolean) => upTo.filter((d) => d.outcome === 'passed' && match(d)).map((d) => d.finishedAt).sort().at(-1) ?? null;
  const fresh = (at: string | null, days: number) => at !== null && Date.parse(at) + days * 24 * 60 * MINUTE_MS >= to.getTime();
  const { standby } = policy.incident;
  return {
    quarter,
    from: from.toISOString(),
    to: to.toISOString(),
    episodes,
    incidents: severities,
    drills: upTo.filter((d) => inQuarter(d.finishedAt)).map((d) => ({ drillId: d.drillId, kind: d.kind, service: d.service ?? null, finishedAt: d.finishedAt, outcome: d.outcome, rtoMinutes: toMinutes(d.recoveryTimeSeconds), rpoMinutes: d.recoveryPointSeconds === undefined ? null : toMinutes(d.recoveryPointSeconds) })),
    rtoTrend,
    standby: standby.coreServices.map((service) => {
      const last = lastPassed((d) => d.kind === 'failover' && d.service === service);
      return { service, lastFailoverAt: last, ready: fresh(last, standby.switchoverTestIntervalDays) };
    }),
    offlineMode: (() => {
      const last = lastPassed((d) => d.kind === 'offline-mode');
      return { lastDrillAt: last, ready: fresh(last, standby.offlineModeDrillIntervalDays) };
    })(),
  };
}

export async function buildOperationsReport(stores: { findings: FindingsStore; incidents: IncidentStore; drills: DrillStore }, policy: Policy, quarter: string): Promise<OperationsReport> {
  const [findings, incidents, drills] = await Promise.all([stores.findings.list(), stores.incidents.list(), stores.drills.list()]);
  return operationsReport(quarter, policy, findings.map((r) => r.finding), incidents.map((s) => s.incident), drills);
}

const csvCell = (value: unknown) => {
  const text = value === null || value === undefined ? '' : String(value);
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};
const csvRows = (section: string, rows: readonly Record<string, unknown>[]) => {
  if (rows.length === 0) return [];
  const columns = Object.keys(rows[0] as Record<string, unknown>);
  return [['section', ...columns].join(','), ...rows.map((row) => [section, ...columns.map((c) => csvCell(row[c]))].join(','))];
};
const dash = (v: number | null | string) => (v === null ? '—' : String(v));

export const OPERATIONS_FORMATS = {
  json: { extension: 'json', contentType: 'application/json', render: (r: OperationsReport) => `${JSON.stringify(r, null, 2)}\n` },
  csv: {
    extension: 'csv',
    contentType: 'text/csv',
    render: (r: OperationsReport) =>
      `${[...csvRows('episode', r.episodes as unknown as Record<string, unknown>[]), ...csvRows('incidents', r.incidents as unknown as Record<string, unknown>[]), ...csvRows('drill', r.drills), ...csvRows('rto-trend', r.rtoTrend as unknown as Record<string, unknown>[]), ...csvRows('standby', r.standby)].join('\n')}\n`,
  },
  md: {
    extension: 'md',
    contentType: 'text/markdown',
    render: (r: OperationsReport) =>
      [
        `# Operations report ${r.quarter}`,
        '',
        `${r.from.slice(0, 10)} – ${r.to.slice(0, 10)} (end exclusive).`,
        '',
        '## Threshold episodes (3.1, 3.2)',
        '',
        r.episodes.length === 0 ? 'None.' : ['| host | series | started | cleared | minutes over | flapping |', '| --- | --- | --- | --- | ---: | --- |', ...r.episodes.map((e) => `| ${e.host} | ${e.series} | ${e.startedAt} | ${dash(e.clearedAt)} | ${e.minutesOverThreshold} | ${e.flapping ? 'yes' : ''} |`)].join('\n'),
        '',
        '## Incidents (5.1)',
        '',
        '| severity | incidents | MTTA min (target) | MTTR min (target) | ack breaches | resolve breaches |',
        '| --- | ---: | --- | --- | ---: | ---: |',
        ...r.incidents.map((s) => `| ${s.severity} | ${s.incidents} | ${dash(s.mttaMinutes)} (${s.respondTargetMinutes}) | ${dash(s.mttrMinutes)} (${s.resolveTargetMinutes}) | ${s.acknowledgeBreaches} | ${s.resolveBreaches} |`),
        '',
        '## Drills and RTO trend (5.3)',
        '',
        '| quarter | drills | best RTO min | average RTO min | target |',
        '| --- | ---: | --- | --- | ---: |',
        ...r.rtoTrend.map((t) => `| ${t.quarter} | ${t.drills} | ${dash(t.bestRtoMinutes)} | ${dash(t.averageRtoMinutes)} | ${t.rtoTargetMinutes} |`),
        '',
        '## Standby readiness (5.2)',
        '',
        ...r.standby.map((s) => `- ${s.service}: ${s.ready ? 'ready' : 'NOT proven'} (last passed failover drill ${dash(s.lastFailoverAt)})`),
        `- offline mode: ${r.offlineMode.ready ? 'drilled' : 'NOT drilled'} (last ${dash(r.offlineMode.lastDrillAt)})`,
        '',
      ].join('\n'),
  },
} as const;
export type OperationsFormat = keyof typeof OPERATIONS_FORMATS;
