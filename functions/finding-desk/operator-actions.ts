/**
 * What an operator's action does to a finding: an acknowledgement (someone is on it) or an
 * exception (an owner accepts the risk until a date). Applied at the action's own time, or at
 * its arrival when that time cannot be believed (`clockSkew`: an action never backdates or
 * postdates a finding's history beyond the policy's tolerance).
 */
import { PermanentError } from '../../schemas/errors.ts';
import type { RoutedFact } from '../shared/event-handler.ts';
import type { FindingState } from '../shared/findings/finding.ts';
import type { findingDesk } from '../shared/findings/lifecycle.ts';

/** The action names a finding the desk cannot act on: kept as a dead letter with the reason, never dropped. */
export class FindingNotActionableError extends PermanentError {}

export interface AppliedAction {
  readonly findingId: string;
  readonly action: 'acknowledged' | 'excepted';
  readonly state: FindingState;
}

export async function applyOperatorAction(desk: ReturnType<typeof findingDesk>, fact: RoutedFact<'finding-desk'>): Promise<AppliedAction> {
  const at = new Date(fact.time);
  const { findingId } = fact.detail;
  const outcome =
    fact.detailType === 'Finding Acknowledged'
      ? await desk.acknowledge(findingId, fact.detail.acknowledgedBy, fact.detail.note, at)
      : await desk.except(findingId, { owner: fact.detail.owner, until: fact.detail.until, reason: fact.detail.reason }, fact.detail.grantedBy, at);
  if (!outcome.ok) {
    const why = outcome.reason === 'unknown' ? 'no finding has this id' : outcome.reason === 'resolved' ? 'the finding is already resolved' : 'the finding belongs to someone else';
    throw new FindingNotActionableError(`${fact.detailType} event ${fact.eventId} for finding "${findingId}" not applied: ${why}; the audit trail keeps the event`);
  }
  return { findingId, action: fact.detailType === 'Finding Acknowledged' ? 'acknowledged' : 'excepted', state: outcome.finding.state };
}
