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
import * as z from 'zod';
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
  kind: changeKind.describe('Kind of change.'),
  requestedBy: identifier('Account of the requester.'),
  modules: nonEmptyList(moduleName(), 'ERP modules the change touches.'),
  targetEnvironment: environment().describe('Environment the change is meant for, usually production.'),
  description: prose('What the change does and why.').optional(),
  rollbackPlan: prose('How to undo the change in production (4.2); a production change without one is a finding.').optional(),
  plannedFor: timestamp('Planned deployment time.').optional(),
  // What the change-approvals function requires of a request (4.1–4.3); optional in the
  // contract so older requests still validate — a missing one is a finding on the request, named.
  codeVersion: codeVersion().optional().describe('Code version to deploy (commit or package version); the tested and deployed versions must equal it (4.2, 4.3).'),
  configuration: list(label('Configuration file and digest'), 'Configuration files with their digests, e.g. "config/pricing.yaml@sha256:a1b2…" (4.3).').optional(),
  databaseScripts: list(label('Database script and digest'), 'Database scripts with their digests, e.g. "db/2026-03-add-index.sql@sha256:c3d4…" (4.3).').optional(),
  window: z
    .strictObject({ start: timestamp('Start of the deployment window.'), end: timestamp('End of the deployment window.') })
    .optional()
    .describe('When the change may be deployed; production events are matched to requests by it (4.4).'),
  risk: z.enum(['low', 'medium', 'high', 'critical']).optional().describe('Assessed risk of the change.'),
  datasets: list(identifier('Dataset'), 'Datasets (tables, master data) the change touches; conflicts are looked for on modules and datasets.').optional(),
  emergency: z.boolean().optional().describe('An emergency change: deployed first, dual sign-off within the policy\'s hours after the fact; always reported.'),
  deploymentTargets: list(identifier('AWS resource name'), 'AWS resources the change deploys through (pipeline, stack, parameter, parameter group names); a production event on one of them is matched to this request (4.4).').optional(),
}));
export type ChangeRequested = z.infer<ReturnType<typeof changeRequested>>;

export const changeApproved = builtOnFirstUse(() => erpFact('One sign-off on a change; 4.1 requires one from the business and one from IT.', {
  changeId: changeId(),
  approver: identifier('Account of the person who signed off.'),
  role: approverRole.describe('Capacity in which they signed: "business" (department head), "it" (IT lead) or "security".'),
  comment: prose('Comment left with the sign-off.').optional(),
}));
export type ChangeApproved = z.infer<ReturnType<typeof changeApproved>>;

export const changeRejected = builtOnFirstUse(() => erpFact('A change was rejected by an approver (guide 4.1).', {
  changeId: changeId(),
  approver: identifier('Account of the person who rejected it.'),
  role: approverRole.describe('Capacity in which they rejected it.'),
  reason: prose('Why the change was rejected.'),
}));
export type ChangeRejected = z.infer<ReturnType<typeof changeRejected>>;

export const changeTested = builtOnFirstUse(() => erpFact('A change was tested (guide 4.2: it must pass in the test environment before production).', {
  changeId: changeId(),
  environment: environment().describe('Environment the tests ran in.'),
  outcome: passedOrFailed.describe('Whether the tests passed.'),
  testedBy: identifier('Account of the tester.'),
  codeVersion: codeVersion().describe('Code version tested; the production deployment must deploy this version.'),
  testReport: label('Where the test report is, e.g. a URL or document id.').optional(),
  failedCases: z.number().int().nonnegative().optional().describe('Number of failed test cases.'),
}));
export type ChangeTested = z.infer<ReturnType<typeof changeTested>>;

export const changeArtefacts = () => z
  .looseObject({
    codeVersion: codeVersion().optional(),
    configuration: list(label('Configuration file and version'), 'Configuration files deployed, each with its version, e.g. "config/pricing.yaml@a1b2c3".').default([]),
    databaseScripts: list(label('Database script and version'), 'Database scripts run, each with its version, e.g. "db/2026-03-add-index.sql@a1b2c3".').default([]),
  })
  .describe('What was deployed (4.3). Missing pieces are reported by the control, not refused here.');

export const changeDeployed = builtOnFirstUse(() => erpFact('A change was deployed to an environment (guide 4.2, 4.3, 4.4).', {
  changeId: changeId(),
  environment: environment().describe('Environment deployed to.'),
  deployedBy: identifier('Account (person or pipeline) that deployed.'),
  method: deploymentMethod.describe('"version-control" when deployed from a merge through the pipeline; "manual" is a direct edit (4.4).'),
  artefacts: changeArtefacts().default({ configuration: [], databaseScripts: [] }),
  rollbackPlan: prose('Rollback plan, or a reference to it, if not already on the change request (4.2).').optional(),
}));
export type ChangeDeployed = z.infer<ReturnType<typeof changeDeployed>>;

export const changeRolledBack = builtOnFirstUse(() => erpFact('A deployed change was rolled back (guide 4.2).', {
  changeId: changeId(),
  environment: environment().describe('Environment rolled back.'),
  rolledBackBy: identifier('Account that performed the rollback.'),
  reason: prose('Why it was rolled back.'),
  restoredVersion: codeVersion().describe('Code version restored.').optional(),
}));
export type ChangeRolledBack = z.infer<ReturnType<typeof changeRolledBack>>;

export const configurationModified = builtOnFirstUse(() => erpFact('An ERP configuration setting was changed (guide 4.3, 4.4).', {
  configKey: identifier('Setting changed, e.g. "pricing.discount.maxPercent" or an SAP IMG activity.'),
  module: moduleName(),
  environment: environment().describe('Environment whose configuration changed.'),
  modifiedBy: identifier('Account that changed it.'),
  channel: configurationChannel.describe('How: "version-control" (a merged change), or directly via "console", "api" or "database" (a direct edit, 4.4, if in production).'),
  changeId: changeId().optional().describe('Change request this edit belongs to; a production edit without one breaks 4.1.'),
  oldValue: label('Previous value; omit for secrets.').optional(),
  newValue: label('New value; omit for secrets.').optional(),
}));
export type ConfigurationModified = z.infer<ReturnType<typeof configurationModified>>;
