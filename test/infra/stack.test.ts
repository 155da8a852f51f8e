/**
 * Assertions on the synthesised CloudFormation template. Asset bundling is skipped
 * (`aws:cdk:bundling-stacks: []`), so no esbuild runs here; `npm run synth` bundles for real.
 * Every app gets the feature flags from cdk.json, as `cdk synth` would.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { PolicyError } from '../../schemas/policy-loader.ts';
import { addGovernanceChecks } from '../../infra/constructs/nag.ts';
import { buildRoutingTable, EVENT_BUS_NAME, RoutingTableError, routingTable, type FunctionDefinition, type RoutedFunction } from '../../infra/routes.ts';
import { keyDefinitions, SEAL_INTENT_KEY_PREFIXES, stateTable } from '../../infra/state-table.ts';
import { FINDINGS_TABLE, REPORT_TABLES } from '../../schemas/export-tables.ts';
import { GovernanceStack, REPO_ROOT, scheduledRuleName, STACK_ID, type GovernanceStackProps } from '../../infra/stack.ts';

const cdkJsonContext = (JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }).context;

type Resources = Record<string, { Type: string; Properties?: Record<string, any>; Metadata?: Record<string, any> }>;

function synthesize(props: GovernanceStackProps = {}, options: { checks?: boolean } = {}) {
  const app = new App({ context: { ...cdkJsonContext, 'aws:cdk:bundling-stacks': [] } });
  if (options.checks ?? true) addGovernanceChecks(app);
  const stack = new GovernanceStack(app, STACK_ID, props);
  return { app, stack };
}

function resourcesOf(template: Template, type: string): Resources {
  return template.findResources(type) as Resources;
}

function logicalIdOfBus(template: Template): string {
  const [id] = Object.keys(resourcesOf(template, 'AWS::Events::EventBus'));
  if (id === undefined) throw new Error('no event bus');
  return id;
}

/** Rules on the custom bus, and scheduled rules (on the default bus). */
function rules(template: Template) {
  const all = Object.values(resourcesOf(template, 'AWS::Events::Rule'));
  const busId = logicalIdOfBus(template);
  return {
    all,
    onBus: all.filter((r) => r.Properties?.EventBusName?.Ref === busId),
    onDefaultBus: all.filter((r) => r.Properties?.EventBusName === 'default'),
    scheduled: all.filter((r) => r.Properties?.ScheduleExpression !== undefined),
  };
}

function statements(template: Template): Array<{ Effect: string; Action: string | string[]; Resource: unknown; policy: string }> {
  return Object.entries(resourcesOf(template, 'AWS::IAM::Policy')).flatMap(([policy, r]) =>
    (r.Properties?.PolicyDocument.Statement as any[]).map((s) => ({ ...s, policy })),
  );
}

/** A probe function that only reads state: no schedules, nothing published, archived, read or sent. */
const quietProbe = {
  entry: 'test/fixtures/probe-handler.ts',
  schedules: [],
  stateAccess: 'read',
  publishesEvents: false,
  archiveAccess: 'none',
  readsSecrets: false,
  sendsEmail: false,
  timeoutSeconds: 10,
  memoryMb: 128,
} as const satisfies Partial<FunctionDefinition>;

const asArray = <T,>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** The policy statements attached to the role of the function with this routing-table name. */
function statementsOfFunction(template: Template, name: string) {
  const fn = Object.values(resourcesOf(template, 'AWS::Lambda::Function')).find((f) => f.Properties?.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === name);
  const roleId = fn?.Properties?.Role?.['Fn::GetAtt']?.[0] as string | undefined;
  if (roleId === undefined) throw new Error(`no function ${name}`);
  const policyIds = Object.entries(resourcesOf(template, 'AWS::IAM::Policy'))
    .filter(([, p]) => (p.Properties?.Roles as any[]).some((r) => r.Ref === roleId))
    .map(([id]) => id);
  return statements(template).filter((s) => policyIds.includes(s.policy));
}

