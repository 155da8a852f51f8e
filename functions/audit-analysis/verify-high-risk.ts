/**
 * Dual verification over ports (guide 6.2): store what arrived, then settle the operation
 * from everything stored about it. Facts are stored before they are judged, so whichever of an
 * operation and its verification arrives second sees the first; the sweep settles what no
 * event did. Findings are published before they are recorded as raised: a crash in between
 * means the same finding (same id) once more, never a lost one.
 */
import type { EventPublisher } from '../shared/ports.ts';
import type { Policy } from '../../schemas/policy.ts';
import type { FindingRaised } from '../../schemas/registry.ts';
import type { HighRiskStore } from './analysis-state.ts';
import { findingEvent } from './findings.ts';
import { evaluateOperation, planOperation, toVerification, type ErpFact } from './high-risk.ts';

/** The sweep's schedule id in `infra/routes.ts`; its scheduled events' rule ARN ends with it. */
export const HIGH_RISK_SWEEP_SCHEDULE = 'audit-high-risk-sweep';
/** State outlives every decision by far; on AWS, TTL then clears it (the audit trail keeps the evidence). */
const STATE_KEPT_MS = 30 * 86_400_000;
/** Attempts to settle when concurrent deliveries keep moving the status under us. */
const MAX_SETTLE_ATTEMPTS = 3;

export interface HighRiskPorts {
  readonly store: HighRiskStore;
  readonly publisher: EventPublisher;
  readonly policy: Policy;
}

const expiresAt = (fromIso: string) => Math.floor((Date.parse(fromIso) + STATE_KEPT_MS) / 1000);

/** An Operation Audited, Role Assigned, Role Revoked or Operation Verified fact; `now` is when it arrived. */
export async function recordHighRiskFact(ports: HighRiskPorts, fact: ErpFact, now: Date): Promise<readonly FindingRaised[]> {
  if (fact.detailType === 'Operation Verified') {
    const verification = toVerification(fact);
    await ports.store.putVerification(verification, expiresAt(verification.occurredAt));
    return settleOperation(ports, verification.operationKey, now);
  }
  const plan = planOperation(fact, ports.policy, now);
  if (plan === null) return [];
  // A duplicate keeps the stored operation (and its arrival time): the first delivery counts.
  await ports.store.putOperation(plan.operation, expiresAt(plan.operation.decideAfter));
  if (plan.inlineVerification) await ports.store.putVerification(plan.inlineVerification, expiresAt(plan.operation.decideAfter));
  return settleOperation(ports, plan.operation.operationKey, now);
}

/** Scheduled: settles every open operation whose wait is over. */
export async function sweepOverdueOperations(ports: HighRiskPorts, now: Date): Promise<readonly FindingRaised[]> {
  const raised: FindingRaised[] = [];
  for (const key of await ports.store.overdueOperationKeys(now)) raised.push(...(await settleOperation(ports, key, now)));
  return raised;
}

/** Judges one operation from its stored facts and applies the decision. */
export async function settleOperation(ports: HighRiskPorts, operationKey: string, now: Date): Promise<readonly FindingRaised[]> {
  for (let attempt = 1; attempt <= MAX_SETTLE_ATTEMPTS; attempt++) {
    const { operation, verifications } = await ports.store.read(operationKey);
    // A verification whose operation has not arrived yet waits for it.
    if (operation === undefined) return [];
    const decision = evaluateOperation(operation, verifications, ports.policy, now);
    // The status moves first (a claim), so two deliveries never decide differently.
    if (decision.status !== operation.status && !(await ports.store.transition(operationKey, operation.status, decision.status))) continue;
    if (decision.findings.length > 0) await ports.publisher.publish(decision.findings.map(findingEvent));
    const close = decision.status !== 'pending';
    if (decision.findings.length > 0 || close) await ports.store.markRaised(operationKey, decision.findings.map((f) => f.findingId), close);
    return decision.findings;
  }
  // Other deliveries are settling it right now; the sweep catches anything left over.
  return [];
}
