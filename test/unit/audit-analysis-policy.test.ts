/** The policy fields audit-analysis added under `audit`: defaults and the checks that relate them. */
import { describe, expect, it } from 'vitest';
import { defaultPolicy } from '../../schemas/default-policy.ts';
import { parsePolicy, PolicyError } from '../../schemas/policy-loader.ts';

function problemsOf(input: unknown): string[] {
  try {
    parsePolicy(input);
  } catch (err) {
    if (err instanceof PolicyError) return err.problems.map((p) => `${p.path}: ${p.message}`);
    throw err;
  }
  return [];
}

describe('audit-analysis policy fields', () => {
  it('ship defaults: any second person may verify; 14-day baseline, factor 3, minimum 20, deletes and exports, no device register', () => {
    expect(defaultPolicy.audit.highRiskOperations.dualVerification.authorisedVerifiers).toEqual([]);
    expect(defaultPolicy.audit.behaviourAnalysis).toEqual({ mode: 'enforce', baselineDays: 14, burstFactor: 3, minimumBurst: 20, burstActions: ['delete', 'export'], boundDevices: {} });
  });

  it.each([
    [{ audit: { highRiskOperations: { dualVerification: { authorisedVerifiers: ['it.lead.sun', 'it.lead.sun'] } } } }, 'audit.highRiskOperations.dualVerification.authorisedVerifiers[1]: must not repeat an account'],
    [{ audit: { behaviourAnalysis: { baselineDays: 400 } } }, 'audit.behaviourAnalysis.baselineDays: must be at most audit.retention.days (183): the baseline is read from the audit trail, which keeps no more'],
    [{ audit: { behaviourAnalysis: { burstActions: ['delete', 'DELETE'] } } }, 'audit.behaviourAnalysis.burstActions[1]: must not repeat an action'],
    [{ audit: { behaviourAnalysis: { burstFactor: 0.5 } } }, 'audit.behaviourAnalysis.burstFactor: must be at least 1'],
    [{ audit: { behaviourAnalysis: { boundDevices: { u1001: [] } } } }, 'audit.behaviourAnalysis.boundDevices.u1001: must list at least one device; remove the account to fall back to its known devices'],
  ])('refuses %j', (input, problem) => {
    expect(problemsOf(input)).toEqual([problem]);
  });

  it('accepts a longer baseline when retention keeps the records', () => {
    expect(parsePolicy({ audit: { retention: { days: 400 }, behaviourAnalysis: { baselineDays: 400 } } }).audit.behaviourAnalysis.baselineDays).toBe(400);
  });
});