describe('the stack built from the product routing table', () => {
  let template: Template;
  beforeAll(() => {
    template = Template.fromStack(synthesize().stack);
  });

  it('has one rule per routing-table rule on the bus it names, with the pattern exactly as in the table', () => {
    for (const [bus, onBus] of [['pipeline', rules(template).onBus], ['default', rules(template).onDefaultBus]] as const) {
      const expected = routingTable.flatMap((fn) => fn.rules.filter((rule) => (rule.eventBus ?? 'pipeline') === bus).map((rule) => rule.eventPattern));
      const actual = onBus.map((r) => r.Properties?.EventPattern);
      expect(actual, bus).toHaveLength(expected.length);
      expect(sortByJson(actual), bus).toEqual(sortByJson(expected));
    }
    // AWS services' own events are only ever read from the default bus.
    expect(rules(template).onDefaultBus.length).toBeGreaterThan(0);
  });

  it('has one scheduled rule per schedule, with the expression exactly as in the table', () => {
    const expected = routingTable.flatMap((fn) => fn.schedules.map((s) => s.expression)).sort();
    const scheduled = rules(template).scheduled;
    expect(scheduled.map((r) => r.Properties?.ScheduleExpression).sort()).toEqual(expected);
    // Scheduled rules live on the default bus.
    for (const rule of scheduled) expect(rule.Properties?.EventBusName).toBeUndefined();
    // A scheduled event's resources[0] is the rule ARN: functions with several schedules tell
    // them apart by the rule name ending with the schedule id, as the local scheduler's do.
    for (const fn of routingTable) {
      for (const schedule of fn.schedules) {
        const rule = scheduled.find((r) => r.Properties?.ScheduleExpression === schedule.expression && String(r.Properties?.Name).endsWith(`-${schedule.id}`));
        expect(rule?.Properties?.Name, schedule.id).toBe(`${STACK_ID}-${schedule.id}`);
      }
    }
    expect(rules(template).all).toHaveLength(routingTable.reduce((n, fn) => n + fn.rules.length + fn.schedules.length, 0));
  });

  it('feeds each batched function from an SQS queue: the rules target the queue, an event source mapping with the declared batch and partial batch failures, a DLQ and alarms', () => {
    const batchedFns = routingTable.filter((fn) => fn.batch);
    expect(batchedFns.map((fn) => fn.name).sort()).toEqual(['access-governance', 'audit-analysis', 'log-archiving', 'threshold-alerts']);
    const functions = resourcesOf(template, 'AWS::Lambda::Function');
    const queues = resourcesOf(template, 'AWS::SQS::Queue');
    // The mappings from queues (a stream trigger's reads the table's stream).
    const mappings = Object.values(resourcesOf(template, 'AWS::Lambda::EventSourceMapping')).filter((m) => queues[m.Properties?.EventSourceArn?.['Fn::GetAtt']?.[0]] !== undefined);
    expect(mappings).toHaveLength(batchedFns.length);
    const alarms = Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm'));
    for (const definition of batchedFns) {
      const [fnId] = Object.entries(functions).find(([, f]) => f.Properties?.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === definition.name) as [string, unknown];
      const mapping = mappings.find((m) => m.Properties?.FunctionName?.Ref === fnId);
      expect(mapping?.Properties, definition.name).toMatchObject({ BatchSize: definition.batch?.size, MaximumBatchingWindowInSeconds: definition.batch?.maxWaitSeconds, FunctionResponseTypes: ['ReportBatchItemFailures'] });
      const queueId = mapping?.Properties?.EventSourceArn?.['Fn::GetAtt']?.[0] as string;
      const queue = queues[queueId]?.Properties;
      expect(queue?.RedrivePolicy).toMatchObject({ maxReceiveCount: 5, deadLetterTargetArn: { 'Fn::GetAtt': [expect.any(String), 'Arn'] } });
      expect(queue?.VisibilityTimeout).toBeGreaterThanOrEqual(6 * definition.timeoutSeconds);
      const dlqId = queue?.RedrivePolicy.deadLetterTargetArn['Fn::GetAtt'][0];
      expect(alarms.some((a) => a.Properties?.MetricName === 'ApproximateNumberOfMessagesVisible' && a.Properties?.Dimensions?.[0]?.Value?.['Fn::GetAtt']?.[0] === dlqId), `${definition.name} DLQ alarm`).toBe(true);
      expect(alarms.some((a) => a.Properties?.MetricName === 'ApproximateAgeOfOldestMessage' && a.Properties?.Dimensions?.[0]?.Value?.['Fn::GetAtt']?.[0] === queueId), `${definition.name} backlog alarm`).toBe(true);
      // Every rule of the function targets the queue (with its own DLQ and retry policy), none the function.
      for (const rule of definition.rules) {
        const cfn = rules(template).all.find((r) => r.Properties?.Description === rule.description);
        expect(cfn?.Properties?.Targets?.[0]?.Arn, rule.id).toEqual({ 'Fn::GetAtt': [queueId, 'Arn'] });
      }
      // Schedules still invoke the function directly.
      for (const schedule of definition.schedules) {
        const cfn = rules(template).all.find((r) => r.Properties?.ScheduleExpression === schedule.expression && String(r.Properties?.Name).endsWith(schedule.id));
        expect(cfn?.Properties?.Targets?.[0]?.Arn, schedule.id).toEqual({ 'Fn::GetAtt': [fnId, 'Arn'] });
      }
    }
  });

  it('seals the trail seconds after a batch is accepted: a keys-only stream on the state table, a mapping filtered to seal-intent keys, bounded retries, a DLQ with an alarm', () => {
    const triggered = routingTable.filter((fn) => fn.stateStreamTrigger);
    expect(triggered.map((fn) => [fn.name, fn.stateStreamTrigger?.runs])).toEqual([['log-archiving', 'audit-seal-pending']]);
    const [tableId, table] = Object.entries(resourcesOf(template, 'AWS::DynamoDB::Table'))[0] ?? [];
    expect(table?.Properties?.StreamSpecification).toEqual({ StreamViewType: 'KEYS_ONLY' });
    const functions = resourcesOf(template, 'AWS::Lambda::Function');
    const [fnId] = Object.entries(functions).find(([, f]) => f.Properties?.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === 'log-archiving') ?? [];
    const fromStream = Object.values(resourcesOf(template, 'AWS::Lambda::EventSourceMapping')).filter((m) => m.Properties?.EventSourceArn?.['Fn::GetAtt']?.[0] === tableId);
    expect(fromStream).toHaveLength(1);
    const mapping = fromStream[0]?.Properties;
    expect(mapping).toMatchObject({ FunctionName: { Ref: fnId }, EventSourceArn: { 'Fn::GetAtt': [tableId, 'StreamArn'] }, StartingPosition: 'LATEST', BatchSize: 100, MaximumBatchingWindowInSeconds: 5, MaximumRetryAttempts: 2, BisectBatchOnFunctionError: false });
    // Only writes to seal intents (SEALS#<day> / BATCH#<id>): not the pass's lock (SEALS#PASS / LOCK). On the `dynamodb` key only, as AWS filters DynamoDB mappings.
    expect(mapping?.FilterCriteria?.Filters?.map((f: { Pattern: string }) => JSON.parse(f.Pattern))).toEqual([
      { dynamodb: { Keys: { pk: { S: [{ prefix: SEAL_INTENT_KEY_PREFIXES.pk }] }, sk: { S: [{ prefix: SEAL_INTENT_KEY_PREFIXES.sk }] } } } },
    ]);
    expect(SEAL_INTENT_KEY_PREFIXES).toEqual({ pk: 'SEALS#', sk: 'BATCH#' });
    // Failed batches go to their own dead-letter queue, which alarms on the first message.
    const dlqId = mapping?.DestinationConfig?.OnFailure?.Destination?.['Fn::GetAtt']?.[0] as string;
    expect(resourcesOf(template, 'AWS::SQS::Queue')[dlqId]?.Properties).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 86_400 });
    const alarm = Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm')).find((a) => a.Properties?.MetricName === 'ApproximateNumberOfMessagesVisible' && a.Properties?.Dimensions?.[0]?.Value?.['Fn::GetAtt']?.[0] === dlqId);
    expect(alarm?.Properties).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', AlarmActions: [{ Ref: expect.stringMatching(/^AlarmTopic/) }] });
    // Least privilege: the function reads its table's stream and may send to its DLQ; ListStreams (no resource-level permissions) is the only addition on "*".
    const statements = statementsOfFunction(template, 'log-archiving');
    expect(statements.filter((s) => asArray(s.Action).includes('dynamodb:DescribeStream')).map((s) => s.Resource)).toEqual([{ 'Fn::GetAtt': [tableId, 'StreamArn'] }]);
    expect(statements.filter((s) => asArray(s.Action).includes('sqs:SendMessage')).map((s) => s.Resource)).toContainEqual({ 'Fn::GetAtt': [dlqId, 'Arn'] });
    // The schedule stays as the safety net.
    expect(rules(template).scheduled.some((r) => String(r.Properties?.Name).endsWith('-audit-seal-pending') && r.Properties?.Targets?.[0]?.Arn?.['Fn::GetAtt']?.[0] === fnId)).toBe(true);
  });

  it('gives every rule target a dead-letter queue and a retry policy', () => {
    for (const rule of rules(template).all) {
      const targets = rule.Properties?.Targets as any[];
      expect(targets).toHaveLength(1);
      for (const target of targets) {
        expect(target.DeadLetterConfig?.Arn?.['Fn::GetAtt']?.[1]).toBe('Arn');
        expect(target.RetryPolicy).toEqual({ MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 7200 });
      }
    }
  });

  it('has one Lambda per function: Node.js 24, arm64, active tracing, its log group, and the environment', () => {
    const functions = Object.values(resourcesOf(template, 'AWS::Lambda::Function'));
    expect(functions).toHaveLength(routingTable.length);
    const busId = logicalIdOfBus(template);
    const [tableId] = Object.keys(resourcesOf(template, 'AWS::DynamoDB::Table'));
    for (const definition of routingTable) {
      const fn = functions.find((f) => f.Properties?.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === definition.name);
      expect(fn, definition.name).toBeDefined();
      const props = fn?.Properties ?? {};
      expect(props.Runtime).toBe('nodejs24.x');
      expect(props.Architectures).toEqual(['arm64']);
      expect(props.Handler).toBe('index.handler');
      expect(props.TracingConfig).toEqual({ Mode: 'Active' });
      expect(props.MemorySize).toBe(definition.memoryMb);
      expect(props.Timeout).toBe(definition.timeoutSeconds);
      expect(props.LoggingConfig?.LogGroup?.Ref).toMatch(/LogGroup/);
      expect(props.DeadLetterConfig?.TargetArn).toBeDefined();
      const env = props.Environment.Variables;
      expect(env).toMatchObject({
        STATE_TABLE_NAME: { Ref: tableId },
        EVENT_BUS_NAME: { Ref: busId },
        POWERTOOLS_SERVICE_NAME: definition.name,
        POWERTOOLS_METRICS_NAMESPACE: 'ErpGovernance',
        NODE_OPTIONS: '--enable-source-maps',
      });
      expect('ARCHIVE_BUCKET_NAME' in env).toBe(definition.archiveAccess !== 'none');
    }
  });

  it('names the custom bus from the routing table and archives all of its events', () => {
    template.hasResourceProperties('AWS::Events::EventBus', { Name: EVENT_BUS_NAME });
    const archives = Object.values(resourcesOf(template, 'AWS::Events::Archive'));
    expect(archives).toHaveLength(1);
    expect(archives[0]?.Properties).toMatchObject({ SourceArn: { 'Fn::GetAtt': [logicalIdOfBus(template), 'Arn'] }, RetentionDays: 365 });
    expect(archives[0]?.Properties?.EventPattern).toBeUndefined();
  });

  it('builds the state table from its definition: on demand, PITR, customer-managed KMS key, TTL, indexes, retained', () => {
    const keys = keyDefinitions(stateTable);
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({
        BillingMode: 'PAY_PER_REQUEST',
        DeletionProtectionEnabled: true,
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] } },
        TimeToLiveSpecification: { AttributeName: stateTable.ttlAttribute, Enabled: true },
        KeySchema: keys.KeySchema,
        AttributeDefinitions: Match.arrayWith(keys.AttributeDefinitions),
        GlobalSecondaryIndexes: keys.GlobalSecondaryIndexes,
      }),
    });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  it('locks, versions, encrypts and ages the archive bucket, with access logs to a separate bucket', () => {
    template.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        ObjectLockEnabled: true,
        ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 183 } } },
        VersioningConfiguration: { Status: 'Enabled' },
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            Match.objectLike({ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] } } }),
          ],
        },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        LoggingConfiguration: { DestinationBucketName: { Ref: Match.stringLikeRegexp('AccessLogs') }, LogFilePrefix: 'archive/' },
        LifecycleConfiguration: {
          Rules: Match.arrayWith([
            Match.objectLike({ Prefix: 'audit/', Status: 'Enabled', Transitions: [{ StorageClass: 'GLACIER', TransitionInDays: 30 }], ExpirationInDays: 1095 }),
            Match.objectLike({ Status: 'Enabled', NoncurrentVersionExpiration: { NoncurrentDays: 90 } }),
          ]),
        },
      }),
    });
  });

  it('denies plain-HTTP access to every bucket, queue and topic', () => {
    const denyInsecure = Match.arrayWith([
      Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    ]);
    for (const [resourceType, policyType, reference] of [
      ['AWS::S3::Bucket', 'AWS::S3::BucketPolicy', (p: any) => p.Bucket.Ref],
      ['AWS::SQS::Queue', 'AWS::SQS::QueuePolicy', (p: any) => p.Queues[0].Ref],
      ['AWS::SNS::Topic', 'AWS::SNS::TopicPolicy', (p: any) => p.Topics[0].Ref],
    ] as const) {
      const protectedIds = Object.values(resourcesOf(template, policyType))
        .filter((p) => denyInsecure.test(p.Properties?.PolicyDocument.Statement).isSuccess)
        .map((p) => reference(p.Properties));
      expect(new Set(protectedIds), resourceType).toEqual(new Set(Object.keys(resourcesOf(template, resourceType))));
    }
  });

  it('encrypts every queue and the alarm topic, keeps dead letters 14 days, and alarms on each dead-letter queue', () => {
    const allQueues = resourcesOf(template, 'AWS::SQS::Queue');
    const batched = routingTable.filter((fn) => fn.batch).length;
    const streamTriggered = routingTable.filter((fn) => fn.stateStreamTrigger).length;
    // A queue per rule target plus one per function for failed asynchronous invocations; a batched function adds its queue and that queue's dead letters, a stream trigger its dead letters.
    expect(Object.keys(allQueues)).toHaveLength(rules(template).all.length + routingTable.length + 2 * batched + streamTriggered);
    // The batch queues are the ones with a redrive policy; every other queue is a dead-letter queue.
    const queues = Object.fromEntries(Object.entries(allQueues).filter(([, q]) => q.Properties?.RedrivePolicy === undefined));
    expect(Object.keys(queues)).toHaveLength(rules(template).all.length + routingTable.length + batched + streamTriggered);
    const alarms = Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm'));
    for (const [id, queue] of Object.entries(queues)) {
      expect(queue.Properties).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 86_400 });
      const alarm = alarms.find(
        (a) => a.Properties?.MetricName === 'ApproximateNumberOfMessagesVisible' && a.Properties?.Dimensions?.[0]?.Value?.['Fn::GetAtt']?.[0] === id,
      );
      expect(alarm?.Properties, id).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', AlarmActions: [{ Ref: expect.stringMatching(/^AlarmTopic/) }] });
    }
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] } });
  });

  it('alarms on errors and throttles of every function', () => {
    const alarms = Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm'));
    for (const metric of ['Errors', 'Throttles']) {
      expect(alarms.filter((a) => a.Properties?.MetricName === metric && a.Properties?.Namespace === 'AWS/Lambda')).toHaveLength(routingTable.length);
    }
  });

  it('grants least privilege: no wildcard actions, Resource "*" only for X-Ray (and ListStreams for a stream trigger), no managed policies, PutEvents only for publishers', () => {
    for (const s of statements(template)) {
      const actions = asArray(s.Action);
      expect(actions.filter((a) => a === '*' || a.endsWith(':*')), s.policy).toEqual([]);
      if (asArray(s.Resource).includes('*')) expect(actions.every((a) => a.startsWith('xray:') || a === 'dynamodb:ListStreams'), `${s.policy}: ${actions.join(', ')} on *`).toBe(true);
    }
    for (const role of Object.values(resourcesOf(template, 'AWS::IAM::Role'))) {
      expect(role.Properties?.ManagedPolicyArns).toBeUndefined();
    }
    for (const definition of routingTable) {
      const actions = statementsOfFunction(template, definition.name).flatMap((s) => asArray(s.Action));
      expect(actions.includes('events:PutEvents'), definition.name).toBe(definition.publishesEvents);
      expect(actions.includes('dynamodb:PutItem'), definition.name).toBe(definition.stateAccess === 'read-write');
      expect(actions.includes('s3:PutObject'), definition.name).toBe(definition.archiveAccess !== 'none');
      expect(actions.includes('s3:GetObject'), definition.name).toBe(definition.archiveAccess === 'read-write');
      expect(actions.includes('dynamodb:ListStreams'), definition.name).toBe(definition.stateStreamTrigger !== undefined);
    }
  });

  it('lets each publishing function put events with its own source erpgov.<function> only (IAM events:source)', () => {
    for (const definition of routingTable.filter((d) => d.publishesEvents)) {
      const puts = statementsOfFunction(template, definition.name).filter((s) => asArray(s.Action).includes('events:PutEvents'));
      expect(puts, definition.name).toHaveLength(1);
      const condition = (puts[0] as unknown as { Condition?: { StringEquals?: Record<string, unknown> } }).Condition;
      expect(asArray(condition?.StringEquals?.['events:source'] as string | string[]), definition.name).toEqual([`erpgov.${definition.name}`]);
    }
    // No statement anywhere lets anyone put events without naming the source.
    for (const s of statements(template).filter((st) => asArray(st.Action).includes('events:PutEvents'))) {
      expect((s as unknown as { Condition?: { StringEquals?: Record<string, unknown> } }).Condition?.StringEquals?.['events:source'], s.policy).toBeDefined();
    }
  });

  it('delivers the evidence monthly: its schedule, archive writes only below its prefixes, kms:Sign only on the Ed25519 evidence key', () => {
    const monthly = rules(template).scheduled.find((r) => r.Properties?.Name === `${STACK_ID}-evidence-monthly`);
    expect(monthly?.Properties?.ScheduleExpression).toBe('cron(0 6 1 * ? *)');
    const keys = Object.entries(resourcesOf(template, 'AWS::KMS::Key')).filter(([, k]) => k.Properties?.KeySpec === 'ECC_NIST_EDWARDS25519');
    expect(keys).toHaveLength(1);
    const [signingKeyId, signingKey] = keys[0] as [string, Resources[string]];
    expect(signingKey.Properties?.KeyUsage).toBe('SIGN_VERIFY');
    const own = statementsOfFunction(template, 'evidence-delivery');
    const resourcesFor = (action: string) => own.filter((s) => asArray(s.Action).includes(action)).flatMap((s) => asArray(s.Resource as unknown));
    const folders = (action: string) => resourcesFor(action).map((r) => JSON.stringify(r).match(/"(\/[^"]*)"\]/)?.[1]).sort();
    expect(folders('s3:PutObject')).toEqual(['/evidence/*', '/exports/*']);
    expect(folders('s3:GetObject')).toEqual(['/audit/anchors/*', '/audit/manifests/*', '/evidence/*', '/reports/*']);
    expect(resourcesFor('kms:Sign')).toEqual([{ 'Fn::GetAtt': [signingKeyId, 'Arn'] }]);
    expect(own.filter((s) => asArray(s.Action).includes('kms:Sign')).flatMap((s) => asArray(s.Action)).sort()).toEqual(['kms:GetPublicKey', 'kms:Sign']);
    // No other function may sign with it, or with anything.
    for (const definition of routingTable.filter((d) => d.name !== 'evidence-delivery')) {
      expect(statementsOfFunction(template, definition.name).flatMap((s) => asArray(s.Action)), definition.name).not.toContain('kms:Sign');
    }
    const fn = Object.values(resourcesOf(template, 'AWS::Lambda::Function')).find((f) => f.Properties?.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === 'evidence-delivery');
    expect(fn?.Properties?.Environment?.Variables?.EVIDENCE_SIGNING_KEY_ARN).toEqual({ 'Fn::GetAtt': [signingKeyId, 'Arn'] });
  });

  it('keeps the notification secret in Secrets Manager, readable by the functions that read secrets only', () => {
    const secrets = Object.entries(resourcesOf(template, 'AWS::SecretsManager::Secret'));
    expect(secrets).toHaveLength(1);
    const [secretId, secret] = secrets[0] as [string, Resources[string]];
    expect(secret.Properties?.Name).toBe('erpgov/notifications');
    // No secret in the template: the settings start empty.
    expect(JSON.parse(secret.Properties?.SecretString as string)).toEqual({ slackWebhookUrl: '', mailFrom: '' });
    const functions = Object.values(resourcesOf(template, 'AWS::Lambda::Function'));
    for (const definition of routingTable) {
      const env = functions.find((f) => f.Properties?.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === definition.name)?.Properties?.Environment.Variables;
      const reads = statementsOfFunction(template, definition.name).filter((s) => asArray(s.Action).includes('secretsmanager:GetSecretValue'));
      expect(reads.map((s) => s.Resource), definition.name).toEqual(definition.readsSecrets ? [{ Ref: secretId }] : []);
      expect(env?.NOTIFIER_SECRET_ARN, definition.name).toEqual(definition.readsSecrets ? { Ref: secretId } : undefined);
    }
    expect(routingTable.filter((d) => d.readsSecrets).map((d) => d.name)).toEqual(['notifier']);
  });

  it('lets only e-mail senders use SES, on identities of this account and region', () => {
    for (const definition of routingTable) {
      const ses = statementsOfFunction(template, definition.name).filter((s) => asArray(s.Action).some((a) => a.startsWith('ses:')));
      if (!definition.sendsEmail) {
        expect(ses, definition.name).toEqual([]);
        continue;
      }
      expect(ses.flatMap((s) => asArray(s.Action)).sort()).toEqual(['ses:SendEmail', 'ses:SendRawEmail']);
      expect(JSON.stringify(ses.map((s) => s.Resource))).toContain(':identity/*');
    }
  });

  it('narrows SES to one identity with -c mailIdentityArn', () => {
    const identity = 'arn:aws:ses:eu-west-1:123456789012:identity/example.com';
    const app = new App({ context: { ...cdkJsonContext, 'aws:cdk:bundling-stacks': [], mailIdentityArn: identity } });
    addGovernanceChecks(app);
    const narrowed = Template.fromStack(new GovernanceStack(app, STACK_ID));
    const ses = statementsOfFunction(narrowed, 'notifier').filter((s) => asArray(s.Action).includes('ses:SendEmail'));
    expect(ses.map((s) => s.Resource)).toEqual([identity]);
    const bad = new App({ context: { ...cdkJsonContext, 'aws:cdk:bundling-stacks': [], mailIdentityArn: 'example.com' } });
    expect(() => new GovernanceStack(bad, STACK_ID)).toThrow(/mailIdentityArn: "example.com" is not an SES identity ARN/);
  });

  it('puts a Glue table over the audit archive: projected date partition, JSON lines, the archive\'s columns', () => {
    const tables = Object.values(resourcesOf(template, 'AWS::Glue::Table')).filter((t) => t.Properties?.TableInput?.Name === 'audit_records');
    expect(tables).toHaveLength(1);
    const input = tables[0]?.Properties?.TableInput;
    expect(input.Name).toBe('audit_records');
    expect(input.PartitionKeys).toEqual([expect.objectContaining({ Name: 'date' })]);
    expect(input.Parameters).toMatchObject({ 'projection.enabled': 'true', 'projection.date.type': 'date', 'projection.date.format': 'yyyy-MM-dd' });
    expect(JSON.stringify(input.Parameters['storage.location.template'])).toContain('/audit/records/date=${date}/');
    expect(input.StorageDescriptor.SerdeInfo.SerializationLibrary).toBe('org.openx.data.jsonserde.JsonSerDe');
    // Every filter `erpgov audit search --athena` uses is a column of the table.
    const columns = (input.StorageDescriptor.Columns as { Name: string }[]).map((c) => c.Name);
    for (const column of ['occurredat', 'source', 'actor', 'action', 'module', 'originalevent', 'eventid', 'chain_id', 'seq']) expect(columns).toContain(column);
  });

  it('puts Glue tables over the exported findings and reports, with the columns and types DuckDB uses locally', () => {
    const byName = new Map(Object.values(resourcesOf(template, 'AWS::Glue::Table')).map((t) => [t.Properties?.TableInput?.Name as string, t]));
    for (const table of [FINDINGS_TABLE, ...REPORT_TABLES]) {
      const resource = byName.get(table.name);
      expect(resource, table.name).toBeDefined();
      const input = resource?.Properties?.TableInput;
      expect(((resource as { DependsOn?: string[] } | undefined)?.DependsOn ?? []).some((d) => d.includes('Database'))).toBe(true);
      expect(resource?.Properties?.DatabaseName).toBe('erpgov_audit');
      expect(input.PartitionKeys).toEqual([expect.objectContaining({ Name: 'period', Type: 'string' })]);
      expect(input.Parameters).toMatchObject({ 'projection.enabled': 'true', 'projection.period.type': 'date', 'projection.period.format': 'yyyy-MM', 'projection.period.interval.unit': 'MONTHS' });
      expect(JSON.stringify(input.Parameters['storage.location.template'])).toContain(`/exports/${table.name}/period=\${period}/`);
      expect(input.StorageDescriptor.SerdeInfo.SerializationLibrary).toBe('org.openx.data.jsonserde.JsonSerDe');
      const columns = (input.StorageDescriptor.Columns as { Name: string; Type: string }[]).map((c) => [c.Name, c.Type]);
      expect(columns).toEqual(table.columns.filter(([name]) => name !== 'period').map(([name, type]) => [name, type]));
    }
  });

  it('outputs the bus, table, bucket and every dead-letter queue URL', () => {
    const outputs = template.findOutputs('*');
    for (const name of ['EventBusName', 'EventBusArn', 'StateTableName', 'ArchiveBucketName', 'AlarmTopicArn']) expect(outputs).toHaveProperty(name);
    const queueUrls = Object.values(outputs).filter((o: any) => o.Value?.Ref !== undefined && Object.keys(resourcesOf(template, 'AWS::SQS::Queue')).includes(o.Value.Ref));
    expect(queueUrls).toHaveLength(Object.keys(resourcesOf(template, 'AWS::SQS::Queue')).length);
  });
});

