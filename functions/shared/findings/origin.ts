/**
 * Who may speak about a finding. A finding is raised and resolved only by the function that
 * detects it (`detectedBy`), whose events carry the source `erpgov.<detectedBy>` and whose
 * finding ids start with `<detectedBy>-<control>-` (`stableFindingId`). A consumer checks
 * both before it believes an event: a `Finding Resolved` counts only from the function that
 * raised that finding. Pure.
 *
 * The door and IAM already keep `erpgov.*` to the pipeline's own functions (locally the
 * endpoint refuses it; on AWS each function's role may put only its own source); this is the
 * consumer's own check behind them, so that one function cannot close another's findings
 * and a hole in the door cannot tell admins a real finding was fixed.
 */
import { findingSource } from './finding.ts';

export type FindingOrigin = { readonly ok: true } | { readonly ok: false; readonly reason: string };

const PIPELINE_PREFIX = 'erpgov.';
/** What follows `<detectedBy>-` in a stable finding id: the control, e.g. `2.3-`. */
const CONTROL_AFTER_PREFIX = /^[1-6]\.[1-9]\d*-/;

/** The function a source names (`erpgov.access-governance` → `access-governance`), or undefined for any other source. */
export function pipelineFunctionOf(source: string): string | undefined {
  return source.startsWith(PIPELINE_PREFIX) && source.length > PIPELINE_PREFIX.length ? source.slice(PIPELINE_PREFIX.length) : undefined;
}

/** Whether `findingId` is one `detectedBy` made (`<detectedBy>-<control>-...`). */
export function findingIdIsFrom(findingId: string, detectedBy: string): boolean {
  return findingId.startsWith(`${detectedBy}-`) && CONTROL_AFTER_PREFIX.test(findingId.slice(detectedBy.length + 1));
}

/**
 * Whether a `Finding Raised` or `Finding Resolved` event comes from the function the finding
 * belongs to. Other detail-types pass unchecked.
 */
export function checkFindingOrigin(detailType: string, source: string, detail: { readonly findingId?: unknown; readonly detectedBy?: unknown }): FindingOrigin {
  if (detailType !== 'Finding Raised' && detailType !== 'Finding Resolved') return { ok: true };
  const speaker = pipelineFunctionOf(source);
  const findingId = typeof detail.findingId === 'string' ? detail.findingId : '';
  if (speaker === undefined) {
    return { ok: false, reason: `${detailType} for finding "${findingId}" came from source "${source}"; findings come only from the pipeline's functions (erpgov.<function>)` };
  }
  if (detailType === 'Finding Raised') {
    const detectedBy = typeof detail.detectedBy === 'string' ? detail.detectedBy : '';
    if (findingSource(detectedBy) !== source) {
      return { ok: false, reason: `Finding Raised "${findingId}" names detectedBy "${detectedBy}" but came from ${source}; a function raises only its own findings` };
    }
  }
  if (!findingIdIsFrom(findingId, speaker)) {
    return { ok: false, reason: `${detailType} for finding "${findingId}" came from ${source}, which did not raise it; only the function that raised a finding may resolve it` };
  }
  return { ok: true };
}
