/**
 * Events the pipeline itself emits (source `erpgov.<function>`): findings, which the notifier
 * and the reports subscribe to, and commands, which an ERP connector carries out (e.g.
 * revoking a leaver's role). Capabilities never call each other; they talk through these.
 */
import * as z from '../zod-mini.ts';
import { builtOnFirstUse, erpFact, identifier, label, list, prose, ruleMode, timestamp } from './common.ts';

export const findingSeverity = z.enum(['critical', 'high', 'medium', 'low']);
export type FindingSeverity = z.infer<typeof findingSeverity>;

/** A control of the maintenance guide, numbered as there: area 1–6, then the rule. */
export const controlId = z
  .string()
  .check(z.regex(/^[1-6]\.[1-9]\d*$/, { message: 'must be a control number of the maintenance guide, e.g. "2.3"' }), z.describe('Control of the maintenance guide, e.g. "2.3" (leavers revoked within 24 h).'));

const findingId = () => identifier('Stable id of the finding: the same violation always gets the same id, so duplicates and re-evaluations update one finding.');

export const findingSubject = () => z
  .looseObject({
    type: identifier('What kind of thing is out of policy, e.g. "account", "person", "backup", "change", "incident", "host".'),
    id: identifier('Its id, e.g. the account "u1001" or the change "CHG-2026-0142".'),
    name: z.optional(label('A readable name, if the id is not one.')),
  })
  .check(z.describe('What the finding is about.'));

export const findingEvidence = () => z
  .looseObject({
    summary: prose('One or two sentences an admin can act on, with the figures, e.g. "u1001 still holds SD_SALES_CLERK 26 h after E-20391 left (limit 24 h)".'),
    eventIds: z._default(list(identifier('Event id'), 'Ids of the bus events that establish the finding.'), []),
    facts: z.optional(z.record(z.string(), z.unknown())).check(z.describe('Figures behind the finding, e.g. { "limitHours": 24, "elapsedHours": 26 }.')),
  })
  .check(z.describe('Why the finding was raised.'));

export const findingRaised = builtOnFirstUse(() => erpFact('The pipeline found something out of policy (or found it again with new evidence).', {
  findingId: findingId(),
  control: controlId,
  title: label('What is wrong, in a line, e.g. "Leaver still has access".'),
  severity: findingSeverity.check(z.describe('How urgent: "critical", "high", "medium" or "low"; selects notification channels.')),
  mode: ruleMode.check(z.describe('Mode of the rule that raised it: "enforce" (commands may follow) or "report-only".')),
  subject: findingSubject(),
  evidence: findingEvidence(),
  dueAt: z.optional(timestamp('Deadline to fix it, when the control sets one (e.g. the 24 h revocation deadline).')),
  detectedBy: identifier('Function that raised it, e.g. "access-control".'),
}));
export type FindingRaised = z.infer<ReturnType<typeof findingRaised>>;

export const findingResolution = z.enum(['fixed', 'exception', 'false-positive', 'no-longer-applicable']);

export const findingException = () => z
  .looseObject({
    owner: identifier('Person accountable for the accepted risk.'),
    justification: prose('Why the exception is accepted.'),
    expiresAt: timestamp('When the exception lapses and the finding re-opens.'),
  })
  .check(z.describe('An accepted exception: who owns the risk, why, and until when.'));

export const findingResolved = builtOnFirstUse(() => erpFact('A finding was closed: fixed, or accepted as an exception with an owner and an expiry.', {
  findingId: findingId(),
  control: controlId,
  severity: findingSeverity,
  mode: ruleMode,
  subject: findingSubject(),
  resolution: findingResolution.check(z.describe('"fixed", "exception" (accepted risk, see `exception`), "false-positive" or "no-longer-applicable".')),
  resolvedBy: identifier('Who closed it: an account, or the function that saw the fix.'),
  evidence: z.optional(findingEvidence()),
  exception: z.optional(findingException()),
}).check(z.superRefine((value, ctx) => {
  if (value.resolution === 'exception' && value.exception === undefined) {
    ctx.addIssue({ code: 'custom', path: ['exception'], input: undefined, message: 'must give owner, justification and expiresAt when resolution is "exception"' });
  }
})));
export type FindingResolved = z.infer<ReturnType<typeof findingResolved>>;

