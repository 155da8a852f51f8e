/**
 * Continuity (guide 5.2–5.3), pure: what the recorded drills say at `now` — a drill every
 * quarter (overdue is a finding), a passed failover or switch-over drill per core service
 * (standby readiness) and a passed offline-mode drill within their intervals; and, per drill,
 * the measured RTO and RPO against the targets.
 */
import type { Policy } from '../../schemas/policy.ts';
import type { Finding } from '../shared/findings/finding.ts';
import { addDays, MINUTE_MS, SECOND_MS } from '../shared/time.ts';
import type { DrillRecord } from './drill-store.ts';

type IdOf = (control: string, rule: string, ...identifying: string[]) => string;

const latest = (drills: readonly DrillRecord[]) => drills.reduce<DrillRecord | undefined>((best, d) => (best === undefined || d.finishedAt > best.finishedAt ? d : best), undefined);

/** Desired continuity findings at `now` (reconciled: each resolves when a drill answers it). */
export function continuityFindings(drills: readonly DrillRecord[], policy: Policy, now: Date, id: IdOf): Finding[] {
  const found: Finding[] = [];
  const { drills: drillRule, standby } = policy.incident;
  const last = latest(drills);
  if (last === undefined || addDays(last.finishedAt, drillRule.intervalDays) < now) {
    found.push({
      findingId: id('5.3', 'drill-overdue'),
      control: '5.3',
      rule: 'drill-overdue',
      title: `No failure drill within ${drillRule.intervalDays} days`,
      severity: 'medium',
      mode: drillRule.mode,
      subject: { type: 'continuity', id: 'drills' },
      summary: last ? `The last drill (${last.drillId}, ${last.kind}) finished ${last.finishedAt}; the policy asks for one every ${drillRule.intervalDays} days.` : `No drill is on record; the policy asks for one every ${drillRule.intervalDays} days.`,
      facts: { lastDrillId: last?.drillId ?? null, lastDrillAt: last?.finishedAt ?? null, intervalDays: drillRule.intervalDays },
      eventIds: last ? [last.eventId] : [],
    });
  }
  for (const service of standby.coreServices) {
    const tested = latest(drills.filter((d) => d.kind === 'failover' && d.outcome === 'passed' && d.service === service));
    if (tested === undefined || addDays(tested.finishedAt, standby.switchoverTestIntervalDays) < now) {
      found.push({
        findingId: id('5.2', 'standby-untested', service),
        control: '5.2',
        rule: 'standby-untested',
        title: `Standby of ${service} not proven by a failover drill within ${standby.switchoverTestIntervalDays} days`,
        severity: 'high',
        mode: standby.mode,
        subject: { type: 'service', id: service },
        summary: tested ? `The last passed failover drill of ${service} finished ${tested.finishedAt}.` : `No passed failover or switch-over drill of ${service} is on record.`,
        facts: { service, lastFailoverAt: tested?.finishedAt ?? null, intervalDays: standby.switchoverTestIntervalDays },
        eventIds: tested ? [tested.eventId] : [],
      });
    }
  }
  const offline = latest(drills.filter((d) => d.kind === 'offline-mode' && d.outcome === 'passed'));
  if (offline === undefined || addDays(offline.finishedAt, standby.offlineModeDrillIntervalDays) < now) {
    found.push({
      findingId: id('5.2', 'offline-mode-undrilled'),
      control: '5.2',
      rule: 'offline-mode-undrilled',
      title: `Offline mode not drilled within ${standby.offlineModeDrillIntervalDays} days`,
      severity: 'medium',
      mode: standby.mode,
      subject: { type: 'continuity', id: 'offline-mode' },
      summary: offline ? `The last passed offline-mode drill finished ${offline.finishedAt}.` : 'No passed offline-mode drill is on record.',
      facts: { lastOfflineDrillAt: offline?.finishedAt ?? null, intervalDays: standby.offlineModeDrillIntervalDays, coreServices: [...standby.coreServices] },
      eventIds: offline ? [offline.eventId] : [],
    });
  }
  return found;
}

/** What one drill measured against the targets: a sticky finding per target missed (the drill happened; it ages out). */
export function drillFindings(drill: DrillRecord, policy: Policy, id: IdOf): Finding[] {
  const found: Finding[] = [];
  const rto = policy.incident.recoveryTimeObjective;
  const rpo = policy.incident.recoveryPointObjective;
  const rtoMinutes = Math.round((drill.recoveryTimeSeconds * SECOND_MS) / MINUTE_MS);
  const subject = { type: 'drill', id: drill.drillId, name: drill.scenario };
  if (drill.recoveryTimeSeconds * SECOND_MS > rto.minutes * MINUTE_MS) {
    found.push({
      findingId: id('5.3', 'drill-rto-missed', drill.drillId),
      control: '5.3',
      rule: 'drill-rto-missed',
      title: `Drill ${drill.drillId} recovered in ${rtoMinutes} min, over the ${rto.minutes} min RTO`,
      severity: 'high',
      mode: rto.mode,
      subject,
      summary: `Drill "${drill.scenario}" (${drill.kind}) measured a recovery time of ${drill.recoveryTimeSeconds} s against an RTO of ${rto.minutes} min.`,
      facts: { drillId: drill.drillId, recoveryTimeSeconds: drill.recoveryTimeSeconds, rtoMinutes: rto.minutes },
      eventIds: [drill.eventId],
      sticky: true,
    });
  }
  if (drill.recoveryPointSeconds !== undefined && drill.recoveryPointSeconds * SECOND_MS > rpo.minutes * MINUTE_MS) {
    found.push({
      findingId: id('5.3', 'drill-rpo-missed', drill.drillId),
      control: '5.3',
      rule: 'drill-rpo-missed',
      title: `Drill ${drill.drillId} lost ${Math.round((drill.recoveryPointSeconds * SECOND_MS) / MINUTE_MS)} min of data, over the ${rpo.minutes} min RPO`,
      severity: 'high',
      mode: rpo.mode,
      subject,
      summary: `Drill "${drill.scenario}" measured a recovery point of ${drill.recoveryPointSeconds} s against an RPO of ${rpo.minutes} min.`,
      facts: { drillId: drill.drillId, recoveryPointSeconds: drill.recoveryPointSeconds, rpoMinutes: rpo.minutes },
      eventIds: [drill.eventId],
      sticky: true,
    });
  }
  if (drill.outcome === 'failed') {
    found.push({
      findingId: id('5.3', 'drill-failed', drill.drillId),
      control: '5.3',
      rule: 'drill-failed',
      title: `Drill ${drill.drillId} failed its objectives`,
      severity: 'high',
      mode: policy.incident.drills.mode,
      subject,
      summary: `Drill "${drill.scenario}" (${drill.kind}) did not meet its objectives.`,
      facts: { drillId: drill.drillId, kind: drill.kind },
      eventIds: [drill.eventId],
      sticky: true,
    });
  }
  return found;
}
