/**
 * Change facts (guide area 4): the life of a change request — requested, signed off by the
 * business and by IT (4.1), tested outside production with a rollback plan (4.2), deployed
 * with its artefacts recorded (4.3) through version control (4.4), or rolled back — and
 * configuration edits, which must belong to a change and not be made directly in
 * production (4.4).
 *
 * Environments are named as the company names them ("production", "PRD", "QAS", "uat"); the
 * policy says which names are production and which are test environments.
 */
import * as z from '../zod-mini.ts';
import { builtOnFirstUse, erpFact, identifier, label, list, moduleName, nonEmptyList, passedOrFailed, prose, timestamp } from './common.ts';

export const changeKind = z.enum(['patch', 'feature', 'configuration', 'data-fix', 'upgrade']);
/** Who signs a change off. 4.1 requires both the business department and the IT lead. */
export const approverRole = z.enum(['business', 'it', 'security']);
export type ApproverRole = z.infer<typeof approverRole>;
/** How a change reached its environment; anything but version control is a direct edit (4.4). */
export const deploymentMethod = z.enum(['version-control', 'manual']);
export const configurationChannel = z.enum(['version-control', 'console', 'api', 'database']);

const changeId = () => identifier('Change request id, e.g. "CHG-2026-0142".');
const environment = () => identifier('Environment, as the company names it, e.g. "production", "PRD", "test", "QAS".');
const codeVersion = () => identifier('Code version: a Git commit, tag or transport id, e.g. "git:4f2c9a1" or "SAP transport DEVK900123".');

export const changeRequested = builtOnFirstUse(() => erpFact('A change (patch, feature, configuration...) was requested (guide 4.1, 4.2).', {
  changeId: changeId(),
  title: label('Short title of the change.'),
  kind: changeKind.check(z.describe('Kind of change.')),
  requestedBy: identifier('Account of the requester.'),
  modules: nonEmptyList(moduleName(), 'ERP modules the change touches.'),
  targetEnvironment: environment().check(z.describe('Environment the change is meant for, usually production.')),
  description: z.optional(prose('What the change does and why.')),
  rollbackPlan: z.optional(prose('How to undo the change in production (4.2); a production change without one is a finding.')),
  plannedFor: z.optional(timestamp('Planned deployment time.')),
  // What the change-approvals function requires of a request (4.1–4.3); optional in the
  // contract so older requests still validate — a missing one is a finding on the request, named.
  codeVersion: z.optional(codeVersion()).check(z.describe('Code version to deploy (commit or package version); the tested and deployed versions must equal it (4.2, 4.3).')),
  configuration: z.optional(list(label('Configuration file and digest'), 'Configuration files with their digests, e.g. "config/pricing.yaml@sha256:a1b2…" (4.3).')),
  databaseScripts: z.optional(list(label('Database script and digest'), 'Database scripts with their digests, e.g. "db/2026-03-add-index.sql@sha256:c3d4…" (4.3).')),
  window: z.optional(z
    .strictObject({ start: timestamp('Start of the deployment window.'), end: timestamp('End of the deployment window.') }))
    .check(z.describe('When the change may be deployed; production events are matched to requests by it (4.4).')),
  risk: z.optional(z.enum(['low', 'medium', 'high', 'critical'])).check(z.describe('Assessed risk of the change.')),
  datasets: z.optional(list(identifier('Dataset'), 'Datasets (tables, master data) the change touches; conflicts are looked for on modules and datasets.')),
  emergency: z.optional(z.boolean()).check(z.describe('An emergency change: deployed first, dual sign-off within the policy\'s hours after the fact; always reported.')),
  deploymentTargets: z.optional(list(identifier('AWS resource name'), 'AWS resources the change deploys through (pipeline, stack, parameter, parameter group names); a production event on one of them is matched to this request (4.4).')),
}));
export type ChangeRequested = z.infer<ReturnType<typeof changeRequested>>;

export const changeApproved = builtOnFirstUse(() => erpFact('One sign-off on a change; 4.1 requires one from the business and one from IT.', {
  changeId: changeId(),
  approver: identifier('Account of the person who signed off.'),
  role: approverRole.check(z.describe('Capacity in which they signed: "business" (department head), "it" (IT lead) or "security".')),
  comment: z.optional(prose('Comment left with the sign-off.')),
}));
export type ChangeApproved = z.infer<ReturnType<typeof changeApproved>>;

