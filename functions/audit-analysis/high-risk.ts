/**
 * High-risk operations and their dual verification (guide 6.2). Pure: which facts are
 * high-risk, what a verification is worth, and what an operation's state means at a given
 * moment (verified, still waiting, or a finding).
 *
 * An operation is verified by a second person who is not its actor, is authorised (when the
 * policy lists verifiers), and verified within the window around the operation's time:
 * before it (an approval) or after it (a review). The verification arrives inline
 * (`Operation Audited.verifiedBy`) or as its own `Operation Verified` event, in either order
 * and possibly twice; every decision below is a function of the stored facts, so order and
 * duplicates do not change it.
 */
import type { Policy } from '../../schemas/policy.ts';
import type { RoutedFact } from '../shared/event-handler.ts';
import type { Finding } from '../shared/findings/finding.ts';
import { MINUTE_MS } from '../shared/time.ts';
import { findingId } from './finding-scope.ts';

export const HIGH_RISK_CONTROL = '6.2';

/**
 * How long after the deadline (or after the operation reached us, if that was later) the
 * sweep still waits before calling an operation unverified: a verification made in time may
 * be a few retries behind on the bus, or arrive with the operation in one backlog.
 */
export const VERIFICATION_DELIVERY_GRACE_MS = 5 * MINUTE_MS;

/** An ERP fact routed to audit-analysis (the routing table names them), its detail typed by its schema. */
export type HighRiskFact = RoutedFact<'audit-analysis'>;
/** The facts an operation can be: everything routed here but its verifications. */
export type OperationFact = Exclude<HighRiskFact, { detailType: 'Operation Verified' }>;
export type VerificationFact = Extract<HighRiskFact, { detailType: 'Operation Verified' }>;

export type HighRiskKind = 'bulk-delete' | 'sensitive-export' | 'admin-role-change' | 'admin-permission-change';
export type OperationStatus = 'pending' | 'verified' | 'unverified' | 'waived';

export interface HighRiskOperation {
  /** The ERP's operationId, or the event id when the event carries none. */
  readonly operationKey: string;
  readonly eventId: string;
  readonly source: string;
  readonly detailType: OperationFact['detailType'];
  readonly kind: HighRiskKind;
  readonly actor: string;
  /** Readable one-liner for the finding, e.g. "delete of 250 sales-order records in orders". */
  readonly description: string;
  readonly occurredAt: string;
  readonly receivedAt: string;
  /** Latest time a verification still counts: the operation's time plus the window. */
  readonly deadline: string;
  /** When the sweep stops waiting: the deadline or the arrival, whichever is later, plus the grace. */
  readonly decideAfter: string;
  readonly status: OperationStatus;
  /** Findings already on the bus for this operation, so a redelivery does not raise them again. */
  readonly raisedFindingIds: readonly string[];
}

export interface Verification {
  readonly operationKey: string;
  readonly eventId: string;
  readonly verifier: string;
  readonly occurredAt: string;
  /** Given as `verifiedBy` on the operation itself rather than as an Operation Verified event. */
  readonly inline: boolean;
  /**
   * The event's time could not be believed (see `ClockSkew` in event-handler.ts): `occurredAt`
   * is its arrival, `claimedTime` what it said. Such a verification never counts: a second
   * person's sign-off is worth only its time, and this one's time is unknown.
   */
  readonly clockSkew?: { readonly kind: 'future' | 'late'; readonly claimedTime: string };
}

export type VerificationVerdict = 'valid' | 'self-verified' | 'unauthorised-verifier' | 'outside-window' | 'time-not-believable';

export interface OperationDecision {
  readonly status: OperationStatus;
  /** Findings not raised before; the caller raises them, then records their ids. */
  readonly findings: readonly Finding[];
  readonly verifiedBy?: Verification;
}

type HighRiskPolicy = Policy['audit']['highRiskOperations'];

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
const listed = (list: readonly string[], value: string) => list.some((item) => same(item, value));

interface Classification {
  readonly kind: HighRiskKind;
  readonly actor: string;
  readonly operationKey: string;
  readonly description: string;
  readonly inlineVerifier?: string;
}

