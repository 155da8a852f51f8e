/**
 * How access-governance is reached and scheduled: its routing-table entry (no loop on its own
 * findings and commands) and its schedule ids. No I/O.
 */
import { describe, expect, it } from 'vitest';
import { routingTable } from '../../infra/routes.ts';
import { FINDING_SOURCE } from '../../functions/access-governance/findings.ts';
import { ACCESS_DETAIL_TYPES, ACCESS_SWEEP_SCHEDULE, PERMISSION_AUDIT_SCHEDULE } from '../../functions/access-governance/governance.ts';
import { knownDetailTypes } from '../../schemas/registry.ts';

const fn = routingTable.find((f) => f.name === 'access-governance');
const event = (source: string, detailType: string) => ({ version: '0', id: '1', account: '000000000000', time: '2026-03-10T03:00:00Z', region: 'us-east-1', resources: [], source, 'detail-type': detailType, detail: {} });
const routed = (source: string, detailType: string) => fn?.rules.some((rule) => rule.compiled.matches(event(source, detailType))) ?? false;

describe('access-governance in the routing table', () => {
  it('is declared with the access it needs', () => {
    expect(fn).toMatchObject({ entry: 'functions/access-governance/handler.ts', stateAccess: 'read-write', publishesEvents: true, archiveAccess: 'write', readsSecrets: false, sendsEmail: false });
  });

  it('receives every access fact from ERP systems, and only detail-types the contract knows', () => {
    for (const detailType of ACCESS_DETAIL_TYPES) {
      expect(knownDetailTypes).toContain(detailType);
      expect(routed('erp.sap', detailType), detailType).toBe(true);
    }
    expect(routed('erp.sap', 'Backup Completed')).toBe(false);
  });

  it('never receives its own findings or commands (no loops)', () => {
    expect(routed(FINDING_SOURCE, 'Finding Raised')).toBe(false);
    expect(routed(FINDING_SOURCE, 'Command Issued')).toBe(false);
    expect(routed('erpgov.some-function', 'Role Revoked')).toBe(false);
  });

  it('has the sweep and the permission audit under the ids the handler dispatches on', () => {
    expect(fn?.schedules.map((s) => [s.id, s.expression])).toEqual([
      [ACCESS_SWEEP_SCHEDULE, 'rate(5 minutes)'],
      [PERMISSION_AUDIT_SCHEDULE, 'cron(0 2 * * ? *)'],
    ]);
    expect(ACCESS_SWEEP_SCHEDULE.endsWith(PERMISSION_AUDIT_SCHEDULE) || PERMISSION_AUDIT_SCHEDULE.endsWith(ACCESS_SWEEP_SCHEDULE)).toBe(false);
  });
});
