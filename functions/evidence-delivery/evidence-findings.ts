/**
 * A guide control nobody fed during a month is not "met": it is a finding on that control,
 * one per control (`control-without-evidence`), raised when the month's pack finds no data
 * for it and resolved by the first later month's pack that has data. Pure.
 */
import type { FunctionName } from '../../infra/function-routes.ts';
import { controlCatalogue } from '../../schemas/controls.ts';
import type { EvidenceIndex } from '../shared/evidence/evidence-index.ts';
import { stableFindingId, type Finding, type RuleMode } from '../shared/findings/finding.ts';
import { subjectScope, type FindingScope } from '../shared/findings/findings-store.ts';

export const DETECTED_BY = 'evidence-delivery' satisfies FunctionName;
export const RULE = 'control-without-evidence';

/** Every finding of the rule lives in one scope, reconciled against each month's pack. */
export const controlsScope: FindingScope = subjectScope(DETECTED_BY, 'guide-controls');

export function controlWithoutEvidence(control: string, period: string, mode: RuleMode): Finding {
  return {
    findingId: stableFindingId(DETECTED_BY, control, RULE, control),
    control,
    rule: RULE,
    title: `No evidence for control ${control} in ${period}`,
    severity: 'medium',
    mode,
    subject: { type: 'guide-control', id: control, name: controlCatalogue[control]?.en ?? control },
    summary: `Nothing reached control ${control} in ${period}: no events of the kinds that serve it, no report rows, no findings. A control nobody feeds cannot be shown to be met; connect its source or record why it does not apply.`,
    facts: { control, period },
    eventIds: [],
  };
}

/** The findings a month's index calls for: one per control without data. */
export const missingEvidenceFindings = (index: EvidenceIndex, mode: RuleMode): Finding[] =>
  index.controls.filter((c) => !c.hasData).map((c) => controlWithoutEvidence(c.control, index.period.label, mode));
