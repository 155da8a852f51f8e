/**
 * Controls fed by data that never enters the audit trail. Metric samples are telemetry kept
 * out of the trail (guide 3.1 volume), so a month of samples with no threshold breached left
 * control 3.1 without a trace, and the evidence pack called it "no data" (and the monthly
 * delivery raised a finding for it). The function that takes such data marks the control fed
 * for the month; the pack reads the marks beside the trail.
 *
 *   CONTROL-FEED#<YYYY-MM> / <control>     control, month, firstAt, by
 *
 * One conditional put per control, month and container: the first sample of a month writes
 * the mark, later ones are answered from memory (a Lambda container, or the local runtime).
 */
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { conditionally, queryAll } from '../dynamo-access.ts';
import { utcMonth } from '../time.ts';

export interface ControlFeed {
  /** `control` took data at `at` (its month is marked, once). */
  markFed(control: string, at: Date): Promise<void>;
  /** The controls marked fed in any of `months` (YYYY-MM). */
  fedIn(months: readonly string[]): Promise<Set<string>>;
}

const partition = (month: string) => `CONTROL-FEED#${month}`;

export function dynamoControlFeed(documents: DynamoDBDocumentClient, tableName: string, by: string): ControlFeed {
  const marked = new Set<string>();
  return {
    async markFed(control, at) {
      const month = utcMonth(at);
      const key = `${month}|${control}`;
      if (marked.has(key)) return;
      await conditionally(() =>
        documents.send(new PutCommand({ TableName: tableName, Item: { pk: partition(month), sk: control, control, month, firstAt: at.toISOString(), by }, ConditionExpression: 'attribute_not_exists(pk)' })),
      );
      marked.add(key);
    },
    async fedIn(months) {
      const fed = new Set<string>();
      for (const month of months) {
        for (const item of await queryAll(documents, { TableName: tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': partition(month) }, ConsistentRead: true })) fed.add(String(item.control));
      }
      return fed;
    },
  };
}

/** The in-memory twin, for the tests of the logic above it. */
export function memoryControlFeed(): ControlFeed & { readonly marks: ReadonlyMap<string, Set<string>> } {
  const marks = new Map<string, Set<string>>();
  return {
    marks,
    async markFed(control, at) {
      const month = utcMonth(at);
      marks.set(month, (marks.get(month) ?? new Set()).add(control));
    },
    async fedIn(months) {
      return new Set(months.flatMap((m) => [...(marks.get(m) ?? [])]));
    },
  };
}