describe('the stack is generic over the routing table', () => {
  const probe = 'test/fixtures/probe-handler.ts';
  const definitions: FunctionDefinition[] = [
    {
      name: 'access-review',
      description: 'publishes findings, reads and writes reports',
      entry: probe,
      rules: [
        { id: 'admin-role-assigned', description: 'admin roles', eventPattern: { 'detail-type': ['Role Assigned'], detail: { roleName: [{ 'equals-ignore-case': 'sap_all' }] } } },
        { id: 'erp-not-heartbeat', description: 'ERP, no heartbeats', eventPattern: { source: [{ prefix: 'erp.' }], 'detail-type': [{ 'anything-but': ['Heartbeat'] }] } },
      ],
      schedules: [{ id: 'access-review-hourly', description: 'hourly', expression: 'rate(1 hour)' }],
      stateAccess: 'read-write',
      publishesEvents: true,
      archiveAccess: 'read-write',
      readsSecrets: false,
      sendsEmail: false,
      timeoutSeconds: 60,
      memoryMb: 256,
    },
    {
      name: 'quiet-reader',
      description: 'reads state only',
      rules: [{ id: 'backups', description: 'backup results', eventPattern: { source: ['erp.backup'], detail: { sizeBytes: [{ numeric: ['>', 0] }] } } }],
      ...quietProbe,
    },
  ];
  let table: readonly RoutedFunction[];
  let template: Template;
  beforeAll(() => {
    table = buildRoutingTable(definitions);
    template = Template.fromStack(synthesize({ routingTable: table }).stack);
  });

  it('passes raw EventBridge keys and operators through verbatim', () => {
    const expected = definitions.flatMap((d) => d.rules.map((r) => r.eventPattern));
    expect(sortByJson(rules(template).onBus.map((r) => r.Properties?.EventPattern))).toEqual(sortByJson(expected));
    expect(rules(template).scheduled.map((r) => r.Properties?.ScheduleExpression)).toEqual(['rate(1 hour)']);
    expect(Object.keys(resourcesOf(template, 'AWS::Lambda::Function'))).toHaveLength(2);
    // No stream trigger, no stream.
    expect(Object.values(resourcesOf(template, 'AWS::DynamoDB::Table'))[0]?.Properties?.StreamSpecification).toBeUndefined();
  });

  it('grants PutEvents on the custom bus to the publisher only, and archive access per archiveAccess', () => {
    const busArn = { 'Fn::GetAtt': [logicalIdOfBus(template), 'Arn'] };
    const publisher = statementsOfFunction(template, 'access-review');
    expect(publisher.filter((s) => asArray(s.Action).includes('events:PutEvents')).map((s) => s.Resource)).toEqual([busArn]);
    expect(publisher.flatMap((s) => asArray(s.Action))).toEqual(expect.arrayContaining(['s3:PutObject', 's3:GetObject', 's3:ListBucket', 'dynamodb:PutItem']));

    const reader = statementsOfFunction(template, 'quiet-reader').flatMap((s) => asArray(s.Action));
    expect(reader).not.toContain('events:PutEvents');
    expect(reader.filter((a) => a.startsWith('s3:'))).toEqual([]);
    expect(reader.filter((a) => /^dynamodb:(Put|Update|Delete|BatchWrite)/.test(a))).toEqual([]);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ POWERTOOLS_SERVICE_NAME: 'quiet-reader', ARCHIVE_BUCKET_NAME: Match.absent() }) },
    });
  });
});

