/**
 * What reaches each function: its event patterns and schedules, and what it may touch on AWS.
 * Plain data, declared once, with literal types: the routing table (`routes.ts`) compiles
 * it for the CDK stack and the local bus, and each handler derives from it the detail-types
 * and schedule ids it serves (`event-handler.ts`), so the two can never disagree — the
 * compiler checks that a handler handles every schedule of its function and narrows each
 * routed detail to its schema. Handlers import this module, so it imports nothing heavy
 * (the archive's key layout is plain data).
 */
import { AUDIT_ANCHORS_PREFIX, AUDIT_MANIFESTS_PREFIX, EVIDENCE_PREFIX, EXPORTS_PREFIX, REPORTS_PREFIX } from '../schemas/archive-layout.ts';
import { SEAL_INTENT_KEY_PREFIXES, type StateKeyPrefixes } from './state-table.ts';

export interface RuleDeclaration {
  /** Stable id, unique across the table; becomes part of the AWS rule's logical id. */
  readonly id: string;
  readonly description: string;
  readonly eventPattern: Readonly<Record<string, unknown>>;
  /**
   * Which bus the rule listens on in AWS: the pipeline's own bus (ERP facts, the pipeline's
   * findings; the default) or the account's default bus, where AWS services (AWS Backup,
   * CloudWatch, CodePipeline, ...) put their events. Locally there is one bus; AWS service
   * events enter it through `erpgov replay`.
   */
  readonly eventBus?: 'pipeline' | 'default';
}

export interface ScheduleDeclaration {
  readonly id: string;
  readonly description: string;
  /** EventBridge schedule expression: `rate(5 minutes)` or `cron(0 2 1 * ? *)` (UTC). */
  readonly expression: string;
  /**
   * Locally, the runtime also fires it after a delivery to the function ends, once no other
   * delivery is running (coalesced: one fire waits at most), for work that follows each
   * delivery; on AWS the expression fires
   * it, and a `stateStreamTrigger` may run it after writes too (`runtime/follow-up-fires.ts`).
   */
  readonly alsoAfterEachDelivery?: boolean;
}

/** What a function may do beyond being invoked. Each has a default (`FUNCTION_DEFAULTS`). */
export interface FunctionCapabilities {
  /** What the function may do to the state table: grants on AWS, nothing more. */
  readonly stateAccess: 'read' | 'read-write';
  /** Whether it puts events (findings, commands) back on the bus. */
  readonly publishesEvents: boolean;
  /** Access to the archive bucket (audit-log archive, exported reports). */
  readonly archiveAccess: 'none' | 'write' | 'read-write';
  /**
   * Which key prefixes of the archive it may read and write (`prefix/` each); absent: every
   * key, as `archiveAccess` says. A function that writes beside others' data names its own.
   */
  readonly archivePrefixes?: { readonly read: readonly string[]; readonly write: readonly string[] };
  /** Signs evidence manifests with the stack's Ed25519 KMS key (kms:Sign on that key only). Absent: no. */
  readonly signsEvidence?: boolean;
  /** Reads the notification secret (Slack webhook, mail settings) from Secrets Manager. */
  readonly readsSecrets: boolean;
  /** Sends e-mail through SES. */
  readonly sendsEmail: boolean;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
}

/** A governance function keeps state, publishes findings and neither reads secrets nor sends mail. */
export const FUNCTION_DEFAULTS: FunctionCapabilities = {
  stateAccess: 'read-write',
  publishesEvents: true,
  archiveAccess: 'none',
  readsSecrets: false,
  sendsEmail: false,
  timeoutSeconds: 300,
  memoryMb: 1024,
};

/**
 * A batched target: the function's rules deliver to it in batches instead of one event per
 * invocation. On AWS: EventBridge → SQS queue → Lambda event source mapping (this batch size
 * and maximum batching window, partial batch failure reporting, a DLQ with an alarm); locally
 * the bus delivers the same SQS-shaped batches, and a record the handler reports failed is
 * retried alone. Schedules still invoke the function directly, one event at a time.
 */
