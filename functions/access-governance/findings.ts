/** The findings and commands of access-governance: the shared finding tools, bound to this function. */
import { createHash } from 'node:crypto';
import { findingTools } from '../shared/findings.ts';

export const DETECTED_BY = 'access-governance';
const tools = findingTools(DETECTED_BY);
/** `erpgov.` keeps the function's own findings and commands out of its ERP rules (no loops). */
export const FINDING_SOURCE = tools.source;
export const stableFindingId = tools.stableFindingId;
export const findingEvent = tools.findingEvent;

/** Same remedy, same command id: a redelivery or re-run issues the same command, which the connector dedupes. */
export function stableCommandId(...identifying: readonly string[]): string {
  return `cmd-${createHash('sha256').update(identifying.join('\n')).digest('hex').slice(0, 24)}`;
}
