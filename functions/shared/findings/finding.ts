/**
 * A finding, from the check that decides it to the events that announce it. Pure.
 *
 * Every function raises findings only through the lifecycle (lifecycle.ts); this module holds
 * what the lifecycle and the checks share: the shape a check returns (`Finding`), the stable
 * id, the evidence cap, the states a finding goes through, and the decision of what a
 * reconciliation changes.
 *
 *   open ──ack──▶ acknowledged ──▶ resolved        (the condition cleared, or "fixed")
 *     │                              ▲
 *     └──exception(owner, until)─────┘ excepted until the expiry, then open again
 */
import { createHash } from 'node:crypto';
import type { FindingRaised, FindingResolved } from '../../../schemas/registry.ts';
import type { OutgoingEvent } from '../ports.ts';

/**
 * The contract allows 1000 event ids; a finding about a whole day of one actor could exceed
 * that, and an admin reads the first few anyway. The full count goes into the facts.
 */
export const MAX_EVIDENCE_EVENT_IDS = 100;

/** Event ids without repeats, in first-seen order, capped at MAX_EVIDENCE_EVENT_IDS. */
export function evidenceEventIds(ids: Iterable<string>): string[] {
  return [...new Set(ids)].slice(0, MAX_EVIDENCE_EVENT_IDS);
}

export type Severity = FindingRaised['severity'];
export type RuleMode = FindingRaised['mode'];

/** What a check decides: a violation, before it becomes a "Finding Raised" event. */
export interface Finding {
  readonly findingId: string;
  readonly control: string;
  /** The check within the control, e.g. "leaver-not-revoked"; stable, used in ids and reports. */
  readonly rule: string;
  readonly title: string;
  readonly severity: Severity;
  readonly mode: RuleMode;
  readonly subject: { readonly type: string; readonly id: string; readonly name?: string };
  readonly summary: string;
  readonly facts: Readonly<Record<string, unknown>>;
  readonly eventIds: readonly string[];
  readonly dueAt?: string;
  /** Raised once for a window or an event; reconciliation never resolves it (it ages out). */
  readonly sticky?: boolean;
}

export type FindingState = 'open' | 'acknowledged' | 'excepted' | 'resolved';
/** States in which a finding still asks for something to be done (or is covered by an exception). */
export const LIVE_STATES: readonly FindingState[] = ['open', 'acknowledged', 'excepted'];

export interface FindingHistoryEntry {
  readonly at: string;
  readonly state: FindingState | 'evidence-updated';
  readonly by: string;
  readonly note?: string;
}

export interface FindingException {
  readonly owner: string;
  readonly until: string;
  readonly reason: string;
}

/** A finding as the lifecycle keeps it. */
export interface StoredFinding {
  readonly findingId: string;
  readonly detectedBy: string;
  readonly rule: string;
  readonly sticky: boolean;
  readonly state: FindingState;
  /** The finding as last raised (the "Finding Raised" detail). */
  readonly raised: FindingRaised;
  readonly firstRaisedAt: string;
  readonly updatedAt: string;
  readonly resolvedAt?: string;
  readonly acknowledgedBy?: string;
  readonly exception?: FindingException;
  readonly history: readonly FindingHistoryEntry[];
}

export const isLive = (f: Pick<StoredFinding, 'state'>) => f.state !== 'resolved';

/** An exception whose expiry has passed no longer covers the finding. */
export const exceptionCovers = (f: Pick<StoredFinding, 'state' | 'exception'>, now: Date) =>
  f.state === 'excepted' && f.exception !== undefined && Date.parse(f.exception.until) > now.getTime();

/** Same violation, same id: the control, the rule and what identifies the violation. */
export function stableFindingId(detectedBy: string, control: string, rule: string, ...identifying: readonly string[]): string {
  const digest = createHash('sha256').update([control, rule, ...identifying].join('\n')).digest('hex').slice(0, 24);
  return `${detectedBy}-${control}-${rule}-${digest}`;
}

/** The `erpgov.<function>` source a function's findings carry (which keeps them out of rules that match ERP sources: no loops). */
export const findingSource = (detectedBy: string) => `erpgov.${detectedBy}`;

export function toFindingRaised(finding: Finding, detectedBy: string): FindingRaised {
  return {
    schemaVersion: 1,
    findingId: finding.findingId,
    control: finding.control,
    title: finding.title,
    severity: finding.severity,
    mode: finding.mode,
    subject: { ...finding.subject },
    evidence: { summary: finding.summary, eventIds: evidenceEventIds(finding.eventIds), facts: { rule: finding.rule, ...finding.facts } },
    ...(finding.dueAt ? { dueAt: finding.dueAt } : {}),
    detectedBy,
  };
}

export function raisedEvent(detail: FindingRaised): OutgoingEvent {
  return { source: findingSource(detail.detectedBy), detailType: 'Finding Raised', detail };
}

export function resolvedEvent(stored: StoredFinding, how: { resolvedBy: string; summary: string; facts?: Record<string, unknown>; eventIds?: readonly string[]; resolution?: FindingResolved['resolution'] }): OutgoingEvent {
  const detail: FindingResolved = {
    schemaVersion: 1,
    findingId: stored.findingId,
    control: stored.raised.control,
    severity: stored.raised.severity,
    mode: stored.raised.mode,
    subject: stored.raised.subject,
    resolution: how.resolution ?? 'fixed',
    resolvedBy: how.resolvedBy,
    evidence: { summary: how.summary, eventIds: evidenceEventIds(how.eventIds ?? []), facts: { rule: stored.rule, ...how.facts } },
  };
  return { source: findingSource(stored.detectedBy), detailType: 'Finding Resolved', detail };
}

/** Whether a raise carries new evidence worth announcing: the summary, the figures or the events changed. */
export function evidenceChanged(before: FindingRaised, after: FindingRaised): boolean {
  return (
    before.title !== after.title ||
    before.severity !== after.severity ||
    before.evidence.summary !== after.evidence.summary ||
    JSON.stringify(before.evidence.facts ?? {}) !== JSON.stringify(after.evidence.facts ?? {}) ||
    JSON.stringify(before.evidence.eventIds) !== JSON.stringify(after.evidence.eventIds) ||
    before.dueAt !== after.dueAt
  );
}

export interface ReconcilePlan {
  /** Desired findings: new ones, re-opened ones and live ones with new evidence (the lifecycle tells them apart). */
  readonly raise: readonly Finding[];
  /** Live, non-sticky findings of the scope that the checks no longer call for. */
  readonly resolve: readonly StoredFinding[];
}

/**
 * What reconciling a scope changes: raise what the checks call for, resolve what they no
 * longer do. Sticky findings are never resolved by reconciliation; excepted ones are
 * resolved too when the condition clears (the exception is no longer needed).
 */
export function planReconcile(desired: readonly Finding[], current: readonly StoredFinding[]): ReconcilePlan {
  const wanted = new Set(desired.map((f) => f.findingId));
  return {
    raise: desired,
    resolve: current.filter((f) => isLive(f) && !f.sticky && !wanted.has(f.findingId)),
  };
}
