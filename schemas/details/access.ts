/**
 * Access facts (guide area 2): who holds which role, temporary grants, joiners/movers/leavers
 * from HR, and logins. Together they let the pipeline check least privilege (2.1), one person
 * per account bound to a device (2.2), revocation within 24 h of a move or departure (2.3),
 * grant expiry (2.4) and the monthly permission audit (2.5).
 *
 * `account` is the ERP login; `person` is the HR employee id of the human who owns it. The
 * two are kept apart on purpose: a shared account shows up as one account with two people.
 */
import * as z from '../zod-mini.ts';
import { builtOnFirstUse, deviceId, erpFact, identifier, inOrder, label, list, moduleName, nonEmptyList, prose, timestamp } from './common.ts';

const account = () => identifier('ERP login account, e.g. "u1001".');
const person = () => identifier('HR employee id of the person who owns the account, e.g. "E-20391".');
const role = () => identifier('ERP role, e.g. "SD_SALES_CLERK" or "finance-ap".');
const permission = () => identifier('Permission code as the ERP names it, e.g. "payment.approve".');
const job = () => label('Job as HR names it, e.g. "sales", "finance"; the key of the policy\'s job-to-modules matrix (2.1).');

export const roleAssigned = builtOnFirstUse(() => erpFact('A role was assigned to an account (guide 2.1, 2.2, 2.5).', {
  account: account(),
  person: person(),
  role: role(),
  modules: nonEmptyList(moduleName(), 'ERP modules the role opens; checked against the job\'s allowed modules (2.1).'),
  permissions: z.optional(list(permission(), 'Permission codes the role carries, when the ERP exposes them; checked against segregation-of-duties conflicts.')),
  job: z.optional(job()).check(z.describe('The person\'s job when the role was assigned; lets 2.1 be checked without a separate HR feed.')),
  grantedBy: account().check(z.describe('Account of the administrator who assigned the role.')),
  grantId: z.optional(identifier('Temporary grant this assignment carries out (2.4), if it is one.')),
}));
export type RoleAssigned = z.infer<ReturnType<typeof roleAssigned>>;

export const roleRevocationReason = z.enum(['departure', 'transfer', 'grant-expired', 'permission-audit', 'manual']);

export const roleRevoked = builtOnFirstUse(() => erpFact('A role was taken away from an account (guide 2.3, 2.4, 2.5).', {
  account: account(),
  person: person(),
  role: role(),
  revokedBy: account().check(z.describe('Account of the administrator (or the connector) that revoked the role.')),
  reason: z.optional(roleRevocationReason).check(z.describe('Why: a departure or transfer (2.3), an expired temporary grant (2.4), the permission audit (2.5), or a manual decision.')),
  grantId: z.optional(identifier('Temporary grant this revocation ends (2.4), if any.')),
  commandId: z.optional(identifier('Id of the pipeline\'s "Command Issued" event this revocation carries out, if any; closes the loop on the finding.')),
}));
export type RoleRevoked = z.infer<ReturnType<typeof roleRevoked>>;

export const temporaryGrantIssued = builtOnFirstUse(() => erpFact('A time-limited grant was issued, e.g. to an external auditor (guide 2.4). Every operation under it is then audited.', {
  grantId: identifier('Id of the grant; operations performed under it carry the same id (Operation Audited.grantId).'),
  grantee: account().check(z.describe('Account that receives the grant.')),
  person: z.optional(identifier('HR id of the grantee, if the grantee is an employee.')),
  organisation: z.optional(label('Organisation of an external grantee, e.g. the audit firm.')),
  permissions: nonEmptyList(permission(), 'Permissions granted.'),
  modules: z.optional(list(moduleName(), 'Modules the grant opens, when known.')),
  reason: prose('Why the grant is needed, e.g. "year-end statutory audit".'),
  approver: account().check(z.describe('Account of the person who approved the grant.')),
  startsAt: z.optional(timestamp('When the grant becomes usable; the event time if absent.')),
  expiresAt: timestamp('When the grant must stop working; the pipeline revokes it then (2.4).'),
}).check(z.superRefine(inOrder('startsAt', 'expiresAt', { strictlyAfter: true }))));
export type TemporaryGrantIssued = z.infer<ReturnType<typeof temporaryGrantIssued>>;

export const employeeDeparted = builtOnFirstUse(() => erpFact('HR recorded that a person left the company; their accounts must be revoked within the policy window (guide 2.3).', {
  person: person(),
  departedAt: timestamp('When the departure takes effect; the revocation deadline counts from here.'),
  accounts: z.optional(list(account(), 'ERP accounts HR knows for the person; the pipeline also uses the accounts it has seen assigned to them.')),
  department: z.optional(label('Department the person left.')),
}));
export type EmployeeDeparted = z.infer<ReturnType<typeof employeeDeparted>>;

export const employeeTransferred = builtOnFirstUse(() => erpFact('HR recorded a change of job; permissions of the old job must be revoked and the new job\'s reassigned within the policy window (guide 2.3).', {
  person: person(),
  fromJob: job().check(z.describe('Job before the transfer.')),
  toJob: job().check(z.describe('Job after the transfer.')),
  fromDepartment: z.optional(label('Department before the transfer.')),
  toDepartment: z.optional(label('Department after the transfer.')),
  effectiveAt: timestamp('When the transfer takes effect; the revocation deadline counts from here.'),
  accounts: z.optional(list(account(), 'ERP accounts HR knows for the person.')),
}));
export type EmployeeTransferred = z.infer<ReturnType<typeof employeeTransferred>>;

export const loginOutcome = z.enum(['success', 'failure']);

export const login = builtOnFirstUse(() => erpFact('A login attempt (guide 2.2 device binding and shared accounts; 6.1 login log; 6.4 failed-login patterns).', {
  account: account(),
  person: z.optional(person()).check(z.describe('HR id of the person behind the login, when the ERP knows it (e.g. from single sign-on); a second person on one account is a shared account (2.2).')),
  deviceId: deviceId(),
  outcome: loginOutcome.check(z.describe('Whether the login succeeded.')),
  failureReason: z.optional(label('Why a login failed, e.g. "bad-password", "locked", "unknown-device".')),
  sourceIp: z.optional(z.union([z.ipv4(), z.ipv6()])).check(z.describe('Client IP address.')),
  sessionId: z.optional(identifier('ERP session id, to tie later operations to this login.')),
}));
export type Login = z.infer<ReturnType<typeof login>>;

export const permissionReviewSignedOff = builtOnFirstUse(() => erpFact('A reviewer signed off the monthly permission audit report (guide 2.5).', {
  month: z.string().check(z.regex(/^\d{4}-(0[1-9]|1[0-2])$/, { message: 'must be a month YYYY-MM' }), z.describe('Month of the reviewed report, YYYY-MM.')),
  reviewer: account().check(z.describe('Account of the reviewer who signed off.')),
  comment: z.optional(prose('What the reviewer checked or decided.')),
}));
export type PermissionReviewSignedOff = z.infer<ReturnType<typeof permissionReviewSignedOff>>;
