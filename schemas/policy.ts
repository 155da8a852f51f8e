/**
 * The governance policy: every figure of the maintenance guide as a validated field, with the
 * guide's own figures as shipped defaults, so `policySchema.parse({})` is the full default
 * policy. A policy file is a partial document merged over these defaults: each object level
 * uses `prefault({})`, so a file that names only `performance.cpu.maxPercent` changes only
 * that. Lists and maps (the job matrix, conflict pairs, role lists) are values: a file that
 * gives one replaces the default one whole, because a merged matrix would mix two companies'
 * jobs.
 *
 * Objects are strict: an unknown key is almost always a misspelling (`maxPercnt`) that would
 * otherwise leave the default silently in force.
 *
 * Every rule carries `mode`: `enforce` raises findings and may issue commands (e.g. revoke a
 * leaver's role); `report-only` evaluates the rule and reports, nothing more.
 */
import * as z from 'zod';
import { ruleMode as contractRuleMode } from './details/common.ts';
import { approverRole } from './details/change.ts';
import { controlId, findingSeverity } from './details/pipeline.ts';
import { incidentSeverity as contractIncidentSeverity } from './details/incident.ts';
import { isTimeZone } from './time-zones.ts';
import { GUIDE_AREAS } from './controls.ts';

// The contract's enums are zod/mini (what the Lambdas load); the policy defaults them, so it
// takes classic twins with the same values.
const ruleMode = z.enum(contractRuleMode.options);
const incidentSeverity = z.enum(contractIncidentSeverity.options);

/** Audit logs are kept at least 6 months (guide 6.1, China's Data Security Law). */
export const MIN_AUDIT_RETENTION_DAYS = 183;

/**
 * A rule of the guide: its mode plus its figures, all defaulted. The cast on the prefault is
 * safe because every figure has a default; the test `policySchema.parse({})` proves it.
 */
function rule<S extends z.ZodRawShape>(description: string, figures: S, defaultMode: z.infer<typeof ruleMode> = 'enforce') {
  const shape = z.strictObject({
    mode: ruleMode.default(defaultMode).describe('"enforce": findings and commands; "report-only": findings are reported, nothing is done.'),
    ...figures,
  });
  return shape.prefault({} as z.input<typeof shape>).describe(description);
}

/** A group of rules (an area) or a nested set of figures; defaulted as a whole. */
function group<S extends z.ZodRawShape>(description: string, members: S) {
  const shape = z.strictObject(members);
  return shape.prefault({} as z.input<typeof shape>).describe(description);
}

const days = (description: string, fallback: number) => z.number().int().positive().max(36_500).default(fallback).describe(description);
const minutes = (description: string, fallback: number) => z.number().int().positive().max(527_040).default(fallback).describe(description);
const percent = (description: string, fallback: number) => z.number().min(0).max(100).default(fallback).describe(description);
const seconds = (description: string, fallback: number) => z.number().positive().max(86_400).default(fallback).describe(description);
const names = (description: string, fallback: string[]) => z.array(z.string().trim().min(1)).default(fallback).describe(description);

/** A vote count (M or N of M-of-N), 1 to 100. */
const votes = (description: string, fallback: number) => z.number().int().positive().max(100).default(fallback).describe(description);

/** M-of-N to open (`fire`) and to clear an episode, over `units` (samples, windows): each with its description, M and N. */
const episodeVotes = (units: string, rules: { fire: [description: string, breaching: number, ofLast: number]; clear: [description: string, clearing: number, ofLast: number] }) => ({
  fire: group(rules.fire[0], {
    breaching: votes(`M: breaching ${units} needed; at most ofLast.`, rules.fire[1]),
    ofLast: votes(`N: ${units} looked at.`, rules.fire[2]),
  }),
  clear: group(rules.clear[0], {
    clearing: votes(`M: clearing ${units} needed; at most ofLast.`, rules.clear[1]),
    ofLast: votes(`N: ${units} looked at.`, rules.clear[2]),
  }),
});

// Guide area 1, data security and backup, is `backups` below (the catalogue the backup-verification function applies).

// ---------------------------------------------------------------------------------------
// 2. User permissions and access control
const jobName = z.string().trim().min(1);
const moduleNames = z.array(z.string().trim().min(1)).min(1, { message: 'must list at least one module — a job with no module should be removed from the matrix' });

const sodConflict = z
  .strictObject({
    first: z.string().trim().min(1).describe('One permission of the pair.'),
    second: z.string().trim().min(1).describe('The permission that must not be held together with `first`.'),
    reason: z.string().trim().min(1).describe('Why the two must be held by different people.'),
  })
  .describe('Two permissions no single account may hold together (segregation of duties).');

const sodException = z
  .strictObject({
    account: z.string().trim().min(1).describe('Account allowed to hold the pair.'),
    first: z.string().trim().min(1).describe('One permission of a pair listed in conflicts.'),
    second: z.string().trim().min(1).describe('The other permission of that pair.'),
    owner: z.string().trim().min(1).describe('Person accountable for the accepted risk.'),
    expiresAt: z.iso.datetime({ offset: true }).describe('When the exception lapses and the conflict is a finding again.'),
    justification: z.string().trim().min(1).optional().describe('Why the exception is accepted.'),
  })
  .describe('An accepted segregation-of-duties exception, with an owner and an expiry.');