export const commandName = z.enum(['revoke-role', 'revoke-permissions', 'expire-temporary-grant', 'disable-account']);
export type CommandName = z.infer<typeof commandName>;

/** The field each command cannot do without. */
const commandTargetField: Readonly<Record<CommandName, 'role' | 'permissions' | 'grantId' | undefined>> = {
  'revoke-role': 'role',
  'revoke-permissions': 'permissions',
  'expire-temporary-grant': 'grantId',
  'disable-account': undefined,
};

export const commandIssued = builtOnFirstUse(() => erpFact('The pipeline asks an ERP connector to act, e.g. revoke a leaver\'s role (issued only by rules in enforce mode).', {
  commandId: identifier('Id of the command; the connector quotes it back (Role Revoked.commandId) and must be idempotent on it.'),
  command: commandName.check(z.describe('"revoke-role" (needs `role`), "revoke-permissions" (needs `permissions`), "expire-temporary-grant" (needs `grantId`), "disable-account".')),
  account: identifier('Account to act on.'),
  role: z.optional(identifier('Role to revoke.')),
  permissions: z.optional(list(identifier('Permission'), 'Permissions to revoke.')),
  grantId: z.optional(identifier('Temporary grant to expire.')),
  control: controlId,
  findingId: z.optional(findingId()).check(z.describe('Finding the command remedies.')),
  reason: prose('Why, for the ERP\'s own log, e.g. "E-20391 left on 2026-03-01; guide 2.3".'),
  executeBy: z.optional(timestamp('Deadline for the connector to act.')),
}).check(z.superRefine((command, ctx) => {
  const field = commandTargetField[command.command];
  if (field === undefined) return;
  const value = command[field];
  if (value === undefined || (Array.isArray(value) && value.length === 0)) {
    ctx.addIssue({ code: 'custom', path: [field], input: value, message: `must be given for command "${command.command}"` });
  }
})));
export type CommandIssued = z.infer<ReturnType<typeof commandIssued>>;

/**
 * An entry the bus refused (malformed detail, unknown detail-type, schema failure...), put
 * back on the bus by the local endpoint so the audit trail records it too, raw and flagged
 * invalid: the trail never drops anything it received (guide 6.1).
 */
export const INGRESS_SOURCE = 'erpgov.ingress';

export const entryRejected = builtOnFirstUse(() => erpFact('An entry PutEvents refused, with the reason and the entry as received.', {
  errorCode: identifier('The per-entry error code the caller got, e.g. "InvalidDetail".'),
  errorMessage: prose('The reason, naming the field and what is allowed.'),
  entry: z.unknown().check(z.describe('The PutEvents entry exactly as received (Source, DetailType, Detail text, ...).')),
}));
export type EntryRejected = z.infer<ReturnType<typeof entryRejected>>;

/**
 * What an operator does to a finding, sent as an ERP-side fact by `erpgov findings ack` /
 * `erpgov findings exception` (source `erp.operator`: the door refuses `erpgov.*`, which only
 * the pipeline's own functions speak). The finding desk applies them to the finding's
 * lifecycle; the audit trail records them like every event.
 */
export const OPERATOR_SOURCE = 'erp.operator';

export const findingAcknowledged = builtOnFirstUse(() => erpFact('An operator acknowledged a finding: someone is on it. The finding stays live until its condition clears.', {
  findingId: findingId(),
  acknowledgedBy: identifier('Who acknowledged it, e.g. "it.lead.sun".'),
  note: z.optional(prose('What is being done, e.g. "restoring the orders from last night\'s backup".')),
}));
export type FindingAcknowledged = z.infer<ReturnType<typeof findingAcknowledged>>;

export const findingExceptionGranted = builtOnFirstUse(() => erpFact('An operator accepted a finding as a documented, expiring exception: the finding stays quiet until `until`, then opens again if its condition is still there.', {
  findingId: findingId(),
  owner: identifier('Person accountable for the accepted risk.'),
  until: timestamp('When the exception lapses.'),
  reason: prose('Why the risk is accepted, e.g. "month-end close; the second verifier is on leave".'),
  grantedBy: identifier('Who granted the exception.'),
}));
export type FindingExceptionGranted = z.infer<ReturnType<typeof findingExceptionGranted>>;
