/**
 * The behaviour baseline as stored hourly counts: each closed hour of the audit trail folded
 * once into a small aggregate (`Baseline`, see behaviour-baseline.ts), so an hourly run reads a
 * few hundred items instead of every record of the baseline's days.
 *
 *   BEHAVIOUR#HOURS / <hour start, ISO>     `counts`: the hour's counts, gzip JSON;
 *        the table's TTL attribute: the baseline's days plus a margin (set by the flow)
 *
 * An hour too busy to fit one item even compressed is not stored; it is recounted from the
 * trail when needed.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { queryAll, TTL_ATTRIBUTE } from '../shared/dynamo-access.ts';
import { inKeyOrder } from '../shared/key-order.ts';
import type { Baseline } from './behaviour-baseline.ts';

export interface HourlyBaselineStore {
  /** Stored counts of the hours starting in [from, to), by hour start (ISO). */
  hoursBetween(from: Date, to: Date): Promise<Map<string, Baseline>>;
  /** Stores a closed hour's counts (idempotent: the same hour always folds to the same counts). */
  putHour(hourStart: Date, counts: Baseline, expiresAt: number): Promise<void>;
}

const HOURS_PK = 'BEHAVIOUR#HOURS';
const MAX_HOUR_BYTES = 350_000;

export function dynamoHourlyBaselineStore(client: DynamoDBDocumentClient, tableName: string): HourlyBaselineStore {
  return {
    async hoursBetween(from, to) {
      const items = await queryAll(client, {
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: { ':pk': HOURS_PK, ':from': from.toISOString(), ':to': new Date(to.getTime() - 1).toISOString() },
      });
      return new Map(items.map((i) => [String(i.sk), JSON.parse(gunzipSync(i.counts as Uint8Array).toString('utf8')) as Baseline]));
    },
    async putHour(hourStart, counts, expiresAt) {
      const body = gzipSync(JSON.stringify(counts));
      if (body.byteLength > MAX_HOUR_BYTES) return;
      await client.send(new PutCommand({ TableName: tableName, Item: { pk: HOURS_PK, sk: hourStart.toISOString(), counts: new Uint8Array(body), [TTL_ATTRIBUTE]: expiresAt } }));
    },
  };
}

/** The same store in memory (a copy of each hour, as a round trip would give), for the unit tests of the flow and the benches. */
export function memoryHourlyBaselineStore(): HourlyBaselineStore & { readonly hours: Map<string, Baseline> } {
  const hours = new Map<string, Baseline>();
  return {
    hours,
    async hoursBetween(from, to) {
      const [start, end] = [from.toISOString(), to.toISOString()];
      return new Map([...hours].filter(([hour]) => hour >= start && hour < end).sort(([a], [b]) => inKeyOrder(a, b)).map(([hour, counts]) => [hour, structuredClone(counts)]));
    },
    async putHour(hourStart, counts) {
      hours.set(hourStart.toISOString(), structuredClone(counts));
    },
  };
}
