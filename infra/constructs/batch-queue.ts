/**
 * A batched target (`batch` in the routing table): EventBridge rules put the function's events
 * on an SQS queue, and a Lambda event source mapping hands them over in batches (the declared
 * size and maximum batching window) with partial batch failure reporting, so that a record the
 * handler reports failed comes back alone while the rest of its batch is done. A record that
 * keeps failing moves to a dead-letter queue (alarmed on the first message); a backlog older
 * than the alarm age also alarms (the function is not keeping up).
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { BatchDeclaration } from '../function-routes.ts';
import { DeadLetterQueue } from './dead-letter-queue.ts';

export interface BatchQueueProps {
  readonly functionName: string;
  readonly fn: lambda.IFunction;
  readonly batch: BatchDeclaration;
  readonly timeoutSeconds: number;
  readonly alarmAction?: cloudwatch.IAlarmAction;
}

export class BatchQueue extends Construct {
  /** Receives before a record goes to the dead-letter queue (the first delivery included). */
  static readonly MAX_RECEIVES = 5;
  /** A backlog this old means the function is not keeping up. */
  static readonly BACKLOG_ALARM_AGE = Duration.minutes(15);

  readonly queue: sqs.Queue;
  readonly deadLetters: DeadLetterQueue;
  readonly backlogAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: BatchQueueProps) {
    super(scope, id);
    this.deadLetters = new DeadLetterQueue(this, 'DeadLetters', {
      purpose: `records of ${props.functionName}'s batches failed ${BatchQueue.MAX_RECEIVES} times`,
      ...(props.alarmAction ? { alarmAction: props.alarmAction } : {}),
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: DeadLetterQueue.RETENTION,
      // AWS's advice for Lambda sources: at least six times the function's timeout (plus the window).
      visibilityTimeout: Duration.seconds(6 * props.timeoutSeconds + props.batch.maxWaitSeconds),
      deadLetterQueue: { queue: this.deadLetters.queue, maxReceiveCount: BatchQueue.MAX_RECEIVES },
    });
    props.fn.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: props.batch.size,
        maxBatchingWindow: Duration.seconds(props.batch.maxWaitSeconds),
        reportBatchItemFailures: true,
      }),
    );
    this.backlogAlarm = new cloudwatch.Alarm(this, 'Backlog', {
      alarmDescription: `${props.functionName} is not keeping up: its oldest queued event waits more than ${BatchQueue.BACKLOG_ALARM_AGE.toMinutes()} minutes.`,
      metric: this.queue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(1), statistic: cloudwatch.Stats.MAXIMUM }),
      threshold: BatchQueue.BACKLOG_ALARM_AGE.toSeconds(),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 5,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    if (props.alarmAction) this.backlogAlarm.addAlarmAction(props.alarmAction);
  }
}
