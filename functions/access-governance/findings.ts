/**
 * Who access-governance is on the bus: the `detectedBy` its findings carry, the
 * `erpgov.access-governance` source of its commands (which keeps them out of its own ERP
 * rules: no loops), finding ids for its pure checks (same violation, same id), and command ids.
 * Findings themselves are raised and resolved only through the shared lifecycle (flows.ts).
 */
import { createHash } from 'node:crypto';
import { findingSource, stableFindingId as findingIdOf } from '../shared/findings/finding.ts';

export const DETECTED_BY = 'access-governance';
export const COMMAND_SOURCE = findingSource(DETECTED_BY);

/** Same violation, same id: the control, the rule and what identifies the violation. */
export const stableFindingId = (control: string, rule: string, ...identifying: readonly string[]) => findingIdOf(DETECTED_BY, control, rule, ...identifying);

/** Same remedy, same command id: a redelivery or re-run issues the same command, which the connector dedupes. */
export function stableCommandId(...identifying: readonly string[]): string {
  return `cmd-${createHash('sha256').update(identifying.join('\n')).digest('hex').slice(0, 24)}`;
}
