/**
 * A chain that fails verification when its day is archived is a critical finding on control
 * 6.1 (operation logs kept, complete and unaltered): the archive keeps what was found, and
 * the finding tells admins and auditors where to look. Raised once per chain (sticky:
 * nothing resolves a tampered chain; the evidence stays). Pure.
 */
import type { FunctionName } from '../../infra/function-routes.ts';
import type { RuleMode } from '../shared/findings/finding.ts';
import { stableFindingId, type Finding } from '../shared/findings/finding.ts';
import { subjectScope, type FindingScope } from '../shared/findings/findings-store.ts';
import type { BrokenLink } from '../shared/audit-trail/hash-chain.ts';

export const DETECTED_BY = 'audit-archive' satisfies FunctionName;

export function brokenChainFinding(day: string, broken: BrokenLink, mode: RuleMode): Finding {
  return {
    findingId: stableFindingId(DETECTED_BY, '6.1', 'chain-broken', broken.chainId),
    control: '6.1',
    rule: 'chain-broken',
    title: 'Audit trail tampered with or incomplete',
    severity: 'critical',
    mode,
    subject: { type: 'audit-chain', id: broken.chainId, name: `audit chain of ${day}` },
    summary: `Chain ${broken.chainId} breaks at link ${broken.seq} (${broken.kind}): ${broken.message}. The day was archived as found; compare with earlier exports and the ERP's own log.`,
    eventIds: [],
    facts: { day, chainId: broken.chainId, kind: broken.kind, seq: broken.seq },
    sticky: true,
  };
}

/** The scope a chain's finding is kept in: the chain. */
export const chainScope = (chainId: string): FindingScope => subjectScope(DETECTED_BY, `audit-chain#${chainId}`);
