/**
 * A month of access events as JSON Lines (PutEvents entries with their own `Time`), for
 * `erpgov simulate`: the access scenarios — a leaver whose access is revoked after the
 * finding, a leaver never cleaned up, a mover who kept the old role, a temporary grant that
 * expires with an operation done under it, a shared account — and, for volume, routine
 * traffic (logins and operations by ordinary accounts) up to a given count. Deterministic.
 */
import { PIPELINE_EVENT_BUS_NAME } from '../../schemas/envelope.ts';

export const MONTH = '2026-03';
/** The month's first instant; the scenario's facts fall inside the month. */
export const MONTH_START = new Date('2026-03-01T00:00:00Z');
/** The period a simulation of the month runs: through the permission audit of the 1st of April, 02:00 UTC. */
export const PERIOD_END = new Date('2026-04-01T02:30:00Z');

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const at = (offsetMs: number) => new Date(MONTH_START.getTime() + offsetMs).toISOString();

function entry(detailType: string, detail: Record<string, unknown>, time: string, source = 'erp.sap') {
  return { EventBusName: PIPELINE_EVENT_BUS_NAME, Source: source, DetailType: detailType, Detail: JSON.stringify({ schemaVersion: 1, ...detail }), Time: time };
}

const role = (account: string, person: string, roleName: string, modules: string[], permissions: string[], job: string) => ({ account, person, role: roleName, modules, permissions, job, grantedBy: 'admin.li' });

/** The scenario facts: each one an outcome the access scenario tests check. */
export function accessScenario(): Record<string, unknown>[] {
  return [
    // 2.3 leaver, cleaned up after the finding: finding raised at the deadline, revoke command, resolved by the revoke.
    entry('Role Assigned', role('u100', 'E-100', 'SD_SALES_CLERK', ['orders'], ['order.create'], 'sales'), at(HOUR)),
    entry('Employee Departed', { person: 'E-100', departedAt: at(DAY + 10 * HOUR), accounts: ['u100'] }, at(DAY + 10 * HOUR)),
    entry('Role Revoked', { account: 'u100', person: 'E-100', role: 'SD_SALES_CLERK', revokedBy: 'connector', reason: 'departure' }, at(2 * DAY + 14 * HOUR)),
    // 2.3 leaver never cleaned up: stays open, listed in the monthly audit.
    entry('Role Assigned', role('u400', 'E-400', 'SD_SALES_CLERK', ['orders'], ['order.view'], 'sales'), at(HOUR)),
    entry('Employee Departed', { person: 'E-400', departedAt: at(3 * DAY), accounts: ['u400'] }, at(3 * DAY)),
    // 2.3 mover who kept the old role.
    entry('Role Assigned', role('u500', 'E-500', 'SD_SALES_CLERK', ['orders'], ['order.view'], 'sales'), at(HOUR)),
    entry('Employee Transferred', { person: 'E-500', fromJob: 'sales', toJob: 'finance', effectiveAt: at(4 * DAY), accounts: ['u500'] }, at(4 * DAY)),
    // 2.4 temporary grant: an operation under it, then expiry (revoke command, review finding).
    entry('Role Assigned', role('u200', 'E-200', 'FI_VIEWER', ['finance'], ['journal.view'], 'finance'), at(HOUR)),
    entry('Temporary Grant Issued', { grantId: 'G1', grantee: 'u200', person: 'E-200', permissions: ['ledger.read', 'ledger.export'], reason: 'year-end audit', approver: 'audit.mgr', expiresAt: at(10 * DAY) }, at(5 * DAY)),
    entry('Operation Audited', { actor: 'u200', action: 'export', target: 'ledger-2026', module: 'finance', grantId: 'G1' }, at(6 * DAY)),
    // 2.2 shared account: two persons on two devices within the window.
    entry('Role Assigned', role('u300', 'E-300', 'SD_SALES_CLERK', ['orders'], ['order.view'], 'sales'), at(HOUR)),
    entry('Login', { account: 'u300', person: 'E-300', deviceId: 'D-1', outcome: 'success' }, at(12 * DAY + 9 * HOUR)),
    entry('Login', { account: 'u300', person: 'E-301', deviceId: 'D-2', outcome: 'success' }, at(12 * DAY + 10 * HOUR)),
  ];
}

/**
 * The scenario plus routine traffic up to `total` events over the month: ordinary accounts
 * (each with a role in its job's module) logging in from their own device and working in
 * their module, spread evenly over working hours.
 */
export function accessMonth(total: number): Record<string, unknown>[] {
  const scenario = accessScenario();
  const accounts = Math.max(1, Math.min(2_000, Math.ceil(total / 50)));
  const lines: Record<string, unknown>[] = [...scenario];
  for (let a = 0; a < accounts && lines.length < total; a++) {
    lines.push(entry('Role Assigned', role(`r${a}`, `P-${a}`, 'SD_SALES_CLERK', ['orders'], ['order.view'], 'sales'), at(2 * HOUR + a * 1000)));
  }
  const routine = Math.max(0, total - lines.length);
  const span = 28 * DAY;
  for (let i = 0; i < routine; i++) {
    const a = i % accounts;
    const t = at(DAY + Math.floor((i / routine) * span));
    lines.push(
      i % 2 === 0
        ? entry('Login', { account: `r${a}`, person: `P-${a}`, deviceId: `DEV-${a}`, outcome: 'success' }, t)
        : entry('Operation Audited', { actor: `r${a}`, action: 'read', target: `order-${i}`, module: 'orders' }, t),
    );
  }
  return lines;
}

export const toJsonl = (lines: readonly Record<string, unknown>[]) => lines.map((l) => `${JSON.stringify(l)}\n`).join('');