const access = group('Guide area 2: user permissions and access control.', {
  leastPrivilege: rule('2.1 Least privilege: permissions follow the job (sales sees only orders; finance has no access to production planning).', {
    jobModules: z
      .record(jobName, moduleNames)
      .default({
        sales: ['orders'],
        finance: ['finance', 'reporting'],
        warehouse: ['inventory'],
        purchasing: ['procurement', 'inventory'],
        'production-planning': ['production-planning', 'inventory'],
        hr: ['hr'],
      })
      .describe('Job → the ERP modules its roles may open. A role opening any other module is a finding. Replaces the default matrix whole.'),
  }),
  segregationOfDuties: rule('2.1 Least privilege: no account holds two permissions that let one person both do and approve.', {
    conflicts: z
      .array(sodConflict)
      .default([
        { first: 'vendor.create', second: 'payment.approve', reason: 'One person could create a fictitious vendor and pay it.' },
        { first: 'order.create', second: 'order.approve', reason: 'One person could approve their own sales orders and discounts.' },
        { first: 'journal.post', second: 'journal.approve', reason: 'One person could post and approve their own journal entries.' },
      ])
      .describe('Conflicting permission pairs.'),
    exceptions: z
      .array(sodException)
      .default([])
      .describe('Accepted exceptions: an account may hold a listed conflicting pair until the exception expires.'),
    rolePermissions: z
      .record(z.string().trim().min(1), z.array(z.string().trim().min(1)).min(1, { message: 'must list at least one permission; remove a role that carries none' }))
      .default({})
      .describe(
        'Role → the permissions it carries (the ERP\'s role catalogue), for ERPs whose Role Assigned events do not list them; a role holds these plus any its event lists. When given, it is also the list of known permissions: every permission in conflicts must be carried by some role here.',
      ),
  }),
  deviceBinding: rule('2.2 No shared accounts: one person, one account, bound to a device (MAC address).', {
    required: z.boolean().default(true).describe('false switches the check off (e.g. no device ids available yet).'),
    maxDevicesPerAccount: z.number().int().positive().max(100).default(1).describe('Devices one account may log in from.'),
    maxAccountsPerPerson: z.number().int().positive().max(100).default(1).describe('Accounts holding any role or grant that one person may have (e.g. 2 where an ERP needs a separate admin account).'),
    windowHours: z.number().positive().max(8760).default(24).describe('Window over which the persons and devices behind one account are counted (shared-account suspicion).'),
  }),
  leaverMoverRevocation: rule('2.3 On transfer or departure, permissions are revoked (and reassigned) within 24 hours.', {
    withinHours: z.number().positive().max(8760).default(24).describe('Hours from the departure or transfer taking effect until the old permissions must be gone.'),
  }),
  temporaryGrants: rule('2.4 Temporary grants (e.g. an external auditor) carry an expiry, and every operation under them is logged.', {
    maxDurationDays: days('Longest a temporary grant may run, in days.', 30),
  }),
  permissionAudit: rule('2.5 A monthly permission audit finds redundant permissions: leavers never cleaned up, movers who kept old permissions.', {
    dayOfMonth: z
      .number()
      .int()
      .min(1)
      .max(28, { message: 'must be between 1 and 28 so that the audit runs every month (February has 28 days)' })
      .default(1)
      .describe('Day of the month the audit report is produced (1–28).'),
    unusedPermissionDays: days('A role not used for this many days is reported as redundant.', 90),
  }),
});

// ---------------------------------------------------------------------------------------
// 3. Performance and resource monitoring
const performance = group('Guide area 3: performance and resource monitoring.', {
  cpu: rule('3.1 CPU use at most 75 %.', {
    maxPercent: percent('Highest acceptable CPU use, percent (fire threshold: 75 is fine, 75.1 breaches).', 75),
    clearAtPercent: z.number().min(0).max(100).optional().describe('Clear threshold (hysteresis): a sample at or below this counts towards clearing an episode; at most maxPercent. Default: 5 points below maxPercent (70 for the guide\'s 75).'),
  }),
  memory: rule('3.1 Memory use at most 85 %.', {
    maxPercent: percent('Highest acceptable memory use, percent.', 85),
    clearAtPercent: z.number().min(0).max(100).optional().describe('Clear threshold: a sample at or below this counts towards clearing; at most maxPercent. Default: 5 points below maxPercent.'),
  }),
  diskFree: rule('3.1 Free disk at least 20 %.', {
    minPercent: percent('Lowest acceptable free disk space, percent.', 20),
    clearAtPercent: z.number().min(0).max(100).optional().describe('Clear threshold: a sample at or above this counts towards clearing; at least minPercent. Default: 5 points above minPercent.'),
  }),
  orderLatency: rule('3.2 Order processing latency at most 2 s.', {
    maxSeconds: seconds('Slowest acceptable order processing, seconds.', 2),
    clearAtSeconds: z.number().positive().max(86_400).optional().describe('Clear threshold: a sample at or below this counts towards clearing; at most maxSeconds. Default: 75 % of maxSeconds.'),
  }),
  reportDuration: rule('3.2 Report generation at most 30 s.', {
    maxSeconds: seconds('Slowest acceptable report generation, seconds.', 30),
    clearAtSeconds: z.number().positive().max(86_400).optional().describe('Clear threshold: a sample at or below this counts towards clearing; at most maxSeconds. Default: 75 % of maxSeconds.'),
  }),
  businessPercentiles: group('3.2 Order-submit latency and report duration are judged per ERP module as a percentile over a window of samples, not sample by sample; the windows then open and clear episodes like any series (with the clear thresholds above).', {
    percentile: z.number().min(50).max(100).default(95).describe('Percentile of a window compared with maxSeconds (nearest rank), e.g. 95: the window breaches when its p95 is above the threshold.'),
    windowMinutes: minutes('Length of a window, in minutes (tumbling windows aligned to the clock: 09:00, 09:05, ...); a window is judged once a datapoint of a later window arrives.', 5),
    minSamples: z.number().int().positive().max(100_000).default(5).describe('A window with fewer samples than this is not judged (too few orders to say anything).'),
    ...episodeVotes('windows', {
      fire: ['An episode opens when `breaching` of the last `ofLast` judged windows breach.', 1, 1],
      clear: ['An open episode clears when `clearing` of the last `ofLast` judged windows are at or under the clear threshold.', 2, 2],
    }),
  }),
  slowQueries: rule(
    '3.3 Trace slow SQL (APM): slow executions counted per ERP module and statement fingerprint (literals normalised away).',
    {
      minSeconds: seconds('A query slower than this counts as a slow execution, seconds.', 5),
      windowMinutes: minutes('Slow executions are counted per module over tumbling windows of this many minutes.', 60),
      findingAtExecutions: z.number().int().positive().max(1_000_000).default(10).describe('A module with this many slow executions or more within one window is a finding naming its worst statements; it resolves after a window with fewer.'),
      worstStatements: z.number().int().positive().max(50).default(5).describe('How many of the worst statements (by total time) a finding names.'),
    },
    'report-only',
  ),
  moduleErrors: rule(
    '3.3 Find the modules that raise errors most often (e.g. inventory-lock conflicts).',
    { reportTopModules: z.number().int().positive().max(100).default(5).describe('How many of the most error-prone modules the report lists.') },
    'report-only',
  ),
  thresholdEvaluation: group('How threshold-alerts turns samples into episodes (3.1, 3.2): M-of-N to fire and to clear, missing data, flapping.', {
    ...episodeVotes('samples', {
      fire: ['An episode opens when `breaching` of the last `ofLast` samples of a series breach the fire threshold.', 3, 5],
      clear: ['An open episode clears when `clearing` of the last `ofLast` samples are on the safe side of the clear threshold.', 3, 3],
    }),
    missingData: group('A host that stops reporting is its own finding, never silently "OK".', {
      silentAfterMinutes: minutes('A host with no sample for this long is silent (a finding until it reports again).', 15),
    }),
    flapping: group('A series that keeps firing and clearing is one flapping finding, not one per episode.', {
      transitions: z.number().int().min(2).max(100).default(4).describe('Fire/clear transitions within the window that make a series flap.'),
      windowMinutes: minutes('Window the transitions are counted over, in minutes.', 60),
    }),
  }),
  incidents: group('5.1 Whether a threshold episode opens an incident (and resolves it when the episode clears). Off by default: most ERP teams open incidents in their service desk, and an automatic P1/P2 starts SLA clocks and escalation; switch it on when the pipeline is the incident source of record.', {
    openFromEpisodes: z.boolean().default(false).describe('true: an episode whose incident severity is in `openAt` publishes an `Incident Opened` (source erpgov.threshold-alerts) and an `Incident Resolved` when it clears.'),
    openAt: z.array(incidentSeverity).min(1).default(['P1', 'P2']).describe('Incident severities of an episode that open an incident.'),
    severity: group('Incident severity of an episode, per metric (the policy\'s severity table sets the response targets).', {
      cpu: incidentSeverity.default('P3').describe('CPU episode.'),
      memory: incidentSeverity.default('P3').describe('Memory episode.'),
      diskFree: incidentSeverity.default('P2').describe('Free-disk episode (a full disk stops the database).'),
      orderLatency: incidentSeverity.default('P2').describe('Order-submit latency episode of a module (order entry is a core service).'),
      reportDuration: incidentSeverity.default('P3').describe('Report-duration episode of a module.'),
      hostSilent: incidentSeverity.default('P2').describe('A host that stopped reporting.'),
    }),
  }),
});