/** Which kind of high-risk operation the fact is, or null. Operations that failed or were denied changed nothing and need no verification. */
export function classifyHighRisk(fact: OperationFact, policy: HighRiskPolicy): Classification | null {
  switch (fact.detailType) {
    case 'Operation Audited': {
      const op = fact.detail;
      if ((op.outcome ?? 'success') !== 'success') return null;
      const base = { actor: op.actor, operationKey: op.operationId ?? fact.eventId, ...(op.verifiedBy ? { inlineVerifier: op.verifiedBy } : {}) };
      const action = op.action.toLowerCase();
      if (action === 'delete' && op.recordCount !== undefined && op.recordCount > policy.bulkDeleteAboveRecords) {
        return { ...base, kind: 'bulk-delete', description: `delete of ${op.recordCount} ${op.target} records in ${op.module}` };
      }
      if (action === 'export' && op.dataCategory !== undefined && listed(policy.sensitiveExportCategories, op.dataCategory)) {
        return { ...base, kind: 'sensitive-export', description: `export of ${op.dataCategory} data (${op.target}) from ${op.module}` };
      }
      // A permission change names the role it changed as its target.
      if (action === 'permission-change' && listed(policy.adminRoles, op.target)) {
        return { ...base, kind: 'admin-permission-change', description: `permission change on admin role ${op.target}` };
      }
      return null;
    }
    // The contract gives role changes no operationId: an Operation Verified names the event id.
    case 'Role Assigned': {
      const change = fact.detail;
      if (!listed(policy.adminRoles, change.role)) return null;
      return { kind: 'admin-role-change', actor: change.grantedBy, operationKey: fact.eventId, description: `admin role ${change.role} assigned to ${change.account}` };
    }
    case 'Role Revoked': {
      const change = fact.detail;
      if (!listed(policy.adminRoles, change.role)) return null;
      return { kind: 'admin-role-change', actor: change.revokedBy, operationKey: fact.eventId, description: `admin role ${change.role} revoked from ${change.account}` };
    }
  }
}

/**
 * The operation to track (and its inline verification, if any), or null when the fact is not
 * high-risk or the policy requires no second person.
 */
export function planOperation(fact: OperationFact, policy: Policy, receivedAt: Date): { operation: HighRiskOperation; inlineVerification?: Verification } | null {
  const rule = policy.audit.highRiskOperations;
  if (!rule.dualVerification.required) return null;
  const found = classifyHighRisk(fact, rule);
  if (found === null) return null;
  const occurredAt = Date.parse(fact.time);
  const deadline = occurredAt + rule.dualVerification.windowMinutes * MINUTE_MS;
  const operation: HighRiskOperation = {
    operationKey: found.operationKey,
    eventId: fact.eventId,
    source: fact.source,
    detailType: fact.detailType,
    kind: found.kind,
    actor: found.actor,
    description: found.description,
    occurredAt: new Date(occurredAt).toISOString(),
    receivedAt: receivedAt.toISOString(),
    deadline: new Date(deadline).toISOString(),
    decideAfter: new Date(Math.max(deadline, receivedAt.getTime()) + VERIFICATION_DELIVERY_GRACE_MS).toISOString(),
    status: 'pending',
    raisedFindingIds: [],
  };
  if (found.inlineVerifier === undefined) return { operation };
  const inlineVerification: Verification = { operationKey: found.operationKey, eventId: fact.eventId, verifier: found.inlineVerifier, occurredAt: operation.occurredAt, inline: true };
  return { operation, inlineVerification };
}

/** An `Operation Verified` fact as a verification. */
export function toVerification(fact: VerificationFact): Verification {
  return {
    operationKey: fact.detail.operationId, eventId: fact.eventId, verifier: fact.detail.verifier, occurredAt: new Date(Date.parse(fact.time)).toISOString(), inline: false,
    ...(fact.clockSkew ? { clockSkew: { kind: fact.clockSkew.kind, claimedTime: fact.clockSkew.claimedTime } } : {}),
  };
}

export function judgeVerification(operation: HighRiskOperation, verification: Verification, policy: Policy): VerificationVerdict {
  const { authorisedVerifiers, windowMinutes } = policy.audit.highRiskOperations.dualVerification;
  if (same(verification.verifier, operation.actor)) return 'self-verified';
  if (authorisedVerifiers.length > 0 && !listed(authorisedVerifiers, verification.verifier)) return 'unauthorised-verifier';
  // Governed at its arrival, but its own time is unknown: it cannot show the sign-off came in the window.
  if (verification.clockSkew !== undefined) return 'time-not-believable';
  const distance = Math.abs(Date.parse(verification.occurredAt) - Date.parse(operation.occurredAt));
  return distance <= windowMinutes * MINUTE_MS ? 'valid' : 'outside-window';
}

/**
 * What the stored facts of one operation mean at `now`. A self- or unauthorised verification
 * is a finding as soon as it meets its operation, whatever else happens; the operation itself
 * is verified by any valid verification, and unverified once `decideAfter` has passed without one.
 */
