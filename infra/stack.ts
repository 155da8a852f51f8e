/**
 * The AWS stack, built from the routing table (infra/routes.ts), the state-table definition
 * (infra/state-table.ts) and the governance policy, so nothing here repeats a pattern, a
 * schedule, a key name or a retention figure. Environment-agnostic: no lookups, synthesises
 * offline.
 *
 *   ERP systems ─PutEvents─▶ custom bus (archived for replay)
 *                              └─ one rule per route ─▶ function   (DLQ + retry policy per target)
 *   default bus ─ one scheduled rule per schedule ───▶ function   (DLQ + retry policy per target)
 *   function ─▶ state table (KMS, PITR, TTL) · archive bucket (Object Lock) · bus (if it publishes,
 *              with its own source erpgov.<function> only)
 *   state table ─stream (keys only), filtered─▶ function with a stream trigger   (retries, then DLQ)
 *   ERP system ─assumes─▶ its publisher role (-c erpSystems=sap,odoo): PutEvents with erp.<system> only
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CfnOutput, Duration, RemovalPolicy, SecretValue, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { ARCHIVE_PREFIX, AUDIT_RECORDS_PREFIX } from '../schemas/archive-layout.ts';
import { PolicyError, readPolicyDocument, type Policy } from '../schemas/policy-loader.ts';
import { parseWholePolicy } from '../schemas/policy-checks.ts';
import { ArchiveBucket } from './constructs/archive-bucket.ts';
import { AuditGlueTable } from './constructs/audit-glue-table.ts';
import { ExportGlueTables } from './constructs/export-glue-tables.ts';
import { BatchQueue } from './constructs/batch-queue.ts';
import { DeadLetterQueue } from './constructs/dead-letter-queue.ts';
import { ERP_SYSTEM_NAME, ErpPublisher } from './constructs/erp-publisher.ts';
import { GovernanceFunction } from './constructs/governance-function.ts';
import { StateStreamTrigger } from './constructs/state-stream-trigger.ts';
import { EVENT_BUS_NAME, routingTable as defaultRoutingTable, type RoutedFunction } from './routes.ts';
import { stateTable as defaultStateTable, type StateTableDefinition } from './state-table.ts';

export const STACK_ID = 'ErpGovernance';
/** Context key naming a policy file (relative to the repository root) to bake into the functions. */
export const POLICY_FILE_CONTEXT = 'policyFile';
/**
 * Context key: the ARN of the SES identity (domain or address) the notifier sends as, e.g.
 * `arn:aws:ses:eu-west-1:123456789012:identity/example.com`. Without it, every identity of
 * the account and region (acknowledged in code).
 */
export const MAIL_IDENTITY_CONTEXT = 'mailIdentityArn';
/**
 * Context key: the ERP systems that publish, e.g. `-c erpSystems=sap,odoo`. Each gets a role
 * that may put events on the bus with the source `erp.<system>` and no other (stack output
 * `ErpPublisherRoleArn<System>`).
 */
export const ERP_SYSTEMS_CONTEXT = 'erpSystems';
/** Name of the notifier's secret: Slack webhook URL and mail settings, as JSON. */
export const NOTIFICATION_SECRET_NAME = 'erpgov/notifications';
/** The repository root: routing-table entries and the policy file are relative to it. */
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Events stay replayable from the bus archive for a year (longer than the audit retention minimum). */
const EVENT_ARCHIVE_RETENTION_DAYS = 365;
/**
 * EventBridge retries a failed delivery (throttled or unavailable function) with backoff,
 * up to this many times or this age, then moves the event to the target's dead-letter queue.
 */
const TARGET_RETRY_ATTEMPTS = 8;
const TARGET_MAX_EVENT_AGE = Duration.hours(2);

