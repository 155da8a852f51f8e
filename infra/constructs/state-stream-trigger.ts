/**
 * A stream trigger (`stateStreamTrigger` in the routing table): the state table's DynamoDB
 * stream (keys only) invokes the function through a Lambda event source mapping whose filter
 * passes only writes to the declared keys (key prefixes), so the function runs a
 * schedule's flow seconds after such a write instead of at the schedule's next fire. The flow is
 * safe to repeat and the schedule keeps firing, so a failed batch is retried a few times, whole,
 * then its records go to a dead-letter queue (alarmed on the first message) and the next fire
 * does the work. The event source grants the stream read (and the table key's decrypt) only; its
 * dynamodb:ListStreams on "*" is acknowledged with the function's other Resource "*" (GovernanceFunction).
 */
import { Duration, Validations } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Construct } from 'constructs';
import type { StateStreamTrigger as StateStreamTriggerDeclaration } from '../function-routes.ts';
import { DeadLetterQueue } from './dead-letter-queue.ts';

export interface StateStreamTriggerProps {
  readonly functionName: string;
  readonly fn: lambda.IFunction;
  /** The state table, with its stream enabled. */
  readonly table: dynamodb.ITable;
  readonly trigger: StateStreamTriggerDeclaration;
  readonly alarmAction?: cloudwatch.IAlarmAction;
}

export class StateStreamTrigger extends Construct {
  /** Records per invocation, at most: the flow looks for its work itself, so one record or a hundred is one run. */
  static readonly BATCH_SIZE = 100;
  /** How long the mapping gathers records before it invokes: writes of a burst share one run. */
  static readonly MAX_BATCHING_WINDOW = Duration.seconds(5);
  /** Retries of a failed batch before its records go to the dead-letter queue (the schedule still fires). */
  static readonly RETRY_ATTEMPTS = 2;

  readonly deadLetters: DeadLetterQueue;
  readonly eventSource: DynamoEventSource;

  constructor(scope: Construct, id: string, props: StateStreamTriggerProps) {
    super(scope, id);
    const { trigger } = props;
    this.deadLetters = new DeadLetterQueue(this, 'DeadLetters', {
      purpose: `stream records whose run of "${trigger.runs}" in ${props.functionName} failed ${1 + StateStreamTrigger.RETRY_ATTEMPTS} times (the schedule's next fire does the work)`,
      ...(props.alarmAction ? { alarmAction: props.alarmAction } : {}),
    });
    Validations.of(this.deadLetters.queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: "This queue is itself a dead-letter queue: the on-failure destination of the function's DynamoDB stream event source mapping, which SQS3 does not recognise (it sees only SQS redrive policies and Lambda DLQs). Its alarm fires on the first message.",
    });
    this.eventSource = new DynamoEventSource(props.table, {
      startingPosition: lambda.StartingPosition.LATEST,
      batchSize: StateStreamTrigger.BATCH_SIZE,
      maxBatchingWindow: StateStreamTrigger.MAX_BATCHING_WINDOW,
      retryAttempts: StateStreamTrigger.RETRY_ATTEMPTS,
      // The run is all or nothing for the batch: halving it would only run it again.
      bisectBatchOnError: false,
      onFailure: new SqsDlq(this.deadLetters.queue),
      filters: [streamFilter(trigger)],
    });
    props.fn.addEventSource(this.eventSource);
  }
}

/**
 * The mapping's filter: keys that begin with the declared prefixes (a KEYS_ONLY record carries
 * the item's keys under `dynamodb.Keys`, typed `S`). Only the `dynamodb` key: AWS's guide says
 * a DynamoDB event source mapping filters on nothing else.
 */
export function streamFilter(trigger: StateStreamTriggerDeclaration): Record<string, unknown> {
  const keys = Object.fromEntries(Object.entries(trigger.keyPrefixes).map(([attribute, prefix]) => [attribute, { S: lambda.FilterRule.beginsWith(prefix) }]));
  return lambda.FilterCriteria.filter({ dynamodb: { Keys: keys } });
}