export interface BatchDeclaration {
  /** Records per invocation, at most (SQS allows up to 10,000 with a window; the trail writes 25 a request). */
  readonly size: number;
  /** How long the event source mapping may wait to fill a batch (seconds, 0–300). */
  readonly maxWaitSeconds: number;
}

/**
 * Work that should follow a write to the state table within seconds, not at the next fire of its
 * schedule. On AWS: a stream on the state table (keys only) and a Lambda event source mapping
 * whose filter passes only writes to items whose keys begin with `keyPrefixes` (AWS filters a
 * DynamoDB mapping on the record's `dynamodb` key only, so inserts, updates and deletes of such
 * items all pass: the flow must be cheap when it finds nothing to do); the
 * function then runs the flow of its schedule `runs`, which goes on firing as the safety net
 * (bounded retries, then a DLQ with an alarm). Locally nothing: dynalite has no streams, and a
 * schedule with `alsoAfterEachDelivery` already runs after each delivery.
 */
export interface StateStreamTrigger {
  readonly description: string;
  /** Both key prefixes must match (non-empty: an empty one would let every write to the table invoke the function). */
  readonly keyPrefixes: StateKeyPrefixes;
  /** The id of one of the function's own schedules: the work the trigger brings forward. */
  readonly runs: string;
}

export interface FunctionDeclaration extends Partial<FunctionCapabilities> {
  /** Where volume is: deliver the rules' events in batches (see `BatchDeclaration`). Default: one event per invocation. */
  readonly batch?: BatchDeclaration;
  /** On AWS, also run a schedule's flow seconds after matching writes to the state table (see `StateStreamTrigger`). Default: none. */
  readonly stateStreamTrigger?: StateStreamTrigger;
  /** kebab-case; the function's folder under `functions/` (its handler is `functions/<name>/handler.ts`). */
  readonly name: string;
  readonly description: string;
  readonly rules: readonly RuleDeclaration[];
  readonly schedules: readonly ScheduleDeclaration[];
}

/** A rule for ERP facts of `detailTypes` from ERP systems (erp.*) only: the pipeline's own events (erpgov.*) never come back through it. */
function erpFacts<const D extends readonly string[]>(id: string, description: string, detailTypes: D) {
  return { id, description, eventPattern: { source: [{ prefix: 'erp.' }], 'detail-type': detailTypes } } as const;
}

/** A rule for AWS services' own events (of `detailTypes`, or all), on the account's default bus where AWS puts them. */
function awsServiceEvents<const D extends readonly string[]>(id: string, description: string, sources: readonly string[], detailTypes?: D) {
  return { id, description, eventPattern: { source: sources, ...(detailTypes ? { 'detail-type': detailTypes } : {}) }, eventBus: 'default' } as const;
}

/**
 * The product's functions. Later capabilities add their entries here, and only here. Built in
 * a call marked pure: a Lambda bundle reads its routing facts baked at synth (`routingOf`), and
 * the mark lets esbuild leave the table (its prose above all) out of the bundle, which it
 * cannot prove side-effect free on its own (template literals over imported constants).
 */
