/**
 * One governance Lambda, configured the same way for every function in the routing table:
 * Node.js 24 on arm64, bundled locally by esbuild as ESM with the AWS SDK inside, source
 * maps, X-Ray, its own log group and role, a dead-letter queue for failed asynchronous
 * invocations, and alarms on errors and throttles. Access is added with the `bind*` methods,
 * each of which sets the environment variable and grants exactly that access in one call.
 */
import { join } from 'node:path';
import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { type ICommandHooks, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { Policy } from '../../schemas/policy-loader.ts';
import { BUNDLE_EXTERNALS, BUNDLE_MAIN_FIELDS, bakedDefines, LAMBDA_NODE_MAJOR, ESM_REQUIRE_SHIM, SMTP_PACKAGE } from '../lambda-bundling.ts';
import { PIPELINE_SOURCE_PREFIX, type RoutedFunction } from '../routes.ts';
import { DeadLetterQueue } from './dead-letter-queue.ts';
import { logicalIdOf } from './nag.ts';

/** The only source a function may put events with: `erpgov.<function>`. */
export const pipelineSourceOf = (functionName: string) => `${PIPELINE_SOURCE_PREFIX}${functionName}`;

/** The metrics namespace every function publishes under (Powertools Metrics). */
export const METRICS_NAMESPACE = 'ErpGovernance';

export interface GovernanceFunctionProps {
  readonly definition: RoutedFunction;
  /** Absolute path of the repository: entries in the routing table are relative to it. */
  readonly repoRoot: string;
  /** The governance policy, validated by the caller with the defaults applied: baked into the bundle as it is. */
  readonly policy: Policy;
  readonly logRetention: logs.RetentionDays;
  readonly alarmAction?: cloudwatch.IAlarmAction;
}

export class GovernanceFunction extends Construct {
  readonly definition: RoutedFunction;
  readonly function: NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  /** Events the function failed on after Lambda's own asynchronous retries. */
  readonly failedInvocations: DeadLetterQueue;

  constructor(scope: Construct, id: string, props: GovernanceFunctionProps) {
    super(scope, id);
    const { definition, repoRoot } = props;
    const beside = besideBundle(definition);
    this.definition = definition;

    this.logGroup = new logs.LogGroup(this, 'LogGroup', { retention: props.logRetention });
    // A role of our own instead of AWSLambdaBasicExecutionRole (a managed policy that may
    // write to every log group in the account): this function writes to its log group only.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of the ${definition.name} governance function`,
    });
    this.logGroup.grantWrite(this.role);

    this.failedInvocations = new DeadLetterQueue(this, 'FailedInvocations', {
      purpose: `${definition.name} failed on events after Lambda's asynchronous retries`,
      alarmAction: props.alarmAction,
    });

    this.function = new NodejsFunction(this, 'Function', {
      description: definition.description,
      entry: join(repoRoot, definition.entry),
      handler: 'handler',
      projectRoot: repoRoot,
      depsLockFilePath: join(repoRoot, 'package-lock.json'),
      runtime: lambdaRuntime(),
      architecture: lambda.Architecture.ARM_64,
      memorySize: definition.memoryMb,
      timeout: Duration.seconds(definition.timeoutSeconds),
      role: this.role,
      logGroup: this.logGroup,
      tracing: lambda.Tracing.ACTIVE,
      deadLetterQueueEnabled: true,
      deadLetterQueue: this.failedInvocations.queue,
      environment: {
        POWERTOOLS_SERVICE_NAME: definition.name,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: {
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        mainFields: BUNDLE_MAIN_FIELDS,
        banner: ESM_REQUIRE_SHIM,
        minify: true,
        sourceMap: true,
        // Stack traces need the mappings, not the sources: keeps the bundle small.
        sourcesContent: false,
        // Bundle the SDK (Middy's advice): a pinned, tree-shaken SDK starts faster than the runtime's.
        bundleAwsSDK: true,
        // The SMTP library is imported only on the SMTP path (a dynamic import in
        // functions/notifier/smtp-sender.ts): it stays out of every bundle, and the function that
        // sends mail gets the package beside its bundle (it has no dependencies of its own).
        // A function that renders evidence packs gets uPlot there too: it reads its files to inline them.
        externalModules: BUNDLE_EXTERNALS,
        ...(beside.length > 0 ? { commandHooks: besideTheBundle(beside) } : {}),
        define: bakedDefines(definition, props.policy),
      },
    });

    // X-Ray's PutTraceSegments/PutTelemetryRecords have no resource-level permissions, nor has DynamoDB's ListStreams.
    const listsStreams = definition.stateStreamTrigger
      ? ' Its DynamoDB stream trigger (StateStreamTrigger, through Table.grantStreamRead) adds dynamodb:ListStreams, which supports none either and lists stream ARNs only; reading records is granted on the state table\'s stream alone.'
      : '';
    this.acknowledge('AwsSolutions-IAM5[Resource::*]', `X-Ray tracing (Tracing.ACTIVE) adds xray:PutTraceSegments and xray:PutTelemetryRecords, which support no resource-level permissions, so AWS requires Resource "*".${listsStreams}`);

    for (const [metricName, metric, why] of [
      ['Errors', this.function.metricErrors(), 'the handler threw; Lambda retries asynchronous events twice, then they land in the failed-invocations queue'],
      ['Throttles', this.function.metricThrottles(), 'invocations were throttled; check the account concurrency and burst of events'],
    ] as const) {
      const alarm = new cloudwatch.Alarm(this, metricName, {
        alarmDescription: `${definition.name}: ${why}.`,
        metric: metric.with({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      if (props.alarmAction) alarm.addAlarmAction(props.alarmAction);
    }
  }

  /** STATE_TABLE_NAME, and read or read-write data access (with the table key, through the grant). */
  bindStateTable(table: dynamodb.Table, access: RoutedFunction['stateAccess']): void {
    this.function.addEnvironment('STATE_TABLE_NAME', table.tableName);
    if (access === 'read-write') {
      table.grantReadWriteData(this.role);
      this.acknowledge('AwsSolutions-IAM5[Action::kms:ReEncrypt*]', 'Produced by Table.grantReadWriteData for the table\'s customer-managed key: DynamoDB re-encrypts items under the key on rotation.');
      this.acknowledge('AwsSolutions-IAM5[Action::kms:GenerateDataKey*]', 'Produced by Table.grantReadWriteData for the table\'s customer-managed key: DynamoDB needs data keys to write encrypted items.');
    } else {
      table.grantReadData(this.role);
    }
    this.acknowledge(
      `AwsSolutions-IAM5[Resource::<${logicalIdOf(table)}.Arn>/index/*]`,
      'Produced by the table grant: queries on the state table\'s own global secondary indexes (single-table design); no other table is reachable.',
    );
  }

  /**
   * EVENT_BUS_NAME, and — only when the function publishes — events:PutEvents on that bus
   * with its own source `erpgov.<function>` and no other (IAM checks every entry's
   * `events:source`): a function cannot speak as another, nor as an ERP or AWS.
   */
  bindEventBus(bus: events.EventBus, publishes: boolean): void {
    this.function.addEnvironment('EVENT_BUS_NAME', bus.eventBusName);
    if (!publishes) return;
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'PutOwnSourceOnly',
        actions: ['events:PutEvents'],
        resources: [bus.eventBusArn],
        conditions: { StringEquals: { 'events:source': [pipelineSourceOf(this.definition.name)] } },
      }),
    );
  }

  /**
   * ARCHIVE_BUCKET_NAME and object access per `archiveAccess`. Written out rather than
   * `grantPut`/`grantReadWrite`, which would add object retention, legal hold, tagging,
   * delete and wildcard actions the functions never use. `write` includes ListBucket
   * because archive writers list what is already archived to stay idempotent. With
   * `prefixes`, GetObject and PutObject reach only the keys below the named prefixes.
   */
  bindArchive(bucket: s3.Bucket, key: kms.IKey, access: RoutedFunction['archiveAccess'], prefixes?: RoutedFunction['archivePrefixes']): void {
    if (access === 'none') return;
    this.function.addEnvironment('ARCHIVE_BUCKET_NAME', bucket.bucketName);
    const objects = (folders: readonly string[] | undefined) => (folders ? folders.map((f) => bucket.arnForObjects(`${f}/*`)) : [bucket.arnForObjects('*')]);
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucket.bucketArn] }));
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: objects(prefixes?.write) }));
    if (access === 'read-write') this.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: objects(prefixes?.read) }));
    const keyActions = access === 'read-write' ? ['kms:GenerateDataKey', 'kms:Decrypt'] : ['kms:GenerateDataKey'];
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: keyActions,
        resources: [key.keyArn],
        // The key also protects the state table: through this statement it serves S3 only.
        conditions: { StringEquals: { 'kms:ViaService': `s3.${Stack.of(this).region}.amazonaws.com` } },
      }),
    );
    for (const folder of prefixes ? [...new Set([...prefixes.read, ...prefixes.write])] : ['']) {
      this.acknowledge(
        `AwsSolutions-IAM5[Resource::<${logicalIdOf(bucket)}.Arn>/${folder === '' ? '' : `${folder}/`}*]`,
        'Archive objects have date-partitioned keys written by the function, so object access is granted on the archive bucket\'s objects (below the function\'s own prefixes where it names them); Object Lock keeps them immutable.',
      );
    }
  }

  /**
   * EVIDENCE_SIGNING_KEY_ARN, and kms:Sign and kms:GetPublicKey on that one key (the stack's
   * Ed25519 evidence key), for the function that signs evidence manifests only.
   */
  bindEvidenceSigningKey(signingKey: kms.IKey | undefined, signs: boolean): void {
    if (!signs) return;
    if (!signingKey) throw new Error(`${this.definition.name} signs evidence but the stack made no signing key`);
    this.function.addEnvironment('EVIDENCE_SIGNING_KEY_ARN', signingKey.keyArn);
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'SignEvidenceWithItsKeyOnly', actions: ['kms:Sign', 'kms:GetPublicKey'], resources: [signingKey.keyArn] }));
  }

  /**
   * NOTIFIER_SECRET_ARN and read access to that one secret (Slack webhook, mail settings),
   * for functions that read secrets only. The function reads it once per container.
   */
  bindNotificationSecret(secret: secretsmanager.ISecret, reads: boolean): void {
    if (!reads) return;
    this.function.addEnvironment('NOTIFIER_SECRET_ARN', secret.secretArn);
    secret.grantRead(this.role);
  }

  /**
   * NOTIFIER_MAIL_TRANSPORT=ses and ses:SendEmail / ses:SendRawEmail on the given SES
   * identities, for functions that send e-mail only. `wildcardReason` explains an identity
   * ARN with a wildcard (all identities of the account), which cdk-nag otherwise refuses.
   */
  bindEmail(identityArns: readonly string[], sends: boolean, wildcardReason?: { finding: string; reason: string }): void {
    if (!sends) return;
    this.function.addEnvironment('NOTIFIER_MAIL_TRANSPORT', 'ses');
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['ses:SendEmail', 'ses:SendRawEmail'], resources: [...identityArns] }));
    if (wildcardReason) this.acknowledge(wildcardReason.finding, wildcardReason.reason);
  }

  private acknowledge(id: string, reason: string): void {
    Validations.of(this.role).acknowledge({ id, reason });
  }
}

