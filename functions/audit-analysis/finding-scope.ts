/**
 * Where audit-analysis's findings come from and where the lifecycle keeps them: their stable
 * ids (the same violation always gets the same id, so a re-run or a duplicate delivery
 * updates one finding) and one scope per subject (an account, an operation, the module-error
 * report). Pure.
 */
import type { FunctionName } from '../../infra/function-routes.ts';
import { stableFindingId, type Finding } from '../shared/findings/finding.ts';
import { subjectScope, type FindingScope } from '../shared/findings/findings-store.ts';

export const DETECTED_BY = 'audit-analysis' satisfies FunctionName;

/** Same violation, same id: the control, the rule and what identifies the violation (subject, window or day). */
export const findingId = (control: string, rule: string, ...identifying: readonly string[]): string => stableFindingId(DETECTED_BY, control, rule, ...identifying);

/** The scope a finding is kept in: its subject. */
export const findingScope = (finding: Pick<Finding, 'subject'>): FindingScope => subjectScope(DETECTED_BY, `${finding.subject.type}#${finding.subject.id}`);