export const functionDeclarations = /* @__PURE__ */ (() => [
  // First: of one event's deliveries the local bus starts the first declared first, and the
  // trail's is the one with a write to wait on.
  {
    name: 'log-archiving',
    description: 'Audit trail (guide 6.1-6.4): every event on the bus becomes an append-only audit record.',
    rules: [
      {
        id: 'audit-every-event',
        description: 'Every event from any source (an empty prefix matches every string) except metric samples: telemetry, not operations, kept out of the trail (guide 3.1 volume).',
        eventPattern: { source: [{ prefix: '' }], 'detail-type': [{ 'anything-but': ['Metric Sample'] }] },
      },
      awsServiceEvents('audit-aws-service-events', 'The AWS service events the pipeline governs, from the default bus where AWS puts them, so the trail records them verbatim too.', ['aws.backup', 'aws.kms', 'aws.cloudwatch', 'aws.codepipeline', 'aws.codedeploy', 'aws.cloudformation', 'aws.ssm', 'aws.rds']),
    ],
    schedules: [
      {
        id: 'audit-seal-pending',
        description: 'Every 5 minutes (locally also after every delivery; on AWS also seconds after a batch is accepted, by the stream trigger): seal the batches the trail accepted (new records written, one block per chain, the head moved).',
        expression: 'rate(5 minutes)',
        alsoAfterEachDelivery: true,
      },
    ],
    // Every event on the bus passes through here: batches of up to 100, each accepted with one write (one intent) and sealed by the pass that follows.
    batch: { size: 100, maxWaitSeconds: 1 },
    stateStreamTrigger: {
      description: 'On AWS, seconds after a batch is accepted: its seal intent is put, and the seal pass runs (the 5-minute schedule stays as the safety net; the pass\'s lock item is no intent and triggers nothing; the intents the pass closes trigger one more pass, which finds nothing open after two small reads).',
      keyPrefixes: SEAL_INTENT_KEY_PREFIXES,
      runs: 'audit-seal-pending',
    },
    publishesEvents: false,
    timeoutSeconds: 60,
    memoryMb: 512,
  },
  {
    name: 'audit-archive',
    description: 'Audit archive (guide 6.1): each closed day of the trail to compressed JSON Lines with a digest manifest; hourly anchors of the chain heads.',
    rules: [],
    schedules: [
      { id: 'archive-audit-daily', description: 'Daily at 00:30 UTC, after the day closed.', expression: 'cron(30 0 * * ? *)' },
      { id: 'audit-anchor-heads', description: 'Hourly: the chain heads of today and yesterday to the archive, so that verify notices a chain deleted together with its head.', expression: 'rate(1 hour)' },
    ],
    // Reads the trail; writes only the integrity findings it raises (6.1) through the lifecycle.
    archiveAccess: 'write',
    timeoutSeconds: 900,
  },
  {
    name: 'audit-analysis',
    description: 'Audit analysis (guide 6.2-6.4, 3.3): dual verification of high-risk operations; hourly behaviour analysis of the audit trail.',
    rules: [
      erpFacts('audit-high-risk-facts', 'Operations that may be high-risk and their verifications, from ERP systems only: the function\'s own findings (erpgov.*) never come back to it.', ['Operation Audited', 'Role Assigned', 'Role Revoked', 'Operation Verified']),
    ],
    schedules: [
      { id: 'audit-high-risk-sweep', description: 'Every 5 minutes: high-risk operations whose verification window has passed.', expression: 'rate(5 minutes)' },
      { id: 'audit-behaviour-hourly', description: 'Hourly: behaviour analysis of the last closed hour of the audit trail.', expression: 'rate(1 hour)' },
    ],
    // Every ERP operation comes here; a routine one is judged without a request, so batches of 100 cost little more than one event.
    batch: { size: 100, maxWaitSeconds: 1 },
  },
  {
    name: 'access-governance',
    description: 'Access governance (guide 2.1-2.5): least privilege and SoD, one person per account, 24 h leaver/mover clock, expiring grants, monthly permission audit.',
    rules: [
      erpFacts(
        'access-facts',
        'Role, grant, HR, login and operation facts and review sign-offs, from ERP systems only: the function\'s own findings and commands (erpgov.*) never come back to it.',
        ['Role Assigned', 'Role Revoked', 'Temporary Grant Issued', 'Employee Departed', 'Employee Transferred', 'Login', 'Operation Audited', 'Permission Review Signed Off'],
      ),
    ],
    schedules: [
      { id: 'access-sweep', description: 'Every 5 minutes: leaver/mover clocks past their deadline, temporary grants past their expiry.', expression: 'rate(5 minutes)' },
      { id: 'access-permission-audit', description: 'Daily at 02:00 UTC; on the policy\'s day of the month, the permission audit of the month before (2.5).', expression: 'cron(0 2 * * ? *)' },
    ],
    // Every ERP operation comes here too: in batches of 100, an account's operations in a batch share one META write (remembering-stores.ts).
    batch: { size: 100, maxWaitSeconds: 1 },
    archiveAccess: 'write',
    timeoutSeconds: 900,
  },
  {
    name: 'notifier',
    description: 'Notifier: findings and incident changes to Slack and e-mail, once per state change, through an outbox in the state table.',
    rules: [
      {
        id: 'notify-findings',
        description: 'Findings the pipeline\'s own functions raise and resolve (erpgov.*).',
        eventPattern: { source: [{ prefix: 'erpgov.' }], 'detail-type': ['Finding Raised', 'Finding Resolved'] },
      },
      {
        id: 'notify-incidents',
        description: 'Incident state changes reported by ERP systems (erp.*), and those threshold-alerts opens and resolves for its episodes (erpgov.threshold-alerts).',
        eventPattern: { source: [{ prefix: 'erp.' }, 'erpgov.threshold-alerts'], 'detail-type': ['Incident Opened', 'Incident Acknowledged', 'Incident Resolved'] },
      },
      {
        id: 'notify-operator-actions',
        description: 'An operator\'s acknowledgement or documented exception of a finding (erp.operator, as `erpgov findings ack/exception` sends them): announced once per finding and step.',
        eventPattern: { source: ['erp.operator'], 'detail-type': ['Finding Acknowledged', 'Finding Exception Granted'] },
      },
    ],
    schedules: [
      {
        id: 'notifier-outbox-drain',
        description: 'Every minute: summarise ended digest periods, and retry messages whose channel was down.',
        expression: 'rate(1 minute)',
      },
    ],
    publishesEvents: false,
    readsSecrets: true,
    sendsEmail: true,
    timeoutSeconds: 120,
    memoryMb: 512,
  },
  {
    name: 'backup-verification',
    description: 'Backup verification (guide 1.1-1.3): tiered backups against the catalogue, silence and staleness sweeps, restore-test evidence, encryption; a ledger per dataset and a monthly report.',
    rules: [
      erpFacts('backup-facts', 'Backup, replication and restore-test facts from ERP systems only: the function\'s own findings (erpgov.*) never come back to it.', ['Backup Completed', 'Backup Failed', 'Replication Status', 'Restore Test Result']),
      awsServiceEvents(
        'backup-aws-service-events',
        'AWS Backup job, copy, restore, recovery-point, vault and scan events, and KMS key deletion/expiry, from the default bus, whatever their status (status is in `state` for some, `status` for others).',
        ['aws.backup', 'aws.kms'],
        ['Backup Job State Change', 'Copy Job State Change', 'Restore Job State Change', 'Recovery Point State Change', 'Recovery Point Change', 'Backup Vault State Change', 'Scan Job State Change', 'KMS CMK Deletion', 'KMS Imported Key Material Expiration'],
      ),
    ],
    schedules: [
      { id: 'backup-silence-sweep', description: 'Every 5 minutes: datasets whose backup, replication heartbeat or restore test is due (read from the due-time index, not the history).', expression: 'rate(5 minutes)' },
      { id: 'backup-monthly-report', description: 'On the 1st at 03:00 UTC: the backup report of the month before to the archive.', expression: 'cron(0 3 1 * ? *)' },
    ],
    archiveAccess: 'write',
  },
  {
    name: 'change-approvals',
    description: 'Change approvals (guide 4.1-4.4): dual sign-off, tested first, versions recorded, the production gate over pipeline and AWS deployment events, freeze calendars, monthly change report.',
    rules: [
      erpFacts(
        'change-facts',
        'The change lifecycle and configuration edits, from ERP systems only: the function\'s own findings (erpgov.*) never come back to it.',
        ['Change Requested', 'Change Approved', 'Change Rejected', 'Change Tested', 'Change Deployed', 'Change Rolled Back', 'Configuration Modified'],
      ),
      awsServiceEvents(
        'change-aws-production-events',
        'AWS\'s own deployment and configuration events (CodePipeline, CodeDeploy, CloudFormation stacks, SSM Parameter Store and Change Calendar, RDS parameter groups), from the default bus, as AWS emits them: the production gate (4.4).',
        ['aws.codepipeline', 'aws.codedeploy', 'aws.cloudformation', 'aws.ssm', 'aws.rds'],
        [
            'CodePipeline Pipeline Execution State Change',
            'CodePipeline Stage Execution State Change',
            'CodePipeline Action Execution State Change',
            'CodeDeploy Deployment State-change Notification',
            'CloudFormation Stack Status Change',
            'Parameter Store Change',
            'Calendar State Change',
            'RDS DB Parameter Group Event',
          ],
      ),
    ],
    schedules: [
      { id: 'change-emergency-sweep', description: 'Hourly: emergency changes whose after-the-fact sign-off deadline has passed.', expression: 'rate(1 hour)' },
      { id: 'change-report-monthly', description: 'Monthly on the 1st at 03:00 UTC: the change report of the month before, to the archive.', expression: 'cron(0 3 1 * ? *)' },
    ],
    archiveAccess: 'write',
  },
  {
    name: 'threshold-alerts',
    description: 'Threshold alerts (guide 3.1-3.2): metric samples against the guide\'s thresholds with hysteresis, M-of-N and flapping, one finding per episode; hosts gone silent; CloudWatch alarms.',
    rules: [
      erpFacts('threshold-metric-samples', 'Metric samples from ERP systems and their agents (erp.*).', ['Metric Sample']),
      erpFacts('threshold-slow-queries', 'Slow SQL reported by the APM (erp.*), counted per ERP module and statement fingerprint (3.3).', ['Slow Query']),
      awsServiceEvents('threshold-cloudwatch-alarms', 'CloudWatch alarm state changes, as AWS puts them on the default bus.', ['aws.cloudwatch'], ['CloudWatch Alarm State Change']),
    ],
    schedules: [
      { id: 'threshold-silence-sweep', description: 'Every minute: hosts whose samples stopped (missing data is a finding, not OK), and slow-SQL hot spots whose window ended quietly.', expression: 'rate(1 minute)' },
    ],
    // Metric samples are the other stream at volume (guide 3.1).
    batch: { size: 25, maxWaitSeconds: 1 },
    timeoutSeconds: 60,
  },
  {
    name: 'incident-response',
    description: 'Incident response and continuity (guide 5.1-5.3): SLA clocks per severity with escalation and re-notification, drills with measured RTO/RPO, overdue drills, standby readiness.',
    rules: [
      erpFacts('incident-facts', 'Incident changes and drills reported by ERP systems (erp.*).', ['Incident Opened', 'Incident Acknowledged', 'Incident Resolved', 'Drill Completed']),
      {
        id: 'incident-from-threshold-episodes',
        description: 'Incidents threshold-alerts opens for P1/P2 episodes and resolves when they clear (performance.incidents in the policy), published in-process as erpgov.threshold-alerts.',
        eventPattern: { source: ['erpgov.threshold-alerts'], 'detail-type': ['Incident Opened', 'Incident Resolved'] },
      },
    ],
    schedules: [
      { id: 'incident-sla-sweep', description: 'Every minute: incidents past their acknowledge or resolve target (breach, escalation, re-notification).', expression: 'rate(1 minute)' },
      { id: 'continuity-daily', description: 'Daily at 03:00 UTC: overdue drills and standby readiness (5.2, 5.3).', expression: 'cron(0 3 * * ? *)' },
      { id: 'operations-report-monthly', description: 'On the 1st at 03:00 UTC: the operations report (threshold episodes, MTTA/MTTR, drills, RTO trend) of the quarter holding the month before, quarter to date, to the archive, where the monthly evidence pack reads it.', expression: 'cron(0 3 1 * ? *)' },
    ],
    archiveAccess: 'write',
    timeoutSeconds: 120,
  },
  {
    name: 'finding-desk',
    description: 'Finding desk: applies an operator\'s acknowledgement or documented, expiring exception (erpgov findings ack/exception) to the finding\'s lifecycle.',
    rules: [
      {
        id: 'finding-desk-operator-actions',
        description: 'Acknowledgements and exceptions an operator sends (source erp.operator, as `erpgov findings` does); the audit trail records them like every event.',
        eventPattern: { source: ['erp.operator'], 'detail-type': ['Finding Acknowledged', 'Finding Exception Granted'] },
      },
    ],
    schedules: [],
    publishesEvents: false,
    timeoutSeconds: 30,
    memoryMb: 256,
  },
  {
    name: 'evidence-delivery',
    description: 'Evidence delivery (guide 1.1-6.4): on the 1st of each month the signed evidence pack of the month before to the archive, the export partitions the SQL tables read, and a finding per control that had no data.',
    rules: [],
    schedules: [
      { id: 'evidence-monthly', description: 'On the 1st at 06:00 UTC, after the areas wrote their monthly reports (02:00-03:00): the pack of the month before.', expression: 'cron(0 6 1 * ? *)' },
    ],
    // Reads the areas' reports and the trail's manifests and anchors; writes only its packs and the export partitions.
    archiveAccess: 'read-write',
    archivePrefixes: {
      read: [REPORTS_PREFIX, AUDIT_MANIFESTS_PREFIX, AUDIT_ANCHORS_PREFIX, EVIDENCE_PREFIX],
      write: [EVIDENCE_PREFIX, EXPORTS_PREFIX],
    },
    signsEvidence: true,
    timeoutSeconds: 900,
  },
] as const satisfies readonly FunctionDeclaration[])();