export interface GovernanceStackProps extends StackProps {
  /** Default: the product's routing table. Tests pass their own. */
  readonly routingTable?: readonly RoutedFunction[];
  /** Default: the product's state-table definition. */
  readonly stateTable?: StateTableDefinition;
  /**
   * The governance policy document (partial JSON, merged over the defaults). Default: the
   * file named by the `policyFile` context value, else `{}` (the shipped defaults).
   */
  readonly policy?: unknown;
  /** Default: this repository. */
  readonly repoRoot?: string;
  /** Retention of each function's log group. Default: three months. */
  readonly logRetention?: logs.RetentionDays;
  /** ERP systems that get a publisher role (`erp.<system>` only). Default: the `erpSystems` context value, else none. */
  readonly erpSystems?: readonly string[];
}

export class GovernanceStack extends Stack {
  readonly bus: events.EventBus;
  readonly table: dynamodb.Table;
  readonly archive: ArchiveBucket;
  readonly alarmTopic: sns.Topic;
  /** Slack webhook URL and mail settings (JSON), read by the functions with `readsSecrets`. */
  readonly notificationSecret: secretsmanager.Secret;
  readonly functions: ReadonlyMap<string, GovernanceFunction>;
  /** Every dead-letter queue in the stack: `route-<rule id>`, `schedule-<schedule id>`, `failed-invocations-<function>`, `batches-<function>`, `state-stream-<function>`. */
  readonly deadLetterQueues: ReadonlyMap<string, DeadLetterQueue>;
  /** One publisher role per ERP system named in the `erpSystems` context value (or props). */
  readonly erpPublishers: ReadonlyMap<string, ErpPublisher>;

