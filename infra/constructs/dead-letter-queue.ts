/**
 * A dead-letter queue that somebody notices: SSE, TLS only, the longest retention SQS
 * allows, and an alarm as soon as one message lands in it. Every place the stack can drop
 * an event (an EventBridge target, a function's own asynchronous retries) gets one.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface DeadLetterQueueProps {
  /** What ends up here, for the alarm description (e.g. `events rule "audit-every-event" could not invoke log-archiving`). */
  readonly purpose: string;
  /** Where the alarm notifies (the stack's alarm topic). */
  readonly alarmAction?: cloudwatch.IAlarmAction;
}

export class DeadLetterQueue extends Construct {
  /** Fourteen days: the SQS maximum, so a long weekend's failures are still there to redrive. */
  static readonly RETENTION = Duration.days(14);

  readonly queue: sqs.Queue;
  readonly alarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: DeadLetterQueueProps) {
    super(scope, id);
    this.queue = new sqs.Queue(this, 'Queue', {
      // SQS-managed SSE: the senders (EventBridge, Lambda) need no KMS key policy, and
      // dead letters are copies of events whose originals the audit trail already holds.
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: DeadLetterQueue.RETENTION,
    });
    this.alarm = new cloudwatch.Alarm(this, 'NotEmpty', {
      alarmDescription: `Dead letters waiting: ${props.purpose}. Inspect the messages, fix the cause, then redrive them.`,
      metric: this.queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: cloudwatch.Stats.MAXIMUM }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    if (props.alarmAction) this.alarm.addAlarmAction(props.alarmAction);
  }
}
