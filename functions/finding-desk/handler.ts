/**
 * finding-desk: an operator's acknowledgement or documented, expiring exception
 * (`erpgov findings ack` / `erpgov findings exception`, source `erp.operator`) applied to the
 * finding through the shared lifecycle's desk. The operator's event is already on the bus and
 * in the audit trail; the desk only changes the finding (state, owner, expiry, history).
 *
 * An action on a finding that is unknown or already resolved cannot be applied: it is not
 * dropped but refused as a permanent error, so it lands in the dead letters with the reason
 * (`erpgov dlq list`; an alarm on AWS) while the trail keeps the event itself.
 */
import { stateDocumentClient } from '../shared/aws-clients.ts';
import { readFunctionConfig } from '../shared/config.ts';
import { governanceHandler } from '../shared/event-handler.ts';
import { dynamoFindingsStore } from '../shared/findings/findings-store.ts';
import { findingDesk } from '../shared/findings/lifecycle.ts';
import { applyOperatorAction } from './operator-actions.ts';

const config = readFunctionConfig();
const desk = findingDesk(dynamoFindingsStore(stateDocumentClient(), config.stateTableName));

export const handler = governanceHandler('finding-desk')({
  async onFact(fact, { logger }) {
    const outcome = await applyOperatorAction(desk, fact);
    logger.info('operator action applied', { eventId: fact.eventId, findingId: outcome.findingId, state: outcome.state });
    return { eventId: fact.eventId, ...outcome };
  },
  onSchedule: {},
});
