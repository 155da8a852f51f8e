/**
 * What a readable AWS event costs backup-verification for the "malformed AWS event" check,
 * against dynalite: a readable event (same source and id) clears the finding its unreadable
 * twin raised, so every readable event asks whether such a finding is live. That question is
 * one point read of the finding's own item, whatever number of malformed events the function
 * keeps (sticky, 90 days), and the resolution still happens when it is.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { readAwsEvent } from '../../functions/backup-verification/aws-events.ts';
import { dynamoBackupStore } from '../../functions/backup-verification/backup-store.ts';
import { recordAwsReading, type BackupDeps } from '../../functions/backup-verification/flows.ts';
import { dynamoFindingsStore } from '../../functions/shared/findings/findings-store.ts';
import { addMinutes } from '../../functions/shared/time.ts';
import { stateTable } from '../../infra/state-table.ts';
import { ensureStateTable, startDynamoServer } from '../../runtime/dynamo-server.ts';
import { parsePolicy } from '../../schemas/policy-loader.ts';
import { backupsPolicy, FINANCE_DB, financeHistory } from '../support/backup-catalogue.ts';

const KEPT_MALFORMED = 40;
const T0 = new Date('2026-03-02T00:00:00Z');
const policy = parsePolicy({ backups: backupsPolicy(financeHistory) });

let server: Awaited<ReturnType<typeof startDynamoServer>>;
let client: DynamoDBClient;
const seen = { requests: 0, itemsRead: 0 };

beforeAll(async () => {
  server = await startDynamoServer({ host: '127.0.0.1', port: 0 });
  client = new DynamoDBClient({ endpoint: server.url, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
  client.middlewareStack.add((next) => async (args) => {
    seen.requests++;
    const result = await next(args);
    const output = result.output as { Count?: number; Item?: unknown };
    seen.itemsRead += output.Count ?? (output.Item ? 1 : 0);
    return result;
  }, { step: 'initialize', name: 'countReads' });
  await ensureStateTable(client, stateTable);
});
afterAll(async () => {
  client.destroy();
  await server.close();
});

const event = (id: string, detailType: string, detail: Record<string, unknown>, at: Date) => ({ version: '0', id, source: 'aws.backup', 'detail-type': detailType, account: '111122223333', region: 'eu-central-1', time: at.toISOString(), resources: [], detail });
/** A backup job event with neither state nor status: malformed. */
const unreadable = (id: string) => event(id, 'Backup Job State Change', { backupJobId: id, resourceArn: FINANCE_DB }, T0);

it('a readable event asks for its malformed twin with one point read, however many malformed events are kept; a readable resend still resolves', async () => {
  const docs = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  const deps: BackupDeps = { store: dynamoBackupStore(docs, stateTable.name, dynamoFindingsStore(docs, stateTable.name)), publisher: { publish: async () => undefined }, policy };
  for (let i = 0; i < KEPT_MALFORMED; i++) await recordAwsReading(deps, readAwsEvent(unreadable(`bad-${i}`), policy.backups), T0);

  const cost = async (raw: Record<string, unknown>, at: Date) => {
    const before = { ...seen };
    const outcome = await recordAwsReading(deps, readAwsEvent(raw, policy.backups), at);
    return { outcome, requests: seen.requests - before.requests, itemsRead: seen.itemsRead - before.itemsRead };
  };
  // An event about no dataset does nothing else: all it costs is the malformed-event check.
  const ignored = await cost(event('vault-1', 'Backup Vault State Change', {}, T0), T0);
  expect(ignored.outcome.ignored).toBeDefined();
  expect({ requests: ignored.requests, itemsRead: ignored.itemsRead }).toEqual({ requests: 1, itemsRead: 0 });

  // The twin of a kept malformed event, readable this time: resolved.
  const fixed = await cost(event('bad-7', 'Backup Job State Change', { backupJobId: 'bad-7', resourceArn: FINANCE_DB, state: 'FAILED' }, addMinutes(T0, 1)), addMinutes(T0, 1));
  expect(fixed.outcome.resolved).toHaveLength(1);
});