// ---------------------------------------------------------------------------------------
// 4. Change management and version control
const change = group('Guide area 4: change management and version control.', {
  productionEnvironments: names('Environment names that mean production.', ['production', 'prod', 'prd']),
  testEnvironments: names('Environment names where a change may be tested before production.', ['test', 'qas', 'uat', 'staging']),
  signOff: rule('4.1 Every change has a change request signed off by both the business department and the IT lead.', {
    requiredRoles: z.array(approverRole).min(1).default(['business', 'it']).describe('Sign-offs a change needs before production, one per role.'),
  }),
  testing: rule('4.2 A production change must first pass in the test environment.', {
    required: z.boolean().default(true).describe('false switches the check off; report-only still checks and reports.'),
  }),
  rollbackPlan: rule('4.2 A production change must have a rollback plan.', {
    required: z.boolean().default(true).describe('false switches the check off; report-only still checks and reports.'),
  }),
  artefacts: rule('4.3 Each change records its code version, configuration files and database scripts.', {
    required: z
      .array(z.enum(['codeVersion', 'configuration', 'databaseScripts']))
      .default(['codeVersion', 'configuration', 'databaseScripts'])
      .describe('Artefacts a production deployment must record.'),
  }),
  directProductionEdits: rule('4.4 No direct edits in production: changes go through version control (e.g. Git merges).', {
    forbidden: z.boolean().default(true).describe('false switches the check off; report-only still checks and reports.'),
  }),
  approverRoles: group('4.1 Which access-governance roles make an account an approver in each sign-off capacity; the approver must hold one at the moment of approval.', {
    business: names('Roles of a business approver (department head).', ['change-approver-business', 'department-head']),
    it: names('Roles of an IT approver (the IT lead).', ['it-lead']),
    security: names('Roles of a security approver.', ['security-officer']),
  }),
  requestFields: rule('4.1–4.3 A change request names what it deploys and how to undo it.', {
    required: z
      .array(z.enum(['codeVersion', 'configuration', 'databaseScripts', 'rollbackPlan', 'targetEnvironment', 'window', 'risk']))
      .default(['codeVersion', 'configuration', 'databaseScripts', 'rollbackPlan', 'targetEnvironment', 'window', 'risk'])
      .describe('Fields a change request must carry; each missing one is named in a finding on the request.'),
  }),
  emergency: rule('Emergency changes are deployed first and signed off after the fact; they are always reported.', {
    signOffWithinHours: z.number().positive().max(720).default(24).describe('Hours after the deployment within which an emergency change must have the full dual sign-off.'),
  }),
  freeze: rule('Freeze calendars: no production change in a closed window unless it is an emergency change.', {
    timezone: z.string().refine(isTimeZone, { message: 'must be an IANA time zone, e.g. "Asia/Shanghai"' }).default('Asia/Shanghai').describe('IANA time zone for calendar times without TZID or Z.'),
    calendars: z
      .array(
        z.strictObject({
          name: z.string().trim().min(1).describe('Name shown in findings and reports.'),
          ics: z.string().min(1).describe('RFC 5545 iCalendar text; each VEVENT (with RRULE, EXDATE, RDATE, TZID) is a closed window.'),
        }),
      )
      .default([])
      .describe('Closed windows as iCalendar documents; a calendar that does not parse is refused at start-up.'),
    ranges: z
      .array(
        z.strictObject({
          start: z.iso.datetime({ offset: true }).describe('Start of the closed range.'),
          end: z.iso.datetime({ offset: true }).describe('End of the closed range; after start.'),
          reason: z.string().trim().min(1).describe('Why changes are frozen, e.g. "year-end close".'),
        }),
      )
      .default([])
      .describe('Closed windows as plain date ranges.'),
    honourSsmChangeCalendar: z.boolean().default(true).describe('AWS SSM Change Calendar "Calendar State Change" events: a deploy while a calendar is CLOSED is in a freeze.'),
  }),
  awsProductionEvents: group('4.4 Which AWS deployment and configuration events count as a production change (matched to an approved, tested request, else a direct production edit).', {
    productionNamePattern: z
      .string()
      .refine(isRegExp, { message: 'must be a JavaScript regular expression' })
      .default('(^|[^a-z0-9])(prod|production|prd)([^a-z0-9]|$)')
      .describe('Case-insensitive pattern a pipeline stage, deployment group, stack, parameter or parameter-group name must match to be production.'),
    codePipeline: rule('CodePipeline stage and action executions (stage name) and pipeline executions (pipeline name).', {
      states: names('States that mean a change reached production.', ['SUCCEEDED']),
    }),
    codeDeploy: rule('CodeDeploy deployments (deployment group name).', { states: names('States that mean a change reached production.', ['SUCCESS']) }),
    cloudFormation: rule('CloudFormation stack status changes (stack name).', {
      states: names('Stack statuses that mean a change reached production.', ['CREATE_COMPLETE', 'UPDATE_COMPLETE', 'DELETE_COMPLETE', 'IMPORT_COMPLETE', 'UPDATE_ROLLBACK_COMPLETE']),
    }),
    parameterStore: rule('SSM Parameter Store changes (parameter name).', { operations: names('Operations that change production configuration.', ['Create', 'Update', 'Delete', 'LabelParameterVersion']) }),
    rdsParameterGroups: rule('RDS DB parameter group events (parameter group name).', { categories: names('Event categories that change production configuration.', ['configuration change']) }),
  }),
});