type Declared = (typeof functionDeclarations)[number];
export type FunctionName = Declared['name'];
type DeclarationOf<N extends FunctionName> = Extract<Declared, { name: N }>;

/** The schedule ids of function `N`, as literal types. */
export type ScheduleIdOf<N extends FunctionName> = DeclarationOf<N>['schedules'][number] extends infer S ? (S extends { id: infer I extends string } ? I : never) : never;

/**
 * The detail-types of the ERP contract the rules of function `N` name, as literal types. Rules
 * on the default bus carry AWS services' own events, which the contract does not cover: the
 * function parses those itself.
 */
export type RoutedDetailTypeOf<N extends FunctionName> = DeclarationOf<N>['rules'][number] extends infer R
  ? R extends { eventBus: 'default' }
    ? never
    : R extends { eventPattern: { 'detail-type': readonly (infer D extends string)[] } }
    ? D
    : never
  : never;

/** Whether function `N` has rules on the default bus, i.e. takes AWS services' own events. */
export type TakesAwsEvents<N extends FunctionName> = [Extract<DeclarationOf<N>['rules'][number], { eventBus: 'default' }>] extends [never] ? false : true;

function declarationOf(name: FunctionName): FunctionDeclaration {
  const found = (functionDeclarations as readonly FunctionDeclaration[]).find((d) => d.name === name);
  if (!found) throw new Error(`no function "${name}" in the routing table`);
  return found;
}

