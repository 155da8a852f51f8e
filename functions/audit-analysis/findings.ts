/** The findings of audit-analysis: the shared finding tools, bound to this function. */
import { findingTools } from '../shared/findings.ts';

export { evidenceEventIds, MAX_EVIDENCE_EVENT_IDS } from '../shared/findings.ts';

export const DETECTED_BY = 'audit-analysis';
const tools = findingTools(DETECTED_BY);
/** `erpgov.` keeps the function's own findings out of its ERP rules (no loops). */
export const FINDING_SOURCE = tools.source;
export const stableFindingId = tools.stableFindingId;
export const findingEvent = tools.findingEvent;