// ---------------------------------------------------------------------------------------
// 5. Incident response and business continuity
const severityLevel = (description: string, respondWithinMinutes: number, procedure: string, targets: { resolveWithinMinutes: number; renotifyEveryMinutes: number }) =>
  group(`Severity level: ${description}`, {
    description: z.string().trim().min(1).default(description).describe('What the level means.'),
    respondWithinMinutes: minutes('Longest time from opening to acknowledgement, in minutes (the acknowledge/respond target; each further period unacknowledged escalates one step along incident.escalation.chain).', respondWithinMinutes),
    resolveWithinMinutes: minutes('Longest time from opening to resolution, in minutes; at least respondWithinMinutes.', targets.resolveWithinMinutes),
    renotifyEveryMinutes: minutes('Once past a target and still open, the breach is re-announced this often, in minutes.', targets.renotifyEveryMinutes),
    procedure: z.string().trim().min(1).default(procedure).describe('What the responder does.'),
  });

const incident = group('Guide area 5: incident response and business continuity.', {
  severityTable: rule('5.1 An incident severity table sets the response time and procedure for each level.', {
    P1: severityLevel('whole system down', 15, 'Page on-call and the IT lead; switch order entry and payment to offline mode (5.2); open a bridge call; update the business every 30 minutes.', { resolveWithinMinutes: 240, renotifyEveryMinutes: 30 }),
    P2: severityLevel('a module is down (e.g. orders, inventory, payment)', 30, 'Page on-call; consider offline mode for the module; inform its business owner.', { resolveWithinMinutes: 480, renotifyEveryMinutes: 60 }),
    P3: severityLevel('degraded: a function is slow or failing for several users', 240, 'Ticket to the module team; workaround within the working day.', { resolveWithinMinutes: 1440, renotifyEveryMinutes: 240 }),
    P4: severityLevel('one user cannot log in or work', 480, 'Service desk ticket; handle in turn.', { resolveWithinMinutes: 4320, renotifyEveryMinutes: 1440 }),
  } satisfies Record<z.infer<typeof incidentSeverity>, z.ZodType>),
  drills: rule('5.3 A failure drill every quarter tests the team\'s response and the recovery speed.', {
    intervalDays: days('Largest gap between two drills, in days.', 90),
  }),
  recoveryTimeObjective: rule('5.3 Recovery time objective measured by the drills.', {
    minutes: minutes('Target recovery time, in minutes. The guide\'s example bank started at 4 h and reached 30 min through regular drills.', 240),
  }),
  recoveryPointObjective: rule('5.3 Recovery point objective measured by the drills (data lost at most this much).', {
    minutes: minutes('Target recovery point, in minutes of data.', 15),
  }),
  escalation: rule('5.1 An incident not acknowledged in time escalates to the next contact of the chain.', {
    chain: z.array(z.string().trim().min(1)).min(1).default(['on-call', 'it-lead', 'cio']).describe('Contacts in escalation order; the first is told at once, the next after each respond target passes unacknowledged.'),
  }),
  standby: rule('5.2 Standby servers and an offline mode keep core business (order entry, payment) running.', {
    coreServices: names('Core services that need a standby and an offline mode.', ['order-entry', 'payment']),
    switchoverTestIntervalDays: days('Largest gap between two successful failover or switch-over drills of a core service, in days.', 90),
    offlineModeDrillIntervalDays: days('Largest gap between two offline-mode drills, in days.', 90),
  }),
});

// ---------------------------------------------------------------------------------------
// 6. Compliance audit and log management
const weekday = z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']);
const clockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, { message: 'must be a 24-hour time HH:MM, e.g. "08:00"' });

