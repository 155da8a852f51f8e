/**
 * audit-archive's two schedules through the local runtime: the hourly head anchors land in
 * the archive folder, `erpgov audit verify` checks the trail against them (and so notices a
 * chain deleted together with its head), and the daily run writes the closed day's manifest.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DeleteCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAuditCommand } from '../../cli/audit.ts';
import type { ScheduleIdOf } from '../../infra/function-routes.ts';
import { stateIndex } from '../../functions/shared/dynamo-access.ts';
import { addDays } from '../../functions/shared/time.ts';
import { stateTable } from '../../infra/state-table.ts';
import { anchorFolder, manifestKey } from '../../schemas/archive-layout.ts';
import { captureStdout } from '../support/capture-stdout.ts';
import { startPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.ts';

const ANCHOR_SCHEDULE = 'audit-anchor-heads' satisfies ScheduleIdOf<'audit-archive'>;
const ARCHIVE_SCHEDULE = 'archive-audit-daily' satisfies ScheduleIdOf<'audit-archive'>;
let h: PipelineHarness;
beforeAll(async () => {
  h = await startPipelineHarness('anchors');
});
afterAll(() => h.stop());

const verify = (day: string) => captureStdout(() => runAuditCommand(['verify', '--from', day, '--to', day, '--data-dir', h.dataDir, '--endpoint', h.runtime.dynamoDbUrl]));

describe('audit-archive schedules', () => {
  it('anchors the heads hourly, and verify then catches a chain deleted together with its head', async () => {
    const now = new Date();
    const day = now.toISOString().slice(0, 10);
    await h.put(Array.from({ length: 6 }, (_, i) => h.entry('Operation Audited', { actor: `u${i}`, action: 'update', target: `order-${i}`, module: 'orders' }, now)));

    await h.fireSchedule(ANCHOR_SCHEDULE, now);
    const anchorDir = join(h.dataDir, 'archive', anchorFolder(day));
    expect(readdirSync(anchorDir).length).toBeGreaterThan(0);
    const intact = await verify(day);
    expect(intact.code).toBe(0);
    expect(intact.output).toMatch(/also against archived head anchors/);
    expect(intact.output).toContain('OK: every chain is intact');

    // Remove one of today's erp.sap chains with its head, as someone with table access could.
    const heads = await h.docs.send(new QueryCommand({ TableName: stateTable.name, IndexName: stateIndex.indexName, KeyConditionExpression: '#ipk = :p', ExpressionAttributeNames: { '#ipk': stateIndex.partitionKey }, ExpressionAttributeValues: { ':p': `CHAINS#${day}` } }));
    const chainId = String(heads.Items?.map((i) => i[stateIndex.sortKey]).find((c) => String(c).startsWith('erp.sap/')));
    const links = await h.docs.send(new QueryCommand({ TableName: stateTable.name, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': `CHAIN#${chainId}` } }));
    for (const link of links.Items ?? []) await h.docs.send(new DeleteCommand({ TableName: stateTable.name, Key: { pk: link.pk, sk: link.sk } }));
    await h.docs.send(new DeleteCommand({ TableName: stateTable.name, Key: { pk: `HEAD#${chainId}`, sk: 'HEAD' } }));

    const tampered = await verify(day);
    expect(tampered.code).toBe(1);
    expect(tampered.output).toContain(`BROKEN ${chainId} at block 1: chain-deleted`);

    // Search still shows the records of that chain, each with a warning.
    const search = await captureStdout(() => runAuditCommand(['search', '--from', day, '--to', `${day}T23:59:59Z`, '--data-dir', h.dataDir, '--endpoint', h.runtime.dynamoDbUrl]));
    expect(search.code).toBe(0);
    expect(search.output).toMatch(new RegExp(`WARNING: no block of chain ${chainId.replace(/[.]/g, '\\.')} seals this record`));
    expect(search.output).toMatch(/record\(s\), \d+ from a chain that does not verify/);
  });

  it('archives the closed day, manifest last, on the daily schedule', async () => {
    const day = new Date().toISOString().slice(0, 10);
    const tomorrow = addDays(`${day}T00:00:00Z`, 1);
    await h.fireSchedule(ARCHIVE_SCHEDULE, tomorrow);
    expect(existsSync(join(h.dataDir, 'archive', manifestKey(day)))).toBe(true);
  });
});
