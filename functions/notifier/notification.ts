/**
 * What the notifier tells people about, whatever event it came from: a finding raised or
 * resolved, an incident opened, acknowledged or resolved. Events are validated by their zod
 * contracts first; this module only reshapes them. Pure.
 */
import type { FindingRaised, FindingResolved, IncidentAcknowledged, IncidentOpened, IncidentResolved } from '../../schemas/registry.ts';
import type { FindingSeverity } from '../../schemas/details/pipeline.ts';
import type { IncidentSeverity } from '../../schemas/details/incident.ts';
import { areaOfControl, type GuideAreaName } from './control-catalogue.ts';

export const NOTIFIED_DETAIL_TYPES = ['Finding Raised', 'Finding Resolved', 'Incident Opened', 'Incident Acknowledged', 'Incident Resolved'] as const;
export type NotifiedDetailType = (typeof NOTIFIED_DETAIL_TYPES)[number];

/** The life-cycle step a message announces; one message per subject, step and recipient. */
export type NotificationState = 'raised' | 'resolved' | 'opened' | 'acknowledged';

export interface Notification {
  readonly kind: 'finding' | 'incident';
  /** Finding id or incident id: what dedupe, digests and resolve messages refer to. */
  readonly key: string;
  readonly state: NotificationState;
  readonly eventId: string;
  /** When the event happened (its envelope time). */
  readonly occurredAt: string;
  /** When the finding or incident was first seen (the raise/open event; remembered for later steps). */
  readonly firstSeenAt: string;
  readonly severity: FindingSeverity;
  readonly area: GuideAreaName | undefined;
  readonly control: string | undefined;
  readonly owner: string | undefined;
  readonly title: string;
  readonly subject: { readonly type: string; readonly id: string; readonly name?: string | undefined };
  readonly summary: string | undefined;
  readonly evidenceEventIds: readonly string[];
  /** Who resolved / acknowledged, and how. */
  readonly closedBy: string | undefined;
  readonly resolution: string | undefined;
  readonly incidentSeverity: IncidentSeverity | undefined;
}

/** What the notifier remembers of a finding or incident when it is first seen, for later messages about it. */
export interface RememberedSubject {
  readonly key: string;
  readonly title: string;
  readonly severity: FindingSeverity;
  readonly firstSeenAt: string;
  readonly owner: string | undefined;
  readonly incidentSeverity: IncidentSeverity | undefined;
}

/** P1 is as urgent as a critical finding; the policy routes both the same way. */
export const SEVERITY_OF_INCIDENT: Readonly<Record<IncidentSeverity, FindingSeverity>> = { P1: 'critical', P2: 'high', P3: 'medium', P4: 'low' };

export interface NotifiedEvent {
  readonly id: string;
  readonly time: string;
  readonly detailType: NotifiedDetailType;
  readonly detail: Record<string, unknown>;
}

/**
 * Owner of a finding: an `owner` field the emitter added (details are open objects), else
 * the exception's owner. Undefined means "nobody in particular".
 */
function ownerOf(detail: Record<string, unknown>): string | undefined {
  if (typeof detail.owner === 'string' && detail.owner.trim() !== '') return detail.owner.trim();
  const exception = detail.exception as { owner?: unknown } | undefined;
  return typeof exception?.owner === 'string' ? exception.owner : undefined;
}

export function toNotification(event: NotifiedEvent, remembered: RememberedSubject | undefined): Notification {
  const base = { eventId: event.id, occurredAt: event.time, firstSeenAt: remembered?.firstSeenAt ?? event.time };
  switch (event.detailType) {
    case 'Finding Raised': {
      const d = event.detail as FindingRaised;
      return {
        ...base,
        kind: 'finding', key: d.findingId, state: 'raised', severity: d.severity, area: areaOfControl(d.control), control: d.control,
        owner: ownerOf(event.detail), title: d.title, subject: d.subject, summary: d.evidence.summary, evidenceEventIds: d.evidence.eventIds,
        closedBy: undefined, resolution: undefined, incidentSeverity: undefined,
      };
    }
    case 'Finding Resolved': {
      const d = event.detail as FindingResolved;
      const title = typeof event.detail.title === 'string' ? event.detail.title : remembered?.title ?? `Finding ${d.findingId}`;
      return {
        ...base,
        kind: 'finding', key: d.findingId, state: 'resolved', severity: d.severity, area: areaOfControl(d.control), control: d.control,
        owner: ownerOf(event.detail) ?? remembered?.owner, title, subject: d.subject, summary: d.evidence?.summary, evidenceEventIds: d.evidence?.eventIds ?? [],
        closedBy: d.resolvedBy, resolution: d.resolution, incidentSeverity: undefined,
      };
    }
    case 'Incident Opened': {
      const d = event.detail as IncidentOpened;
      return {
        ...base,
        kind: 'incident', key: d.incidentId, state: 'opened', severity: SEVERITY_OF_INCIDENT[d.severity], area: 'incident', control: '5.1',
        owner: ownerOf(event.detail), title: d.title, subject: { type: 'incident', id: d.incidentId }, summary: d.description,
        evidenceEventIds: [event.id], closedBy: undefined, resolution: undefined, incidentSeverity: d.severity,
      };
    }
    case 'Incident Acknowledged':
    case 'Incident Resolved': {
      const d = event.detail as IncidentAcknowledged | IncidentResolved;
      const incidentSeverity = d.severity ?? remembered?.incidentSeverity;
      const resolved = event.detailType === 'Incident Resolved';
      return {
        ...base,
        kind: 'incident', key: d.incidentId, state: resolved ? 'resolved' : 'acknowledged',
        // Without the opening event we cannot know better; "high" errs towards being heard.
        severity: incidentSeverity ? SEVERITY_OF_INCIDENT[incidentSeverity] : remembered?.severity ?? 'high',
        area: 'incident', control: '5.1', owner: ownerOf(event.detail) ?? remembered?.owner,
        title: remembered?.title ?? `Incident ${d.incidentId}`, subject: { type: 'incident', id: d.incidentId },
        summary: resolved ? (d as IncidentResolved).resolution : undefined, evidenceEventIds: [event.id],
        closedBy: resolved ? (d as IncidentResolved).resolvedBy : (d as IncidentAcknowledged).acknowledgedBy,
        resolution: resolved ? (d as IncidentResolved).rootCause : undefined, incidentSeverity,
      };
    }
  }
}

/** What to remember from the first event about a subject. */
export function subjectToRemember(notification: Notification): RememberedSubject {
  return {
    key: notification.key,
    title: notification.title,
    severity: notification.severity,
    firstSeenAt: notification.firstSeenAt,
    owner: notification.owner,
    incidentSeverity: notification.incidentSeverity,
  };
}