const audit = group('Guide area 6: compliance audit and log management.', {
  retention: rule('6.1 All operation logs (logins, data changes, permission changes) are kept at least 6 months (Data Security Law).', {
    days: days(`How long operation logs are kept, in days; at least ${MIN_AUDIT_RETENTION_DAYS} in enforce mode.`, MIN_AUDIT_RETENTION_DAYS),
  }),
  archive: group('Where logs go after their hot period.', {
    moveToColdAfterDays: days('Operation logs move to cold (cheaper, write-once) storage after this many days.', 30),
    coldRetentionDays: days('How long archived logs are kept in cold storage, in days; at least the retention above.', 1095),
  }),
  highRiskOperations: rule('6.2 High-risk operations (e.g. bulk deletes) require dual verification and always leave a trace.', {
    bulkDeleteAboveRecords: z.number().int().nonnegative().default(100).describe('A delete of more records than this is high-risk.'),
    adminRoles: names('Roles whose assignment or revocation is a high-risk permission change.', ['SAP_ALL', 'admin', 'system-administrator']),
    sensitiveExportCategories: names('Data categories whose export is high-risk.', ['customer', 'payroll']),
    dualVerification: group('A second person verifies a high-risk operation.', {
      required: z.boolean().default(true).describe('false: high-risk operations are traced but need no second person.'),
      windowMinutes: minutes('The second verification must come within this many minutes of the operation (before it, as an approval, or after it, as a review).', 30),
      authorisedVerifiers: names(
        'Accounts allowed to verify a high-risk operation, e.g. department heads and the IT lead. Empty: any account other than the actor may verify. A verification by the actor or by an account not on a non-empty list is itself a finding.',
        [],
      ),
    }),
  }),
  workingHours: rule(
    '6.3 Abnormal operations are explained to internal audit; operations outside working hours are abnormal.',
    {
      timezone: z
        .string()
        .refine(isTimeZone, { message: 'must be an IANA time zone, e.g. "Asia/Shanghai"' })
        .default('Asia/Shanghai')
        .describe('IANA time zone of the working hours.'),
      days: z.array(weekday).min(1).default(['mon', 'tue', 'wed', 'thu', 'fri']).describe('Working days.'),
      start: clockTime.default('08:00').describe('Start of the working day, HH:MM.'),
      end: clockTime.default('20:00').describe('End of the working day, HH:MM; after start.'),
    },
    'report-only',
  ),
  failedLogins: rule('6.4 Behaviour patterns: repeated failed logins on one account.', {
    maxFailures: z.number().int().positive().max(1000).default(5).describe('Failed logins on one account within the window that raise a finding: this many or more.'),
    windowMinutes: minutes('Window the failures are counted over, in minutes.', 15),
  }),
  behaviourAnalysis: rule('6.4 Behaviour patterns in the audit trail: bursts of deletes or exports against the account\'s own baseline, logins from a device not bound to the account.', {
    baselineDays: days('Days before the analysed hour that make an account\'s baseline (its usual hourly rate, its known devices); at most audit.retention.days.', 14),
    burstFactor: z.number().min(1).max(1000).default(3).describe('An hour with more deletes (or exports) than this many times the account\'s baseline hourly average is a burst.'),
    minimumBurst: z.number().int().positive().max(1_000_000).default(20).describe('A burst needs more than this many operations in the hour, whatever the baseline (a quiet account\'s first few operations are no burst).'),
    burstActions: names('Operation Audited actions counted for bursts, each on its own, compared case-insensitively.', ['delete', 'export']),
    boundDevices: z
      .record(z.string().trim().min(1), z.array(z.string().trim().min(1)).min(1, { message: 'must list at least one device; remove the account to fall back to its known devices' }))
      .default({})
      .describe(
        'Account → the devices (MAC addresses or fingerprints) it is bound to (guide 2.2), e.g. from the asset register. An account listed here may log in only from these; an account not listed is bound to the devices it logged in from successfully during its baseline (trust on first use). Replaces the default map whole.',
      ),
  }),
  logAnalysisReport: rule('6.3 Internal audit regularly receives a log-analysis report explaining abnormal operations.', {
    intervalDays: days('Days between two reports.', 30),
  }),
});

// ---------------------------------------------------------------------------------------
// Notifications: who hears about findings and incidents, through which channel, and when
const notificationChannel = z.enum(['slack', 'email']);
const channelList = (fallback: z.infer<typeof notificationChannel>[]) => z.array(notificationChannel).default(fallback);
const emailAddress = z.email({ message: 'must be an e-mail address, e.g. "it-lead@example.com"' });
const guideAreaName = z.enum(GUIDE_AREAS);

const notificationRoute = z
  .strictObject({
    match: z
      .strictObject({
        areas: z.array(guideAreaName).min(1).optional().describe('Guide areas (backup, access, performance, change, incident, audit); any when absent.'),
        controls: z.array(controlId).min(1).optional().describe('Controls, e.g. ["6.2"]; any when absent.'),
        severities: z.array(findingSeverity).min(1).optional().describe('Severities; any when absent.'),
        owners: z.array(z.string().trim().min(1)).min(1).optional().describe('Owners (the event\'s `owner`, or an exception\'s owner); any when absent.'),
      })
      .default({})
      .describe('What the rule applies to; every condition given must hold. An empty match takes everything.'),
    channels: z.array(notificationChannel).describe('Channels for what matches; [] silences it (console and outbox only in local mode).'),
    emailRecipients: z.array(emailAddress).default([]).describe('Recipients when the channels include "email".'),
  })
  .describe('A routing rule. Rules are tried in order; the first that matches decides.');

const notifications = group('Where findings, alerts and incident changes are sent. Unconfigured channels (no webhook, no mail server) go to the console and the on-disk outbox instead.', {
  language: z.enum(['en', 'zh']).default('en').describe('Language of messages: "en" or "zh".'),
  routes: z.array(notificationRoute).default([]).describe('Routing rules, first match wins; when none matches, channelsBySeverity and defaultEmailRecipients apply.'),
  channelsBySeverity: group('Channels per severity when no routing rule matches. Incidents map P1→critical, P2→high, P3→medium, P4→low.', {
    critical: channelList(['slack', 'email']),
    high: channelList(['slack', 'email']),
    medium: channelList(['slack']),
    low: channelList(['slack']),
  } satisfies Record<z.infer<typeof findingSeverity>, z.ZodType>),
  defaultEmailRecipients: z.array(emailAddress).default([]).describe('Recipients of "email" when no routing rule matches; none means no e-mail is sent.'),
  quietHours: group('Hours in which only the bypassing severities are sent at once; the rest wait until the quiet hours end.', {
    enabled: z.boolean().default(false).describe('false: no quiet hours.'),
    timezone: z.string().refine(isTimeZone, { message: 'must be an IANA time zone, e.g. "Asia/Shanghai"' }).default('Asia/Shanghai').describe('IANA time zone of from/to.'),
    from: clockTime.default('22:00').describe('Start, HH:MM; may be after `to` (spans midnight).'),
    to: clockTime.default('08:00').describe('End, HH:MM.'),
    bypassSeverities: z.array(findingSeverity).default(['critical']).describe('Severities sent even in quiet hours.'),
  }),
  digest: group('Low severities as one summary per owner per period instead of a message each.', {
    severities: z.array(findingSeverity).default(['low']).describe('Severities collected into digests; [] turns digests off. Resolutions of these severities are summarised too.'),
    periodMinutes: minutes('Length of a digest period, in minutes; the summary is sent after the period ends.', 60),
  }),
  retry: group('Delivery retries while a channel is down.', {
    maxAttempts: z.number().int().min(1).max(100).default(12).describe('Attempts before a message is dead-lettered.'),
    baseDelaySeconds: seconds('Delay before the second attempt; doubles each attempt.', 30),
    maxDelaySeconds: seconds('Longest delay between attempts (also caps Retry-After).', 3600),
  }),
  outboxRetentionDays: days('Days a delivered or dead message stays inspectable in the outbox.', 30),
});

