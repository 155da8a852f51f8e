/**
 * What the notifier tells people about, whatever event it came from: a finding raised or
 * resolved, an incident opened, acknowledged or resolved. Events are validated by their zod
 * contracts first; this module only reshapes them. Pure.
 */
import type { RoutedDetailTypeOf } from '../../infra/function-routes.ts';
import type { FindingSeverity } from '../../schemas/details/pipeline.ts';
import type { IncidentSeverity } from '../../schemas/details/incident.ts';
import type { DetailOf, DetailTypeName } from '../../schemas/registry.ts';
import type { RoutedFact } from '../shared/event-handler.ts';
import { areaOfControl, type GuideAreaName } from '../../schemas/controls.ts';

/** The detail-types the routing table sends to the notifier. */
export type NotifiedDetailType = RoutedDetailTypeOf<'notifier'>;

/** The life-cycle step a message announces; one message per subject, step and recipient. */
export type NotificationState = 'raised' | 'resolved' | 'opened' | 'acknowledged' | 'excepted';

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
  /** The finding's control, for the messages of its later steps (acknowledged, excepted) whose events do not name it. */
  readonly control?: string | undefined;
}

/** P1 is as urgent as a critical finding; the policy routes both the same way. */
export const SEVERITY_OF_INCIDENT: Readonly<Record<IncidentSeverity, FindingSeverity>> = { P1: 'critical', P2: 'high', P3: 'medium', P4: 'low' };

/** An event the notifier tells people about, its detail typed by its detail-type's schema. */
export type NotifiedEvent = {
  [K in NotifiedDetailType]: { readonly id: string; readonly time: string; readonly detailType: K; readonly detail: DetailOf<K & DetailTypeName> };
}[NotifiedDetailType];

/** A fact routed to the notifier, as the flows read it. */
export const notifiedEvent = (fact: RoutedFact<'notifier'>): NotifiedEvent => ({ ...fact, id: fact.eventId });

/** The finding or incident an event is about: what dedupe, digests and the remembered subject are keyed by. */
export function subjectKeyOf(event: NotifiedEvent): string {
  switch (event.detailType) {
    case 'Finding Raised':
    case 'Finding Resolved':
    case 'Finding Acknowledged':
    case 'Finding Exception Granted':
      return event.detail.findingId;
    default:
      return event.detail.incidentId;
  }
}

/**
 * Owner of a finding: an `owner` field the emitter added (details are open objects), else
 * the exception's owner. Undefined means "nobody in particular".
 */
function ownerOf(detail: NotifiedEvent['detail']): string | undefined {
  // Extra fields (`owner`) are allowed by every contract but typed by none: read tolerantly.
  if (typeof detail.owner === 'string' && detail.owner.trim() !== '') return detail.owner.trim();
  const exception = detail.exception as { owner?: unknown } | undefined;
  return typeof exception?.owner === 'string' ? exception.owner : undefined;
}

export function toNotification(event: NotifiedEvent, remembered: RememberedSubject | undefined): Notification {
  const base = { eventId: event.id, occurredAt: event.time, firstSeenAt: remembered?.firstSeenAt ?? event.time };
  switch (event.detailType) {
    case 'Finding Raised': {
      const d = event.detail;
      return {
        ...base,
        kind: 'finding', key: d.findingId, state: 'raised', severity: d.severity, area: areaOfControl(d.control), control: d.control,
        owner: ownerOf(d), title: d.title, subject: d.subject, summary: d.evidence.summary, evidenceEventIds: d.evidence.eventIds,
        closedBy: undefined, resolution: undefined, incidentSeverity: undefined,
      };
    }
    case 'Finding Resolved': {
      const d = event.detail;
      const title = typeof d.title === 'string' ? d.title : remembered?.title ?? `Finding ${d.findingId}`;
      return {
        ...base,
        kind: 'finding', key: d.findingId, state: 'resolved', severity: d.severity, area: areaOfControl(d.control), control: d.control,
        owner: ownerOf(d) ?? remembered?.owner, title, subject: d.subject, summary: d.evidence?.summary, evidenceEventIds: d.evidence?.eventIds ?? [],
        closedBy: d.resolvedBy, resolution: d.resolution, incidentSeverity: undefined,
      };
    }
    case 'Finding Acknowledged': {
      const d = event.detail;
      return { ...base, ...laterFindingStep(d.findingId, remembered, event.id), state: 'acknowledged', summary: d.note, closedBy: d.acknowledgedBy, resolution: undefined };
    }
    case 'Finding Exception Granted': {
      const d = event.detail;
      return { ...base, ...laterFindingStep(d.findingId, remembered, event.id), owner: d.owner, state: 'excepted', summary: d.reason, closedBy: d.grantedBy, resolution: `exception until ${d.until}, owned by ${d.owner}` };
    }
    case 'Incident Opened': {
      const d = event.detail;
      return {
        ...base,
        kind: 'incident', key: d.incidentId, state: 'opened', severity: SEVERITY_OF_INCIDENT[d.severity], area: 'incident', control: '5.1',
        owner: ownerOf(d), title: d.title, subject: { type: 'incident', id: d.incidentId }, summary: d.description,
        evidenceEventIds: [event.id], closedBy: undefined, resolution: undefined, incidentSeverity: d.severity,
      };
    }
    case 'Incident Acknowledged': {
      const d = event.detail;
      const incidentSeverity = d.severity ?? remembered?.incidentSeverity;
      return {
        ...base,
        ...laterIncidentStep(d.incidentId, incidentSeverity, ownerOf(d), remembered, event.id),
        state: 'acknowledged', summary: undefined, closedBy: d.acknowledgedBy, resolution: undefined,
      };
    }
    case 'Incident Resolved': {
      const d = event.detail;
      const incidentSeverity = d.severity ?? remembered?.incidentSeverity;
      return {
        ...base,
        ...laterIncidentStep(d.incidentId, incidentSeverity, ownerOf(d), remembered, event.id),
        state: 'resolved', summary: d.resolution, closedBy: d.resolvedBy, resolution: d.rootCause,
      };
    }
  }
}

/** What an acknowledged or resolved incident shares: the subject, and what only the opening event said (remembered). */
function laterIncidentStep(incidentId: string, incidentSeverity: IncidentSeverity | undefined, owner: string | undefined, remembered: RememberedSubject | undefined, eventId: string) {
  return {
    kind: 'incident' as const, key: incidentId,
    // Without the opening event we cannot know better; "high" errs towards being heard.
    severity: incidentSeverity ? SEVERITY_OF_INCIDENT[incidentSeverity] : remembered?.severity ?? 'high',
    area: 'incident' as const, control: '5.1', owner: owner ?? remembered?.owner,
    title: remembered?.title ?? `Incident ${incidentId}`, subject: { type: 'incident', id: incidentId },
    evidenceEventIds: [eventId], incidentSeverity,
  };
}

/** What an operator's step on a finding shares: the finding as the notifier remembers it from its raise. */
function laterFindingStep(findingId: string, remembered: RememberedSubject | undefined, eventId: string) {
  const control = remembered?.control;
  return {
    kind: 'finding' as const, key: findingId,
    // Not remembered (raised before the notifier kept it): "high" errs towards being heard.
    severity: remembered?.severity ?? 'high', area: control === undefined ? undefined : areaOfControl(control), control,
    owner: remembered?.owner, title: remembered?.title ?? `Finding ${findingId}`, subject: { type: 'finding', id: findingId },
    evidenceEventIds: [eventId], incidentSeverity: undefined,
  };
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
    ...(notification.kind === 'finding' && notification.control !== undefined ? { control: notification.control } : {}),
  };
}
