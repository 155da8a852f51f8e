/**
 * `erpgov start` as a user runs it: a separate process, its printed endpoints, the AWS SDK
 * against them, and a SIGTERM in the middle of deliveries that loses nothing accepted.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { dynamoAuditTrailStore } from '../../functions/shared/audit-trail/audit-trail-store.ts';
import { stateTable } from '../../infra/state-table.ts';
import { readRuntimeFile } from '../../runtime/runtime-file.ts';
import { exampleEvent } from '../../schemas/index.ts';
import { runCli, startCli, stopCli } from '../support/cli-process.ts';
import { trailRecordsWithin } from '../support/trail-records.ts';
import { LOCAL_CREDENTIALS } from '../../runtime/http-server.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'erpgov-cli-start-'));

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('erpgov start', () => {
  it('prints its endpoints, takes events from the SDK, and after SIGTERM mid-delivery loses none', async () => {
    const first = await startCli(dataDir);
    // Commands find the runtime through the data folder, so the hint names the folder, not a port.
    expect(first.output()).toContain(`npm run erpgov -- send-example --data-dir ${dataDir}`);
    expect(first.output()).toMatch(/aws events put-events .*--endpoint-url http:\/\/127\.0\.0\.1:\d+ --entries '\[/);
    expect(readRuntimeFile(dataDir)).toMatchObject({ pid: first.child.pid, eventBridgeUrl: first.eventBridgeUrl, dynamoDbUrl: first.dynamoDbUrl });
    const bus = new EventBridgeClient({ endpoint: first.eventBridgeUrl, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const out = await bus.send(new PutEventsCommand({ Entries: Array.from({ length: 10 }, () => exampleEvent('Operation Audited', 'erp.sap')) }));
      expect(out.FailedEntryCount).toBe(0);
      ids.push(...(out.Entries ?? []).map((e) => e.EventId as string));
    }
    bus.destroy();
    // Stop at once: some deliveries are still queued. They must survive in the journal.
    expect(await stopCli(first)).toBe(0);
    // The 60 sent, and any finding the pipeline published before the stop (how many depends on how far the handlers got).
    expect(Number(/stopped: (\d+) events accepted/.exec(first.output())?.[1])).toBeGreaterThanOrEqual(60);
    // Stopped: no endpoints left behind for a command to find.
    expect(readRuntimeFile(dataDir)).toBeUndefined();

    const second = await startCli(dataDir);
    const docs = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: second.dynamoDbUrl, region: 'us-east-1', credentials: LOCAL_CREDENTIALS }));
    try {
      // Every accepted event reaches the trail once the restart has drained the journal.
      expect((await trailRecordsWithin(dynamoAuditTrailStore(docs, stateTable.name), ids, 30_000)).size).toBe(60);
    } finally {
      docs.destroy();
      expect(await stopCli(second)).toBe(0);
    }
  }, 90_000);

  it('stops at start-up on a bad policy, naming the key, the value and what is allowed', async () => {
    const policyDir = mkdtempSync(join(tmpdir(), 'erpgov-bad-policy-'));
    const file = join(policyDir, 'policy.json');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(file, JSON.stringify({ audit: { retention: { days: 30 } } }));
    const { code, output } = await runCli(['start', '--data-dir', dataDir, '--port', '0', '--dynamodb-port', '0', '--policy', file], 30_000);
    rmSync(policyDir, { recursive: true, force: true });
    expect(code).not.toBe(0);
    expect(output).toMatch(/audit\.retention\.days/);
    expect(output).toMatch(/30/);
    expect(output).toMatch(/183/);
  }, 30_000);
});
