/**
 * What every finding of audit-analysis shares: who raised it, how its id is made stable, how
 * much evidence it carries, and how it goes on the bus. Pure.
 */
import { createHash } from 'node:crypto';
import type { FindingRaised } from '../../schemas/registry.ts';
import type { OutgoingEvent } from '../shared/ports.ts';

export const DETECTED_BY = 'audit-analysis';
/** `erpgov.` keeps the function's own findings out of its ERP rules (no loops). */
export const FINDING_SOURCE = `erpgov.${DETECTED_BY}`;

/**
 * The contract allows 1000 event ids; a finding about a whole day of one actor could exceed
 * that, and an admin reads the first few anyway. The full count goes into the facts.
 */
export const MAX_EVIDENCE_EVENT_IDS = 100;

/**
 * Same violation, same id: the control, the rule and what identifies the violation (its
 * subject and the window or day it was found in). Re-runs and duplicate deliveries then
 * update one finding instead of opening new ones.
 */
export function stableFindingId(control: string, rule: string, ...identifying: readonly string[]): string {
  const digest = createHash('sha256').update([control, rule, ...identifying].join('\n')).digest('hex').slice(0, 24);
  return `${DETECTED_BY}-${control}-${rule}-${digest}`;
}

/** Event ids without repeats, in first-seen order, capped at MAX_EVIDENCE_EVENT_IDS. */
export function evidenceEventIds(ids: Iterable<string>): string[] {
  return [...new Set(ids)].slice(0, MAX_EVIDENCE_EVENT_IDS);
}

export function findingEvent(finding: FindingRaised): OutgoingEvent {
  return { source: FINDING_SOURCE, detailType: 'Finding Raised', detail: finding };
}