  constructor(scope: Construct, id: string, props: GovernanceStackProps = {}) {
    super(scope, id, {
      description: 'ERP governance pipeline: ERP events on EventBridge, one Lambda per governance area, DynamoDB state, S3 audit archive',
      ...props,
    });
    const repoRoot = props.repoRoot ?? REPO_ROOT;
    const routes = props.routingTable ?? defaultRoutingTable;
    const policy = this.governancePolicy(repoRoot, props.policy);

    const key = new kms.Key(this, 'Key', {
      description: 'ERP governance pipeline: state table, audit archive and alarm topic',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.alarmTopic = new sns.Topic(this, 'AlarmTopic', { displayName: 'ERP governance pipeline alarms', masterKey: key, enforceSSL: true });
    // CloudWatch alarms publish to the encrypted topic only if CloudWatch may use the key.
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublishToEncryptedTopic',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );
    const alarmAction = new cloudwatchActions.SnsAction(this.alarmTopic);

    this.bus = new events.EventBus(this, 'EventBus', { eventBusName: EVENT_BUS_NAME, description: 'ERP systems put their events here' });
    // No event pattern: the archive keeps every event of the bus, for replay after a fix.
    new events.CfnArchive(this, 'EventArchive', {
      sourceArn: this.bus.eventBusArn,
      description: `Every event on ${EVENT_BUS_NAME}, replayable`,
      retentionDays: EVENT_ARCHIVE_RETENTION_DAYS,
    });

    // A stream only when a function has a stream trigger: keys only, which is all the triggers filter on.
    this.table = this.stateTable(props.stateTable ?? defaultStateTable, key, routes.some((d) => d.stateStreamTrigger));

    this.archive = new ArchiveBucket(this, 'Archive', {
      encryptionKey: key,
      lockDays: policy.audit.retention.days,
      moveToColdAfterDays: policy.audit.archive.moveToColdAfterDays,
      expireAfterDays: policy.audit.archive.coldRetentionDays,
      auditPrefix: ARCHIVE_PREFIX,
    });

    // Auditors query the archive with Athena (guide 6.4), with the CLI's search filters.
    const auditTable = new AuditGlueTable(this, 'AuditArchiveTable', {
      bucket: this.archive.bucket,
      recordsPrefix: AUDIT_RECORDS_PREFIX,
      retentionDays: policy.audit.archive.coldRetentionDays,
    });
    // The exported findings and reports, queried with the same named auditor queries as locally.
    new ExportGlueTables(this, 'ExportTables', { bucket: this.archive.bucket, databaseName: auditTable.databaseName, database: auditTable.node.findChild('Database') });

    this.notificationSecret = this.notificationSettingsSecret();
    const mail = this.mailIdentities();

    // Evidence manifests are signed with an Ed25519 key that never leaves KMS (guide 6.1 evidence; verified offline).
    const evidenceSigningKey = routes.some((d) => d.signsEvidence)
      ? new kms.Key(this, 'EvidenceSigningKey', {
          description: 'ERP governance pipeline: Ed25519 key that signs the monthly evidence packs (kms:Sign by evidence-delivery only)',
          keySpec: kms.KeySpec.ECC_NIST_EDWARDS25519,
          keyUsage: kms.KeyUsage.SIGN_VERIFY,
          removalPolicy: RemovalPolicy.RETAIN,
        })
      : undefined;
    if (evidenceSigningKey) {
      Validations.of(evidenceSigningKey).acknowledge({ id: 'AwsSolutions-KMS5', reason: 'Asymmetric signing key (ECC_NIST_EDWARDS25519): KMS cannot rotate asymmetric keys, and packs already delivered name the public key they were signed with.' });
      new CfnOutput(this, 'EvidenceSigningKeyArn', { value: evidenceSigningKey.keyArn, description: 'KMS key that signs the evidence packs; `aws kms get-public-key` gives the key `erpgov evidence verify` finds in each manifest' });
    }

    const functions = new Map<string, GovernanceFunction>();
    const deadLetterQueues = new Map<string, DeadLetterQueue>();
    for (const definition of routes) {
      const fn = new GovernanceFunction(this, pascal(definition.name), {
        definition,
        repoRoot,
        policy,
        logRetention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
        alarmAction,
      });
      fn.bindStateTable(this.table, definition.stateAccess);
      fn.bindEventBus(this.bus, definition.publishesEvents);
      fn.bindArchive(this.archive.bucket, key, definition.archiveAccess, definition.archivePrefixes);
      fn.bindEvidenceSigningKey(evidenceSigningKey, definition.signsEvidence ?? false);
      fn.bindNotificationSecret(this.notificationSecret, definition.readsSecrets);
      fn.bindEmail(mail.identityArns, definition.sendsEmail, mail.wildcardReason);
      functions.set(definition.name, fn);
      deadLetterQueues.set(`failed-invocations-${definition.name}`, fn.failedInvocations);
      // Where volume is, the rules feed a queue that hands the function batches (see BatchQueue).
      const batched = definition.batch
        ? new BatchQueue(fn, 'Batches', { functionName: definition.name, fn: fn.function, batch: definition.batch, timeoutSeconds: definition.timeoutSeconds, alarmAction })
        : undefined;
      if (batched) {
        new CfnOutput(this, `BatchQueueUrl${pascal(definition.name)}`, { value: batched.queue.queueUrl, description: `Events waiting for ${definition.name}'s batches` });
        Validations.of(batched.deadLetters.queue).acknowledge({ id: 'AwsSolutions-SQS3', reason: "This queue is itself the dead-letter queue of the function's batch queue (its redrive target). Its alarm fires on the first message." });
        deadLetterQueues.set(`batches-${definition.name}`, batched.deadLetters);
      }
      // Writes to the state table that should start a schedule's flow at once (see StateStreamTrigger).
      if (definition.stateStreamTrigger) {
        const trigger = new StateStreamTrigger(fn, 'StateStream', { functionName: definition.name, fn: fn.function, table: this.table, trigger: definition.stateStreamTrigger, alarmAction });
        deadLetterQueues.set(`state-stream-${definition.name}`, trigger.deadLetters);
      }

      for (const rule of definition.rules) {
        const route = new Construct(this, `Route${pascal(rule.id)}`);
        // AWS services put their own events on the account's default bus, never on ours.
        const eventBus = rule.eventBus === 'default' ? this.defaultBus() : this.bus;
        const deadLetters = new DeadLetterQueue(route, 'DeadLetters', {
          purpose: `events rule "${rule.id}" could not deliver to ${definition.name}`,
          alarmAction,
        });
        // The table's pattern, passed through untouched: it already uses EventBridge's raw
        // keys (`detail-type`) and operators; the L2 needs it only to validate the rule.
        const pattern = rule.compiled.pattern;
        const eventRule = new events.Rule(route, 'Rule', {
          eventBus,
          description: rule.description,
          eventPattern: pattern as events.EventPattern,
          targets: [batched ? this.queueTarget(batched, deadLetters) : this.target(fn, deadLetters)],
        });
        (eventRule.node.defaultChild as events.CfnRule).eventPattern = pattern;
        deadLetterQueues.set(`route-${rule.id}`, deadLetters);
      }

      for (const schedule of definition.schedules) {
        const route = new Construct(this, `Schedule${pascal(schedule.id)}`);
        const deadLetters = new DeadLetterQueue(route, 'DeadLetters', {
          purpose: `schedule "${schedule.id}" could not invoke ${definition.name}`,
          alarmAction,
        });
        // Scheduled rules live on the default bus (AWS allows schedules nowhere else). The
        // input is EventBridge's own "Scheduled Event", the shape the local scheduler sends;
        // its `resources[0]` is the rule's ARN, so the rule is named to end with the schedule
        // id, which is how a function with several schedules tells them apart.
        new events.Rule(route, 'Rule', {
          ruleName: scheduledRuleName(this.stackName, schedule.id),
          schedule: events.Schedule.expression(schedule.expression),
          description: schedule.description,
          targets: [this.target(fn, deadLetters)],
        });
        deadLetterQueues.set(`schedule-${schedule.id}`, deadLetters);
      }
    }
    this.functions = functions;
    this.deadLetterQueues = deadLetterQueues;

    // Each ERP system puts events as itself only (events:source = erp.<system>).
    const erpPublishers = new Map<string, ErpPublisher>();
    for (const system of this.erpSystems(props.erpSystems)) {
      const publisher = new ErpPublisher(this, `ErpPublisher${pascal(system)}`, { system, bus: this.bus });
      erpPublishers.set(system, publisher);
      new CfnOutput(this, `ErpPublisherRoleArn${pascal(system)}`, { value: publisher.role.roleArn, description: `Role ERP system "${system}" assumes to put events with source ${publisher.source} (and only that)` });
    }
    this.erpPublishers = erpPublishers;

    new CfnOutput(this, 'EventBusName', { value: this.bus.eventBusName, description: 'Bus ERP systems put events on' });
    new CfnOutput(this, 'EventBusArn', { value: this.bus.eventBusArn });
    new CfnOutput(this, 'StateTableName', { value: this.table.tableName });
    new CfnOutput(this, 'ArchiveBucketName', { value: this.archive.bucket.bucketName, description: 'Audit archive and exported reports (Object Lock)' });
    new CfnOutput(this, 'AuditAthenaTable', { value: `${auditTable.databaseName}.${auditTable.tableName}`, description: 'Glue table over the audit archive; `erpgov audit search --athena` prints queries for it' });
    new CfnOutput(this, 'NotificationSecretArn', { value: this.notificationSecret.secretArn, description: 'Put {"slackWebhookUrl","mailFrom"} here (aws secretsmanager put-secret-value)' });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarmTopic.topicArn, description: 'Subscribe the on-call channel here' });
    for (const [name, deadLetters] of deadLetterQueues) {
      new CfnOutput(this, `DeadLetterQueueUrl${pascal(name)}`, { value: deadLetters.queue.queueUrl, description: `Dead letters of ${name}` });
    }
  }