/** What a function's handler needs to know about its own routing: derived from the table, and baked into its bundle. */
export interface HandlerRouting {
  readonly name: string;
  /** The contract detail-types its rules route to it (not the AWS services' events of its default-bus rules), in declaration order. */
  readonly detailTypes: readonly string[];
  readonly scheduleIds: readonly string[];
  /** It has rules on the default bus (AWS services' own events). */
  readonly takesAwsEvents: boolean;
  /** It takes its rules' events in SQS batches. */
  readonly batched: boolean;
}

/** A function's handler routing, derived from its declaration (the stack bakes it from the definition it deploys). */
export function handlerRouting(declaration: Pick<FunctionDeclaration, 'name' | 'rules' | 'schedules' | 'batch'>): HandlerRouting {
  const detailTypes = declaration.rules.flatMap((rule) => {
    if (rule.eventBus === 'default') return [];
    const listed = rule.eventPattern['detail-type'];
    return Array.isArray(listed) ? listed.filter((t): t is string => typeof t === 'string') : [];
  });
  return {
    name: declaration.name,
    detailTypes: [...new Set(detailTypes)],
    scheduleIds: declaration.schedules.map((s) => s.id),
    takesAwsEvents: declaration.rules.some((rule) => rule.eventBus === 'default'),
    batched: declaration.batch !== undefined,
  };
}