/** The chart library the evidence page inlines (functions/shared/evidence/evidence-render.ts reads its files at run time). */
const CHART_PACKAGE = 'uplot';

/** The packages a function needs beside its bundle: the mail library to send mail, the chart library to render evidence packs. */
const besideBundle = (definition: RoutedFunction): string[] => [...(definition.sendsEmail ? [SMTP_PACKAGE] : []), ...(definition.signsEvidence ? [CHART_PACKAGE] : [])];

/** Bundling hooks that copy installed, dependency-free packages into the asset's node_modules. */
function besideTheBundle(packages: readonly string[]): ICommandHooks {
  return {
    beforeBundling: () => [],
    beforeInstall: () => [],
    afterBundling: (inputDir, outputDir) => [`mkdir -p "${outputDir}/node_modules"`, ...packages.map((pkg) => `cp -R "${inputDir}/node_modules/${pkg}" "${outputDir}/node_modules/"`)],
  };
}

/** CDK's runtime for the Node.js major the bundles are compiled for (one version, in infra/lambda-bundling.ts). */
function lambdaRuntime(): lambda.Runtime {
  const runtime = lambda.Runtime.ALL.find((r) => r.name === `nodejs${LAMBDA_NODE_MAJOR}.x` && !r.isVariable);
  if (!runtime) throw new Error(`aws-cdk-lib knows no Lambda runtime nodejs${LAMBDA_NODE_MAJOR}.x`);
  return runtime;
}