export const changeRejected = builtOnFirstUse(() => erpFact('A change was rejected by an approver (guide 4.1).', {
  changeId: changeId(),
  approver: identifier('Account of the person who rejected it.'),
  role: approverRole.check(z.describe('Capacity in which they rejected it.')),
  reason: prose('Why the change was rejected.'),
}));
export type ChangeRejected = z.infer<ReturnType<typeof changeRejected>>;

export const changeTested = builtOnFirstUse(() => erpFact('A change was tested (guide 4.2: it must pass in the test environment before production).', {
  changeId: changeId(),
  environment: environment().check(z.describe('Environment the tests ran in.')),
  outcome: passedOrFailed.check(z.describe('Whether the tests passed.')),
  testedBy: identifier('Account of the tester.'),
  codeVersion: codeVersion().check(z.describe('Code version tested; the production deployment must deploy this version.')),
  testReport: z.optional(label('Where the test report is, e.g. a URL or document id.')),
  failedCases: z.optional(z.number().check(z.int(), z.nonnegative())).check(z.describe('Number of failed test cases.')),
}));
export type ChangeTested = z.infer<ReturnType<typeof changeTested>>;

export const changeArtefacts = () => z
  .looseObject({
    codeVersion: z.optional(codeVersion()),
    configuration: z._default(list(label('Configuration file and version'), 'Configuration files deployed, each with its version, e.g. "config/pricing.yaml@a1b2c3".'), []),
    databaseScripts: z._default(list(label('Database script and version'), 'Database scripts run, each with its version, e.g. "db/2026-03-add-index.sql@a1b2c3".'), []),
  })
  .check(z.describe('What was deployed (4.3). Missing pieces are reported by the control, not refused here.'));

export const changeDeployed = builtOnFirstUse(() => erpFact('A change was deployed to an environment (guide 4.2, 4.3, 4.4).', {
  changeId: changeId(),
  environment: environment().check(z.describe('Environment deployed to.')),
  deployedBy: identifier('Account (person or pipeline) that deployed.'),
  method: deploymentMethod.check(z.describe('"version-control" when deployed from a merge through the pipeline; "manual" is a direct edit (4.4).')),
  artefacts: z._default(changeArtefacts(), { configuration: [], databaseScripts: [] }),
  rollbackPlan: z.optional(prose('Rollback plan, or a reference to it, if not already on the change request (4.2).')),
}));
export type ChangeDeployed = z.infer<ReturnType<typeof changeDeployed>>;

export const changeRolledBack = builtOnFirstUse(() => erpFact('A deployed change was rolled back (guide 4.2).', {
  changeId: changeId(),
  environment: environment().check(z.describe('Environment rolled back.')),
  rolledBackBy: identifier('Account that performed the rollback.'),
  reason: prose('Why it was rolled back.'),
  restoredVersion: z.optional(codeVersion().check(z.describe('Code version restored.'))),
}));
export type ChangeRolledBack = z.infer<ReturnType<typeof changeRolledBack>>;

export const configurationModified = builtOnFirstUse(() => erpFact('An ERP configuration setting was changed (guide 4.3, 4.4).', {
  configKey: identifier('Setting changed, e.g. "pricing.discount.maxPercent" or an SAP IMG activity.'),
  module: moduleName(),
  environment: environment().check(z.describe('Environment whose configuration changed.')),
  modifiedBy: identifier('Account that changed it.'),
  channel: configurationChannel.check(z.describe('How: "version-control" (a merged change), or directly via "console", "api" or "database" (a direct edit, 4.4, if in production).')),
  changeId: z.optional(changeId()).check(z.describe('Change request this edit belongs to; a production edit without one breaks 4.1.')),
  oldValue: z.optional(label('Previous value; omit for secrets.')),
  newValue: z.optional(label('New value; omit for secrets.')),
}));
export type ConfigurationModified = z.infer<ReturnType<typeof configurationModified>>;