// ---------------------------------------------------------------------------------------
// Backups (guide 1.1–1.3): the catalogue of datasets and what each tier must show.
/** A cold backup is kept at least 3 years (guide 1.1): 1,095 days, counted leap-aware as 3 calendar years. */
export const MIN_COLD_RETENTION_DAYS = 1095;

const backupDataset = z
  .strictObject({
    id: z.string().trim().min(1).max(256).regex(/^[A-Za-z0-9][\w.:-]*$/, { message: 'must be letters, digits, ".", ":", "_" or "-", e.g. "finance-history"' }).describe('Dataset id, unique in the catalogue; findings and the ledger are kept per id.'),
    system: z.string().trim().min(1).describe('System the dataset belongs to, as ERP backup facts name it in `system` (e.g. "kingdee-finance-db").'),
    kind: z.enum(['database', 'file-set', 'configuration']).describe('What is backed up; a configuration nobody backs up kept a production module down for 48 hours (guide 1.1).'),
    dataClasses: z.array(z.string().trim().min(1)).default([]).describe('Classes of data inside (customer, payroll, finance, orders…); those in backups.sensitiveDataClasses must be encrypted (1.3).'),
    tier: z.enum(['hot', 'cold']).describe('"hot": replicated continuously off-site; "cold": full backup at least every backups.tiers.cold.fullBackupEveryDays days.'),
    backupPlan: z.string().trim().min(1).optional().describe('Name of the backup plan or job that protects the dataset; a dataset without one is a finding in itself.'),
    offsiteTarget: z.string().trim().min(1).optional().describe('Where the dataset\'s off-site copy or replica lives (site, region, vault); defaults to the tier\'s.'),
    rtoMinutes: z.number().int().positive().max(527_040).default(240).describe('Recovery time objective: a restore test must finish within it (guide 5.3\'s 4 h by default).'),
    aws: group('How AWS Backup\'s events name this dataset.', {
      resourceArns: z.array(z.string().trim().min(1)).default([]).describe('ARNs of the protected resources; a trailing "*" matches a prefix.'),
      tag: z.string().trim().min(1).optional().describe('Value of the dataset tag (backups.aws.datasetTagKey) on the resource, when the event carries its tags.'),
      kmsKeyArns: z.array(z.string().trim().min(1)).default([]).describe('KMS keys that encrypt its backups: a deletion or expiry of one of them (aws.kms) counts against the dataset\'s encryption.'),
    }),
  })
  .describe('A dataset the organisation must be able to restore.');

const backups = group('Guide 1.1–1.3 as the backup-verification function applies them: the catalogue of datasets, tier cadences, restore tests.', {
  mode: ruleMode.default('enforce').describe('"enforce": findings; "report-only": findings are reported as report-only.'),
  sensitiveDataClasses: names('Data classes that must be encrypted in transit and at rest (1.3).', ['customer', 'payroll']),
  tiers: group('What each tier must show.', {
    hot: group('1.1 Hot data: continuous replication to an off-site location.', {
      maxLagMinutes: minutes('Largest acceptable replication lag, in minutes.', 15),
      heartbeatEveryMinutes: minutes('A replication that has reported no status for this long is silent (one sweep after it, a finding).', 15),
      offsiteTarget: z.string().trim().min(1).optional().describe('Default off-site location of hot replicas; a hot dataset needs this or its own offsiteTarget.'),
    }),
    cold: group('1.1 Cold data: a full backup at least weekly, kept at least 3 years.', {
      fullBackupEveryDays: days('Largest gap between two good full backups, in days.', 7),
      minRetentionDays: days('Shortest retention of a cold backup, in days; counted leap-aware (1,095 = 3 calendar years).', MIN_COLD_RETENTION_DAYS),
      offsiteRequired: z.boolean().default(true).describe('A cold backup must also exist off-site (a copy to another site, region or vault).'),
    }),
  }),
  restoreTests: group('1.2 Backups are restore-tested on a schedule.', {
    everyDays: group('Largest gap between two passing restore tests, per tier, in days.', {
      hot: days('Hot datasets, in days.', 30),
      cold: days('Cold datasets, in days.', 30),
    }),
    mustShow: z
      .array(z.enum(['row-counts', 'checksum', 'application-health', 'within-rto']))
      .default(['row-counts', 'checksum', 'application-health', 'within-rto'])
      .describe('What a passing test must show: record counts matching the source, matching checksums, a healthy application, and a duration within the dataset\'s RTO. A test that shows less is inconclusive.'),
  }),
  aws: group('AWS Backup events (aws.backup, aws.kms on the default bus).', {
    datasetTagKey: z.string().trim().min(1).default('erpgov:dataset').describe('Resource tag whose value names the dataset (backups.catalogue[].aws.tag).'),
    offsiteVaultArns: z.array(z.string().trim().min(1)).default([]).describe('Backup vaults that count as off-site; a copy to a vault in another region counts too.'),
  }),
  catalogue: z.array(backupDataset).default([]).describe('Every dataset to protect. Replaces the default (empty) catalogue whole.'),
});

// Ingress: what the door takes in, and how far an event's own time may stray from now
const reservedSourcePrefixes = ['erpgov.', 'aws.'];
const ingressSource = z
  .string()
  .trim()
  .min(1)
  .refine((source) => !reservedSourcePrefixes.some((prefix) => source.startsWith(prefix)), {
    message: 'must not start with "erpgov." (the pipeline\'s own functions) or "aws." (AWS services): the door never takes those',
  });

