/**
 * A chain that fails verification when its day is archived is a critical finding on control
 * 6.1 (operation logs kept, complete and unaltered): the archive keeps what was found, and
 * the finding tells admins and auditors where to look. Pure.
 */
import type { FindingRaised } from '../../schemas/registry.ts';
import { findingTools } from '../shared/findings.ts';
import type { BrokenLink } from '../shared/audit-trail/hash-chain.ts';

export const integrityFindings = findingTools('audit-archive');

export function brokenChainFinding(day: string, broken: BrokenLink, mode: 'enforce' | 'report-only'): FindingRaised {
  return {
    schemaVersion: 1,
    findingId: integrityFindings.stableFindingId('6.1', 'chain-broken', broken.chainId),
    control: '6.1',
    title: 'Audit trail tampered with or incomplete',
    severity: 'critical',
    mode,
    subject: { type: 'audit-chain', id: broken.chainId, name: `audit chain of ${day}` },
    evidence: {
      summary: `Chain ${broken.chainId} breaks at link ${broken.seq} (${broken.kind}): ${broken.message}. The day was archived as found; compare with earlier exports and the ERP's own log.`,
      eventIds: [],
      facts: { day, chainId: broken.chainId, kind: broken.kind, seq: broken.seq },
    },
    detectedBy: integrityFindings.detectedBy,
  };
}
