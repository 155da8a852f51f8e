/**
 * What every function's findings share: the `erpgov.<function>` source (which keeps a
 * function's own findings out of rules that match ERP sources — no loops), ids that stay the
 * same for the same violation, capped evidence, and the outgoing event. Pure.
 */
import { createHash } from 'node:crypto';
import type { FindingRaised } from '../../schemas/registry.ts';
import type { OutgoingEvent } from './ports.ts';

/**
 * The contract allows 1000 event ids; a finding about a whole day of one actor could exceed
 * that, and an admin reads the first few anyway. The full count goes into the facts.
 */
export const MAX_EVIDENCE_EVENT_IDS = 100;

/** Event ids without repeats, in first-seen order, capped at MAX_EVIDENCE_EVENT_IDS. */
export function evidenceEventIds(ids: Iterable<string>): string[] {
  return [...new Set(ids)].slice(0, MAX_EVIDENCE_EVENT_IDS);
}

export function findingTools(detectedBy: string) {
  const source = `erpgov.${detectedBy}`;
  return {
    detectedBy,
    source,
    /**
     * Same violation, same id: the control, the rule and what identifies the violation (its
     * subject and the window or day it was found in). Re-runs and duplicate deliveries then
     * update one finding instead of opening new ones.
     */
    stableFindingId(control: string, rule: string, ...identifying: readonly string[]): string {
      const digest = createHash('sha256').update([control, rule, ...identifying].join('\n')).digest('hex').slice(0, 24);
      return `${detectedBy}-${control}-${rule}-${digest}`;
    },
    findingEvent(finding: FindingRaised): OutgoingEvent {
      return { source, detailType: 'Finding Raised', detail: finding };
    },
  };
}