describe('ERP publishers (-c erpSystems=sap,odoo)', () => {
  const withSystems = (erpSystems: unknown) => {
    const app = new App({ context: { ...cdkJsonContext, 'aws:cdk:bundling-stacks': [], erpSystems } });
    addGovernanceChecks(app);
    return { app, stack: new GovernanceStack(app, STACK_ID) };
  };

  it('gives each ERP system a role that may put events on the bus with erp.<system> only, and outputs its ARN', () => {
    const { stack } = withSystems('sap,odoo');
    const template = Template.fromStack(stack);
    const busArn = { 'Fn::GetAtt': [logicalIdOfBus(template), 'Arn'] };
    for (const system of ['sap', 'odoo']) {
      const roleId = Object.entries(resourcesOf(template, 'AWS::IAM::Role')).find(([, r]) => String(r.Properties?.Description).startsWith(`ERP system ${system}:`))?.[0];
      expect(roleId, system).toBeDefined();
      const policies = Object.values(resourcesOf(template, 'AWS::IAM::Policy')).filter((p) => (p.Properties?.Roles as any[]).some((r) => r.Ref === roleId));
      const granted = policies.flatMap((p) => p.Properties?.PolicyDocument.Statement as any[]);
      expect(granted).toHaveLength(1);
      expect(granted[0]).toMatchObject({ Effect: 'Allow', Resource: busArn });
      expect(asArray(granted[0].Action)).toEqual(['events:PutEvents']);
      expect(asArray(granted[0].Condition.StringEquals['events:source'])).toEqual([`erp.${system}`]);
      expect(template.findOutputs(`ErpPublisherRoleArn${system.charAt(0).toUpperCase()}${system.slice(1)}`)).not.toEqual({});
    }
    // No publisher role without the context value.
    expect(Object.values(resourcesOf(Template.fromStack(synthesize().stack), 'AWS::IAM::Role')).filter((r) => String(r.Properties?.Description).startsWith('ERP system'))).toEqual([]);
  });

  it('passes the AwsSolutions checks with publishers', () => {
    const { app } = withSystems(['sap']);
    const report = JSON.parse(readFileSync(join(app.synth().directory, 'validation-report.json'), 'utf8')) as { pluginReports: unknown[] };
    expect(report.pluginReports).toEqual([]);
  });

  it('refuses a name that is no ERP system name, or one named twice', () => {
    expect(() => withSystems('sap,SAP ERP')).toThrow(/erpSystems: "SAP ERP" is not an ERP system name/);
    expect(() => withSystems('sap,sap')).toThrow(/"sap" is named twice/);
  });
});