const ingress = group('What the EventBridge endpoint takes in besides ERP facts, and how far an event\'s own time may stray from the time it arrives.', {
  allowedSources: z
    .array(ingressSource)
    .default([])
    .describe('Sources accepted besides "erp.<system>", e.g. "com.example.hr". Anything else is refused at the door with the reason, instead of being accepted and never governed.'),
  clockSkewToleranceMinutes: minutes('An event whose time lies more than this many minutes ahead of its arrival is recorded with its claimed time, governed at its arrival time and flagged (clockSkew): it never resolves a finding or moves a clock.', 5),
  lateArrivalWindowDays: days('An event whose time lies more than this many days before its arrival is recorded and flagged the same way. Replays and catch-ups younger than this keep their own time.', 400),
});

// ---------------------------------------------------------------------------------------
/** The document's shape and defaults; `policySchema` adds the rules that relate fields. */
const policyDocument = z
  .strictObject({
    $schema: z.string().optional().describe('Editor hint (e.g. "../schemas/json/policy.json"); ignored.'),
    access,
    performance,
    change,
    incident,
    audit,
    notifications,
    backups,
    ingress,
  })
  .prefault({});

export type Policy = z.output<typeof policyDocument>;

export const policySchema = policyDocument
  // Relations between fields are judged only once every field is valid on its own: a
  // malformed value is reported once, by its own rule, not again by a relation it is part of.
  .superRefine(checkCrossFieldRules, { when: (payload) => payload.issues.length === 0 })
  .describe('ERP governance policy: every figure of the maintenance guide, with the guide\'s figures as defaults. A file gives only what it changes.');

/** Rules that relate several fields; each message says what is allowed and, where it comes from the guide, why. */
function checkCrossFieldRules(policy: Policy, ctx: z.RefinementCtx): void {
  const problem = (path: PropertyKey[], input: unknown, message: string) => ctx.addIssue({ code: 'custom', path, input, message });

  const { retention, archive, workingHours } = policy.audit;
  if (retention.mode === 'enforce' && retention.days < MIN_AUDIT_RETENTION_DAYS) {
    problem(['audit', 'retention', 'days'], retention.days, `must be at least ${MIN_AUDIT_RETENTION_DAYS} in enforce mode (guide 6.1: logs kept ≥ 6 months)`);
  }
  if (archive.coldRetentionDays < retention.days) {
    problem(['audit', 'archive', 'coldRetentionDays'], archive.coldRetentionDays, `must be at least audit.retention.days (${retention.days}): archived logs live out their retention in cold storage`);
  }
  // Zero-padded HH:MM times compare correctly as text.
  if (workingHours.end <= workingHours.start) {
    problem(['audit', 'workingHours', 'end'], workingHours.end, `must be after start (${workingHours.start}); working hours do not span midnight`);
  }
  duplicates(workingHours.days).forEach((i) => problem(['audit', 'workingHours', 'days', i], workingHours.days[i], 'must not repeat a day'));
  const { authorisedVerifiers } = policy.audit.highRiskOperations.dualVerification;
  duplicates(authorisedVerifiers).forEach((i) =>
    problem(['audit', 'highRiskOperations', 'dualVerification', 'authorisedVerifiers', i], authorisedVerifiers[i], 'must not repeat an account'),
  );
  const { behaviourAnalysis } = policy.audit;
  if (behaviourAnalysis.baselineDays > retention.days) {
    problem(['audit', 'behaviourAnalysis', 'baselineDays'], behaviourAnalysis.baselineDays, `must be at most audit.retention.days (${retention.days}): the baseline is read from the audit trail, which keeps no more`);
  }
  const burstActions = behaviourAnalysis.burstActions.map((action) => action.toLowerCase());
  duplicates(burstActions).forEach((i) => problem(['audit', 'behaviourAnalysis', 'burstActions', i], behaviourAnalysis.burstActions[i], 'must not repeat an action'));

  policy.access.segregationOfDuties.conflicts.forEach((pair, i) => {
    if (pair.first === pair.second) {
      problem(['access', 'segregationOfDuties', 'conflicts', i, 'second'], pair.second, `must name a different permission than first ("${pair.first}"): a conflict is between two permissions`);
    }
  });
  const { rolePermissions } = policy.access.segregationOfDuties;
  const catalogued = new Set(Object.values(rolePermissions).flat());
  if (catalogued.size > 0) {
    policy.access.segregationOfDuties.conflicts.forEach((pair, i) => {
      for (const field of ['first', 'second'] as const) {
        if (!catalogued.has(pair[field])) {
          problem(['access', 'segregationOfDuties', 'conflicts', i, field], pair[field], `must be a permission some role in access.segregationOfDuties.rolePermissions carries (known: ${[...catalogued].sort().slice(0, 20).join(', ')}${catalogued.size > 20 ? ', …' : ''})`);
        }
      }
    });
  }
  const conflictKeys = new Set(policy.access.segregationOfDuties.conflicts.map((pair) => [pair.first, pair.second].sort().join('\n')));
  const conflictPermissions = new Set(policy.access.segregationOfDuties.conflicts.flatMap((pair) => [pair.first, pair.second]));
  policy.access.segregationOfDuties.exceptions.forEach((exception, i) => {
    for (const field of ['first', 'second'] as const) {
      if (!conflictPermissions.has(exception[field])) {
        problem(['access', 'segregationOfDuties', 'exceptions', i, field], exception[field], 'must name a permission of a pair in access.segregationOfDuties.conflicts: an exception can only accept a listed conflict');
        return;
      }
    }
    if (!conflictKeys.has([exception.first, exception.second].sort().join('\n'))) {
      problem(['access', 'segregationOfDuties', 'exceptions', i], `${exception.first} + ${exception.second}`, 'must be a pair listed in access.segregationOfDuties.conflicts');
    }
  });

  const { signOff } = policy.change;
  duplicates(signOff.requiredRoles).forEach((i) => problem(['change', 'signOff', 'requiredRoles', i], signOff.requiredRoles[i], 'must not repeat a role'));
  if (signOff.mode === 'enforce' && new Set(signOff.requiredRoles).size < 2) {
    problem(['change', 'signOff', 'requiredRoles'], signOff.requiredRoles, 'must name at least two different roles in enforce mode (guide 4.1: the business department and the IT lead both sign off)');
  }
  // The freeze calendars' RFC 5545 text is checked by schemas/policy-checks.ts (synth, start-up and
  // change-approvals), so that the calendar parser is bundled only where calendars are used.
  policy.change.freeze.ranges.forEach((range, i) => {
    if (Date.parse(range.end) <= Date.parse(range.start)) problem(['change', 'freeze', 'ranges', i, 'end'], range.end, `must be after start (${range.start})`);
  });
  const production = new Set(policy.change.productionEnvironments.map((name) => name.toLowerCase()));
  policy.change.testEnvironments.forEach((name, i) => {
    if (production.has(name.toLowerCase())) {
      problem(['change', 'testEnvironments', i], name, 'must not also be a production environment (guide 4.2: test before production)');
    }
  });

  const { quietHours } = policy.notifications;
  if (quietHours.enabled && quietHours.from === quietHours.to) {
    problem(['notifications', 'quietHours', 'to'], quietHours.to, `must differ from from (${quietHours.from}): equal times would make the quiet hours empty`);
  }

  checkBackupRules(policy, problem);
  checkThresholdRules(policy, problem);

  const table = policy.incident.severityTable;
  const levels = incidentSeverity.options; // most severe first
  levels.slice(1).forEach((level, i) => {
    const moreSevere = levels[i] as (typeof levels)[number];
    if (table[level].respondWithinMinutes < table[moreSevere].respondWithinMinutes) {
      problem(
        ['incident', 'severityTable', level, 'respondWithinMinutes'],
        table[level].respondWithinMinutes,
        `must not be shorter than ${moreSevere}'s ${table[moreSevere].respondWithinMinutes}: a less severe level cannot demand a faster response`,
      );
    }
  });
}