let baked: HandlerRouting | undefined;
/** Unbundled, each function's routing as derived from the table once (handlers ask for it on every event). */
const fromTable = new Map<FunctionName, HandlerRouting>();

/**
 * Function `name`'s handler routing. In a Lambda bundle the stack bakes it in at synth (esbuild's
 * `define` replaces exactly `process.env.ERPGOV_ROUTING_INLINE`, like the policy): the test is
 * then a constant, esbuild drops the table branch, and the table's prose (the descriptions the
 * AWS console and `erpgov routes` show) stays out of the bundle. Unbundled it is the table.
 */
function routingOf(name: FunctionName): HandlerRouting {
  if (process.env.ERPGOV_ROUTING_INLINE) {
    baked ??= JSON.parse(process.env.ERPGOV_ROUTING_INLINE) as HandlerRouting;
    if (baked.name !== name) throw new Error(`this bundle was built for function "${baked.name}", not "${name}"`);
    return baked;
  } else {
    // An `else`, not code after the return: esbuild drops a constant condition's dead branch before it decides what the bundle uses.
    let routing = fromTable.get(name);
    if (routing === undefined) fromTable.set(name, (routing = handlerRouting(declarationOf(name))));
    return routing;
  }
}

/** The detail-types function `name`'s rules route to it, in declaration order. */
export function routedDetailTypes<N extends FunctionName>(name: N): readonly RoutedDetailTypeOf<N>[] {
  return routingOf(name).detailTypes as RoutedDetailTypeOf<N>[];
}

/** The schedule ids of function `name`. */
export function scheduleIds<N extends FunctionName>(name: N): readonly ScheduleIdOf<N>[] {
  return routingOf(name).scheduleIds as ScheduleIdOf<N>[];
}

/** EventBridge's scheduled events come from `aws.events`; the rule's name ends with the schedule id (`scheduleOfRule`). */
export const isScheduledEvent = (event: { readonly source?: unknown; readonly 'detail-type'?: unknown }) => event.source === 'aws.events' && event['detail-type'] === 'Scheduled Event';

/**
 * Which of `ids` a scheduled event's rule ARN names: the rule's name ends with its schedule id
 * (longest first: a schedule id may end with another one). Undefined when none.
 */
export function scheduleOfRule(ruleArn: string, ids: readonly string[]): string | undefined {
  return [...ids].sort((a, b) => b.length - a.length).find((id) => ruleArn.endsWith(id));
}

/** Whether function `name` has rules on the default bus (AWS services' own events). */
export function takesAwsEvents(name: FunctionName): boolean {
  return routingOf(name).takesAwsEvents;
}

/** Whether function `name` takes its rules' events in SQS batches. */
export function isBatched(name: FunctionName): boolean {
  return routingOf(name).batched;
}