export function evaluateOperation(operation: HighRiskOperation, verifications: readonly Verification[], policy: Policy, now: Date): OperationDecision {
  const rule = policy.audit.highRiskOperations;
  if (!rule.dualVerification.required) return { status: operation.status === 'pending' ? 'waived' : operation.status, findings: [] };

  const judged = verifications.map((verification) => ({ verification, verdict: judgeVerification(operation, verification, policy) }));
  const raised = new Set(operation.raisedFindingIds);
  const findings: Finding[] = [];
  for (const { verification, verdict } of judged) {
    if (verdict !== 'self-verified' && verdict !== 'unauthorised-verifier') continue;
    const finding = invalidVerifierFinding(operation, verification, verdict, policy);
    if (!raised.has(finding.findingId) && !findings.some((f) => f.findingId === finding.findingId)) findings.push(finding);
  }

  const valid = judged.find((j) => j.verdict === 'valid')?.verification;
  let status = operation.status;
  if (status === 'pending') {
    if (valid) status = 'verified';
    else if (now.getTime() > Date.parse(operation.decideAfter)) status = 'unverified';
  }
  if (status === 'unverified') {
    // Also when an earlier run moved the status but died before raising it: raise it now.
    const finding = unverifiedFinding(operation, judged, policy);
    if (!raised.has(finding.findingId)) findings.push(finding);
  }
  return { status, findings, ...(valid ? { verifiedBy: valid } : {}) };
}

/** What every 6.2 finding shares. Raised once per operation and verifier: nothing resolves them (sticky). */
function baseFinding(operation: HighRiskOperation, policy: Policy) {
  return {
    control: HIGH_RISK_CONTROL,
    severity: 'critical' as const,
    mode: policy.audit.highRiskOperations.mode,
    subject: { type: 'operation', id: operation.operationKey, name: operation.description },
    sticky: true,
  };
}

function operationFacts(operation: HighRiskOperation) {
  return { kind: operation.kind, actor: operation.actor, operationKey: operation.operationKey, occurredAt: operation.occurredAt, source: operation.source, detailType: operation.detailType };
}

function invalidVerifierFinding(operation: HighRiskOperation, verification: Verification, verdict: 'self-verified' | 'unauthorised-verifier', policy: Policy): Finding {
  const self = verdict === 'self-verified';
  return {
    ...baseFinding(operation, policy),
    findingId: findingId(HIGH_RISK_CONTROL, verdict, operation.operationKey, verification.verifier.toLowerCase()),
    rule: verdict,
    title: self ? 'High-risk operation verified by its own actor' : 'High-risk operation verified by an unauthorised account',
    summary: self
      ? `${operation.actor} verified their own ${operation.description}; dual verification needs a second person (guide 6.2).`
      : `${verification.verifier} verified ${operation.actor}'s ${operation.description} but is not an authorised verifier (guide 6.2).`,
    eventIds: [operation.eventId, verification.eventId],
    facts: {
      ...operationFacts(operation),
      verifier: verification.verifier,
      verifiedAt: verification.occurredAt,
      inline: verification.inline,
      ...(self ? {} : { authorisedVerifiers: [...policy.audit.highRiskOperations.dualVerification.authorisedVerifiers] }),
    },
  };
}

function unverifiedFinding(operation: HighRiskOperation, judged: readonly { verification: Verification; verdict: VerificationVerdict }[], policy: Policy): Finding {
  const { windowMinutes } = policy.audit.highRiskOperations.dualVerification;
  const rejected = judged.filter((j) => j.verdict !== 'valid');
  const late = rejected.filter((j) => j.verdict === 'outside-window').length;
  const skewed = rejected.filter((j) => j.verdict === 'time-not-believable').length;
  return {
    ...baseFinding(operation, policy),
    findingId: findingId(HIGH_RISK_CONTROL, 'unverified', operation.operationKey),
    rule: 'unverified',
    title: 'High-risk operation not verified by a second person',
    summary:
      `${operation.actor}'s ${operation.description} had no valid verification by a second, authorised person within ${windowMinutes} min` +
      (late > 0 ? ` (${late} verification(s) came outside the window)` : '') +
      (skewed > 0 ? ` (${skewed} verification(s) carried a time that cannot be believed, clock skew)` : '') +
      ' (guide 6.2).',
    eventIds: [operation.eventId, ...rejected.map((j) => j.verification.eventId)],
    facts: {
      ...operationFacts(operation),
      windowMinutes,
      deadline: operation.deadline,
      rejectedVerifications: rejected.map((j) => ({ verifier: j.verification.verifier, verifiedAt: j.verification.occurredAt, reason: j.verdict, ...(j.verification.clockSkew ? { claimedTime: j.verification.clockSkew.claimedTime } : {}) })),
    },
  };
}
