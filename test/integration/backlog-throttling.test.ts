/**
 * Back-pressure of the local runtime: while the bus holds `maxBacklog` undelivered events, the
 * public door answers PutEvents with ThrottlingException, as EventBridge does over its quota;
 * nothing of a throttled call is accepted or kept as a refusal, the AWS SDK retries it as
 * throttling, and the door takes events again once the backlog drains. The pipeline's own door
 * is never throttled: its functions' findings are part of how the backlog drains.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { routingTable } from '../../infra/routes.ts';
import type { Target } from '../../runtime/event-bus.ts';
import { LOCAL_CREDENTIALS } from '../../runtime/http-server.ts';
import { rejectedStore, startLocalRuntime, type LocalRuntime } from '../../runtime/local-runtime.ts';
import { exampleEvent } from '../../schemas/index.ts';
import { exampleEntry } from '../support/erp-entry.ts';

const MAX_BACKLOG = 5;
let dataDir: string;
let runtime: LocalRuntime;
/** Every delivery waits for this gate: the backlog stays until the test opens it. */
let openGate: () => void;
const gate = new Promise<void>((resolve) => (openGate = resolve));

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'erpgov-backlog-'));
  const targets = new Map<string, Target>(
    routingTable.map((fn) => [fn.name, { name: fn.name, invoke: async () => gate, ...(fn.batch ? { batch: { size: fn.batch.size }, invokeBatch: async () => (await gate, []) } : {}) }]),
  );
  runtime = await startLocalRuntime({ dataDir, targets, armSchedules: false, announce: false, maxBacklog: MAX_BACKLOG });
});
afterAll(async () => {
  openGate();
  await runtime?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const operation = (n: number) => exampleEntry('Operation Audited', { operationId: `op-${n}` });

it('answers ThrottlingException while the backlog is full, accepting and keeping nothing of the call; the SDK retries it as throttling; the door opens again once the backlog drains', async () => {
  const noRetries = new EventBridgeClient({ endpoint: runtime.eventBridgeUrl, region: runtime.region, credentials: LOCAL_CREDENTIALS, maxAttempts: 1 });
  const sdkDefaults = new EventBridgeClient({ endpoint: runtime.eventBridgeUrl, region: runtime.region, credentials: LOCAL_CREDENTIALS });
  try {
    for (let n = 0; n < MAX_BACKLOG; n++) expect((await noRetries.send(new PutEventsCommand({ Entries: [operation(n)] }))).FailedEntryCount).toBe(0);
    expect(runtime.bus.backlog).toBe(MAX_BACKLOG);
    const accepted = runtime.bus.stats.accepted;

    const throttled = await noRetries.send(new PutEventsCommand({ Entries: [operation(100), operation(101)] })).catch((err: unknown) => err as Error & { $metadata?: { httpStatusCode?: number } });
    expect(throttled).toBeInstanceOf(Error);
    expect((throttled as Error).name).toBe('ThrottlingException');
    expect((throttled as Error).message).toMatch(/5 events accepted earlier still wait for delivery.*5 or more.*--max-backlog.*nothing of this call was accepted/);
    expect((throttled as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode).toBe(400);
    // Nothing of the call was taken, and it is not a refusal of its content.
    expect(runtime.bus.stats.accepted).toBe(accepted);
    expect(runtime.bus.backlog).toBe(MAX_BACKLOG);
    expect(rejectedStore(dataDir).readAll()).toEqual([]);
    expect(runtime.bus.stats.throttled).toBe(1);
    // The health answer shows it to an operator.
    const health = (await (await fetch(`${runtime.eventBridgeUrl}/health`)).json()) as { backlog: number; maxBacklog: number; stats: { throttled: number } };
    expect(health).toMatchObject({ backlog: MAX_BACKLOG, maxBacklog: MAX_BACKLOG, stats: { throttled: 1 } });

    // The SDK's default retry strategy takes it for throttling: it retries, with back-off, as often as it may.
    const retried = await sdkDefaults.send(new PutEventsCommand({ Entries: [operation(102)] })).catch((err: unknown) => err as Error & { $metadata: { attempts?: number; totalRetryDelay?: number } });
    expect((retried as Error).name).toBe('ThrottlingException');
    expect((retried as { $metadata: { attempts?: number } }).$metadata.attempts).toBe(3);
    expect(runtime.bus.stats.throttled).toBe(4);

    // The pipeline's own door is never throttled (whatever it then makes of the entry).
    const own = await fetch(runtime.pipelineEventBridgeUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSEvents.PutEvents' },
      body: JSON.stringify({ Entries: [exampleEvent('Finding Raised', 'erpgov.access-governance')] }),
    });
    expect(own.status).toBe(200);

    // In-process callers (the bench's burst, tests) meet the same bound.
    expect(() => runtime.putEntries([operation(103)])).toThrow(expect.objectContaining({ name: 'ThrottlingException' }));

    openGate();
    await runtime.bus.whenIdle();
    expect(runtime.bus.backlog).toBe(0);
    const again = await noRetries.send(new PutEventsCommand({ Entries: [operation(104)] }));
    expect(again.FailedEntryCount).toBe(0);
  } finally {
    noRetries.destroy();
    sdkDefaults.destroy();
  }
});