  #defaultBus: events.IEventBus | undefined;
  /** The account's default bus, referenced once: AWS service events arrive there. */
  private defaultBus(): events.IEventBus {
    this.#defaultBus ??= events.EventBus.fromEventBusName(this, 'DefaultBus', 'default');
    return this.#defaultBus;
  }

  /** The ERP systems to create publisher roles for: props, else `-c erpSystems=sap,odoo` (a list or comma-separated text). */
  private erpSystems(given: readonly string[] | undefined): string[] {
    const raw: unknown = given ?? this.node.tryGetContext(ERP_SYSTEMS_CONTEXT);
    if (raw === undefined || raw === '') return [];
    const names = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',') : undefined;
    if (names === undefined || names.some((n) => typeof n !== 'string')) {
      throw new Error(`context ${ERP_SYSTEMS_CONTEXT}: ${JSON.stringify(raw)} is not a list of ERP system names; e.g. -c ${ERP_SYSTEMS_CONTEXT}=sap,odoo`);
    }
    const systems = (names as string[]).map((n) => n.trim()).filter((n) => n !== '');
    for (const system of systems) {
      if (!ERP_SYSTEM_NAME.test(system)) throw new Error(`context ${ERP_SYSTEMS_CONTEXT}: "${system}" is not an ERP system name; allowed: lower-case letters, digits and dashes (it becomes the source erp.${system})`);
    }
    const repeated = systems.find((s, i) => systems.indexOf(s) !== i);
    if (repeated !== undefined) throw new Error(`context ${ERP_SYSTEMS_CONTEXT}: "${repeated}" is named twice`);
    return systems;
  }

  /** A rule feeding a batched function: its queue, with the same retry policy and dead letters as a Lambda target. */
  private queueTarget(batched: BatchQueue, deadLetters: DeadLetterQueue): targets.SqsQueue {
    this.acknowledgeTargetDeadLetters(deadLetters);
    return new targets.SqsQueue(batched.queue, { deadLetterQueue: deadLetters.queue, retryAttempts: TARGET_RETRY_ATTEMPTS, maxEventAge: TARGET_MAX_EVENT_AGE });
  }

  private acknowledgeTargetDeadLetters(deadLetters: DeadLetterQueue): void {
    Validations.of(deadLetters.queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself a dead-letter queue: the DeadLetterConfig of an EventBridge rule target, which SQS3 does not recognise (it sees only SQS redrive policies and Lambda DLQs). Its alarm fires on the first message.',
    });
  }

  private target(fn: GovernanceFunction, deadLetters: DeadLetterQueue): targets.LambdaFunction {
    this.acknowledgeTargetDeadLetters(deadLetters);
    return new targets.LambdaFunction(fn.function, {
      deadLetterQueue: deadLetters.queue,
      retryAttempts: TARGET_RETRY_ATTEMPTS,
      maxEventAge: TARGET_MAX_EVENT_AGE,
    });
  }

  /**
   * The notifier's secret. Created with empty settings (no secret in the template): an admin
   * puts the real webhook URL and sender with `aws secretsmanager put-secret-value`; until
   * then the notifier logs to its log group only.
   */
  private notificationSettingsSecret(): secretsmanager.Secret {
    const secret = new secretsmanager.Secret(this, 'NotificationSecret', {
      secretName: NOTIFICATION_SECRET_NAME,
      description: 'ERP governance notifier: {"slackWebhookUrl": "https://hooks.slack.com/services/...", "mailFrom": "erpgov@example.com"}',
      secretStringValue: SecretValue.unsafePlainText(JSON.stringify({ slackWebhookUrl: '', mailFrom: '' })),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason: 'A Slack incoming-webhook URL cannot be rotated by a Lambda: Slack issues it in its own admin console, so rotation is a manual re-issue (put-secret-value). Mail goes through SES with the function role, so no mail password is stored on AWS.',
    });
    return secret;
  }

  /** The SES identities the notifier may send as: the `mailIdentityArn` context value, else every identity of the account and region. */
  private mailIdentities(): { identityArns: string[]; wildcardReason?: { finding: string; reason: string } } {
    const given: unknown = this.node.tryGetContext(MAIL_IDENTITY_CONTEXT);
    if (typeof given === 'string' && given !== '') {
      if (!/^arn:aws[a-z-]*:ses:[a-z0-9-]+:\d{12}:identity\/.+$/.test(given)) {
        throw new Error(`context ${MAIL_IDENTITY_CONTEXT}: "${given}" is not an SES identity ARN; expected arn:aws:ses:<region>:<account>:identity/<domain or address>`);
      }
      return { identityArns: [given] };
    }
    return {
      identityArns: [this.formatArn({ service: 'ses', resource: 'identity', resourceName: '*' })],
      wildcardReason: {
        finding: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ses:<AWS::Region>:<AWS::AccountId>:identity/*]',
        reason: `SES identities (the verified sender domain or address) are created outside this stack, so without -c ${MAIL_IDENTITY_CONTEXT}=<identity ARN> the notifier may send as any verified identity of this account and region; SES still refuses unverified ones. Pass the context value to narrow it to one identity.`,
      },
    };
  }

  private stateTable(definition: StateTableDefinition, key: kms.IKey, withStream: boolean): dynamodb.Table {
    const attribute = (name: string): dynamodb.Attribute => ({ name, type: dynamodb.AttributeType.STRING });
    const table = new dynamodb.Table(this, 'StateTable', {
      partitionKey: attribute(definition.partitionKey),
      sortKey: attribute(definition.sortKey),
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: key,
      timeToLiveAttribute: definition.ttlAttribute,
      ...(withStream ? { stream: dynamodb.StreamViewType.KEYS_ONLY } : {}),
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const index of definition.globalSecondaryIndexes) {
      table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: attribute(index.partitionKey),
        sortKey: attribute(index.sortKey),
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }
    return table;
  }

  /**
   * The policy to bake in (defaults applied), validated now so that a bad policy fails synth with the
   * key path and what is allowed, rather than every function at its first cold start.
   */
  private governancePolicy(repoRoot: string, given: unknown): Policy {
    if (given !== undefined) return parseWholePolicy(given, 'GovernanceStack props.policy');
    const file: unknown = this.node.tryGetContext(POLICY_FILE_CONTEXT);
    if (file === undefined || file === '') return parseWholePolicy({}, 'shipped defaults');
    if (typeof file !== 'string') {
      throw new PolicyError([{ path: `context ${POLICY_FILE_CONTEXT}`, value: file, message: 'must be a path relative to the repository root' }]);
    }
    const document = readPolicyDocument(resolve(repoRoot, file), file, `-c ${POLICY_FILE_CONTEXT}=<path> is relative to the repository root`);
    return parseWholePolicy(document, file);
  }
}

/** EventBridge's limit on a rule name. */
const MAX_RULE_NAME_LENGTH = 64;

/**
 * `<stack name>-<schedule id>`: unique per account and region (the default bus is shared by
 * every stack there), and ending with the schedule id. The stack name is shortened if needed,
 * never the id.
 */
export function scheduledRuleName(stackName: string, scheduleId: string): string {
  const room = MAX_RULE_NAME_LENGTH - scheduleId.length - 1;
  if (room < 1) {
    throw new Error(`schedule id "${scheduleId}" is ${scheduleId.length} characters; EventBridge rule names allow ${MAX_RULE_NAME_LENGTH}, so a schedule id may have at most ${MAX_RULE_NAME_LENGTH - 2}`);
  }
  return `${stackName.slice(0, room)}-${scheduleId}`;
}

/** `audit-every-event` → `AuditEveryEvent`: construct ids and output names. */
function pascal(kebab: string): string {
  return kebab
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}