describe('cdk-nag AwsSolutions checks', () => {
  it('report no unacknowledged finding, error or warning', () => {
    const { app, stack } = synthesize();
    const assembly = app.synth();
    const report = JSON.parse(readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8')) as { pluginReports: unknown[] };
    expect(report.pluginReports).toEqual([]);
    expect(Annotations.fromStack(stack).findError('*', Match.anyValue())).toEqual([]);
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*'))).toEqual([]);
  });

  it('fail synth on an unacknowledged finding (the check is live)', () => {
    const { app, stack } = synthesize();
    new sqs.Queue(stack, 'PlainQueue', { encryption: sqs.QueueEncryption.UNENCRYPTED });
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS4/);
  });

  it('write each acknowledgement and its reason into the template metadata', () => {
    const template = Template.fromStack(synthesize().stack);
    const acknowledged = Object.values(template.toJSON().Resources as Resources).flatMap(
      (r) => (r.Metadata?.cdk_nag?.rules_to_suppress ?? []) as Array<{ id: string; reason: string }>,
    );
    expect(new Set(acknowledged.map((a) => a.id.replace(/\[.*$/, '')))).toEqual(new Set(['AwsSolutions-IAM5', 'AwsSolutions-KMS5', 'AwsSolutions-SMG4', 'AwsSolutions-SQS3']));
    for (const a of acknowledged) expect(a.reason.length, a.id).toBeGreaterThan(40);
  });
});

describe('scheduled rule names', () => {
  it('end with the schedule id and fit EventBridge\'s 64 characters, shortening the stack name only', () => {
    expect(scheduledRuleName('ErpGovernance', 'audit-behaviour-hourly')).toBe('ErpGovernance-audit-behaviour-hourly');
    const long = scheduledRuleName('x'.repeat(100), 'archive-audit-daily');
    expect(long).toHaveLength(64);
    expect(long.endsWith('-archive-audit-daily')).toBe(true);
    expect(() => scheduledRuleName('ErpGovernance', 'y'.repeat(63))).toThrow(/at most 62/);
  });
});

describe('what fails synth', () => {
  it('a routing table with an invalid event pattern', () => {
    const bad: FunctionDefinition = {
      name: 'bad',
      description: 'uses an operator EventBridge does not have',
      rules: [{ id: 'bad-rule', description: 'contains is not an operator', eventPattern: { source: [{ contains: 'x' }] } }],
      ...quietProbe,
    };
    expect(() => buildRoutingTable([bad])).toThrow(RoutingTableError);
    expect(() => buildRoutingTable([bad])).toThrow(/bad-rule/);
  });

  it('a stream trigger that runs no schedule of its function, names no or an unknown event, or an empty key prefix, naming the function and the value', () => {
    const triggered = (stateStreamTrigger: unknown): FunctionDefinition => ({
      name: 'sealer',
      description: 'runs its sweep after writes',
      rules: [],
      ...quietProbe,
      schedules: [{ id: 'sealer-sweep', description: 'sweep', expression: 'rate(5 minutes)' }],
      stateStreamTrigger: stateStreamTrigger as FunctionDefinition['stateStreamTrigger'],
    });
    const sound = { description: 'after intents', keyPrefixes: { pk: 'SEALS#', sk: 'BATCH#' }, runs: 'sealer-sweep' };
    expect(() => buildRoutingTable([triggered(sound)])).not.toThrow();
    const problems = (trigger: unknown) => {
      try {
        buildRoutingTable([triggered(trigger)]);
      } catch (err) {
        if (err instanceof RoutingTableError) return err.problems;
        throw err;
      }
      return [];
    };
    expect(problems({ ...sound, runs: 'other-sweep' })).toEqual(['stream trigger of "sealer" runs "other-sweep", which is none of its schedules (sealer-sweep)']);
    expect(problems({ ...sound, keyPrefixes: { pk: '', sk: 'BATCH#' } })).toEqual(['stream trigger of "sealer": key prefix pk must be a non-empty string (an empty one lets every write to the state table invoke it), not ""']);
  });

  it('a governance policy that breaks the schema, naming the key', () => {
    expect(() => synthesize({ policy: { audit: { retention: { days: 10 } } } }, { checks: false })).toThrow(PolicyError);
    expect(() => synthesize({ policy: { audit: { retention: { days: 10 } } } }, { checks: false })).toThrow(/audit\.retention\.days/);
  });

  it('a policyFile context value that names no file', () => {
    const app = new App({ context: { ...cdkJsonContext, 'aws:cdk:bundling-stacks': [], policyFile: 'policy/does-not-exist.json' } });
    expect(() => new GovernanceStack(app, STACK_ID)).toThrow(/does-not-exist\.json.*does not exist/s);
  });
});

describe('the policy drives the archive', () => {
  it('takes Object Lock retention and lifecycle from the audit policy', () => {
    const policy = { audit: { retention: { days: 400 }, archive: { moveToColdAfterDays: 60, coldRetentionDays: 2000 } } };
    const template = Template.fromStack(synthesize({ policy }, { checks: false }).stack);
    template.hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 400 } } },
      LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ Transitions: [{ StorageClass: 'GLACIER', TransitionInDays: 60 }], ExpirationInDays: 2000 })]) },
    });
  });

  it('reads the policyFile context value relative to the repository root', () => {
    const app = new App({ context: { ...cdkJsonContext, 'aws:cdk:bundling-stacks': [], policyFile: 'policy/example-policy.json' } });
    expect(() => Template.fromStack(new GovernanceStack(app, STACK_ID))).not.toThrow();
  });
});

function sortByJson(values: readonly unknown[]): unknown[] {
  return [...values].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}
