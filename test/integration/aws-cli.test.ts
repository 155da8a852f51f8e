/**
 * The AWS CLI against the local endpoints, unchanged but for --endpoint-url.
 * Runs when `aws` is installed (Debian's awscli package; .ci/run installs it); skipped otherwise.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalRuntime, type LocalRuntime } from '../../runtime/local-runtime.ts';
import { exampleEvent } from '../../schemas/index.ts';

const run = promisify(execFile);
const haveAwsCli = await run('aws', ['--version']).then(
  () => true,
  () => false,
);
if (!haveAwsCli) console.warn('aws-cli.test: the AWS CLI is not installed (apt-get install awscli); skipping');

const cliEnv = { ...process.env, AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local', AWS_REGION: 'us-east-1', AWS_DEFAULT_REGION: 'us-east-1', AWS_PAGER: '', AWS_EC2_METADATA_DISABLED: 'true' };
const aws = async (...args: string[]) => JSON.parse((await run('aws', [...args, '--output', 'json'], { env: cliEnv, timeout: 60_000 })).stdout);

describe.runIf(haveAwsCli)('AWS CLI against the local runtime', () => {
  let dataDir: string;
  let runtime: LocalRuntime;
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'erpgov-cli-'));
    runtime = await startLocalRuntime({ dataDir, armSchedules: false });
  });
  afterAll(async () => {
    await runtime?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('puts events, gets per-entry results, and the event reaches DynamoDB', async () => {
    const good = exampleEvent('Employee Departed', 'erp.yonyou');
    const out = await aws('events', 'put-events', '--endpoint-url', runtime.eventBridgeUrl, '--entries', JSON.stringify([good, { ...good, Detail: '[]' }]));
    expect(out.FailedEntryCount).toBe(1);
    expect(out.Entries[0].EventId).toBeTruthy();
    expect(out.Entries[1]).toMatchObject({ ErrorCode: 'MalformedDetail' });
    await runtime.bus.whenIdle();
    const item = await aws('dynamodb', 'get-item', '--endpoint-url', runtime.dynamoDbUrl, '--table-name', 'erpgov-state', '--key', JSON.stringify({ pk: { S: `AUDIT#${out.Entries[0].EventId}` }, sk: { S: 'RECORD' } }));
    expect(item.Item.record.M.eventId.S).toBe(out.Entries[0].EventId);
    expect(item.Item.chainId.S).toMatch(new RegExp(`^${item.Item.record.M.source.S.replace(/[.]/g, "\\.")}/`));
  });

  it('tests an event pattern', async () => {
    const event = { id: '1', account: '000000000000', source: 'erp.sap', time: '2026-11-29T00:00:00Z', region: 'us-east-1', resources: [], 'detail-type': 'Login', detail: { outcome: 'failure' } };
    const out = await aws('events', 'test-event-pattern', '--endpoint-url', runtime.eventBridgeUrl, '--event-pattern', JSON.stringify({ detail: { outcome: ['failure'] } }), '--event', JSON.stringify(event));
    expect(out.Result).toBe(true);
  });
});