/** Backups (guide 1.1–1.3): refusals that relate the catalogue to the tiers. */
function checkBackupRules(policy: Policy, problem: (path: PropertyKey[], input: unknown, message: string) => void): void {
  const { backups } = policy;
  if (backups.mode === 'enforce' && backups.tiers.cold.minRetentionDays < MIN_COLD_RETENTION_DAYS) {
    problem(['backups', 'tiers', 'cold', 'minRetentionDays'], backups.tiers.cold.minRetentionDays, `must be at least ${MIN_COLD_RETENTION_DAYS} in enforce mode (guide 1.1: cold backups kept at least 3 years)`);
  }
  duplicates(backups.catalogue.map((d) => d.id)).forEach((i) => problem(['backups', 'catalogue', i, 'id'], backups.catalogue[i]?.id, 'must not repeat a dataset id'));
  backups.catalogue.forEach((dataset, i) => {
    if (dataset.tier === 'hot' && dataset.offsiteTarget === undefined && backups.tiers.hot.offsiteTarget === undefined) {
      problem(['backups', 'catalogue', i, 'offsiteTarget'], undefined, 'must name the off-site location of this hot dataset\'s replica (or set backups.tiers.hot.offsiteTarget): guide 1.1 replicates hot data to an off-site server');
    }
  });
}

/** Threshold and incident figures that must agree: hysteresis on the safe side, M at most N, resolve after respond. */
function checkThresholdRules(policy: Policy, problem: (path: PropertyKey[], input: unknown, message: string) => void): void {
  const { cpu, memory, diskFree, orderLatency, reportDuration, thresholdEvaluation } = policy.performance;
  const upper = [['cpu', cpu.maxPercent, cpu.clearAtPercent, 'maxPercent', 'clearAtPercent'], ['memory', memory.maxPercent, memory.clearAtPercent, 'maxPercent', 'clearAtPercent'], ['orderLatency', orderLatency.maxSeconds, orderLatency.clearAtSeconds, 'maxSeconds', 'clearAtSeconds'], ['reportDuration', reportDuration.maxSeconds, reportDuration.clearAtSeconds, 'maxSeconds', 'clearAtSeconds']] as const;
  for (const [key, fire, clear, fireKey, clearKey] of upper) {
    if (clear !== undefined && clear > fire) problem(['performance', key, clearKey], clear, `must be at most ${fireKey} (${fire}): the clear threshold sits on the safe side of the fire threshold`);
  }
  if (diskFree.clearAtPercent !== undefined && diskFree.clearAtPercent < diskFree.minPercent) {
    problem(['performance', 'diskFree', 'clearAtPercent'], diskFree.clearAtPercent, `must be at least minPercent (${diskFree.minPercent}): the clear threshold sits on the safe side of the fire threshold`);
  }
  const windows = policy.performance.businessPercentiles;
  if (windows.fire.breaching > windows.fire.ofLast) problem(['performance', 'businessPercentiles', 'fire', 'breaching'], windows.fire.breaching, `must be at most ofLast (${windows.fire.ofLast}): M of N needs M ≤ N`);
  if (windows.clear.clearing > windows.clear.ofLast) problem(['performance', 'businessPercentiles', 'clear', 'clearing'], windows.clear.clearing, `must be at most ofLast (${windows.clear.ofLast}): M of N needs M ≤ N`);
  const { fire, clear } = thresholdEvaluation;
  if (fire.breaching > fire.ofLast) problem(['performance', 'thresholdEvaluation', 'fire', 'breaching'], fire.breaching, `must be at most ofLast (${fire.ofLast}): M of N needs M ≤ N`);
  if (clear.clearing > clear.ofLast) problem(['performance', 'thresholdEvaluation', 'clear', 'clearing'], clear.clearing, `must be at most ofLast (${clear.ofLast}): M of N needs M ≤ N`);
  for (const level of incidentSeverity.options) {
    const targets = policy.incident.severityTable[level];
    if (targets.resolveWithinMinutes < targets.respondWithinMinutes) {
      problem(['incident', 'severityTable', level, 'resolveWithinMinutes'], targets.resolveWithinMinutes, `must be at least respondWithinMinutes (${targets.respondWithinMinutes}): an incident is acknowledged before it is resolved`);
    }
  }
}

/** Indexes of items that already appeared earlier in the list. */
function duplicates<T>(items: readonly T[]): number[] {
  return items.flatMap((item, i) => (items.indexOf(item) < i ? [i] : []));
}

function isRegExp(pattern: string): boolean {
  try {
    new RegExp(pattern, 'i');
    return true;
  } catch {
    return false;
  }
}
