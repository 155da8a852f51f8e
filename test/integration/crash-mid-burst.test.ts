/**
 * `kill -9` of `erpgov start` in the middle of a burst (issue 15, class 6): PutEvents calls of
 * several entries each, concurrently, the process killed with SIGKILL while calls are in
 * flight, then started again on the same data folder. Every entry that was answered with an
 * EventId must be in the audit trail exactly once once the restart has drained the journal,
 * nothing may be left un-sealed (a batch the crash orphaned is sealed by its redelivery, or by
 * the sweep once its writer's lease is over), and `erpgov audit verify` must pass.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { dynamoAuditTrailStore, recordsOf, SEAL_LEASE_MS } from '../../functions/shared/audit-trail/audit-trail-store.ts';
import { utcDay, utcDaysBetween } from '../../functions/shared/time.ts';
import { stateTable } from '../../infra/state-table.ts';
import { runCli, startCli, stopCli } from '../support/cli-process.ts';
import { exampleEntry } from '../support/erp-entry.ts';
import { trailRecordsWithin } from '../support/trail-records.ts';
import { LOCAL_CREDENTIALS } from '../../runtime/http-server.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'erpgov-crash-burst-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const CALLS = 80;
const ENTRIES_PER_CALL = 8;
const CONCURRENCY = 4;
/** Answered calls before the kill: the burst is well under way, with calls still in flight. */
const KILL_AFTER = 25;

/** An operation with a marker of its own (target and ERP operation id), so the trail can be counted per entry. */
const entry = (marker: string) => exampleEntry('Operation Audited', { target: marker, operationId: `OP-${marker}` });

const until = async (what: string, check: () => Promise<boolean>, timeoutMs: number) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
};

describe('erpgov start killed with SIGKILL in the middle of a burst', () => {
  it('after a restart on the same data folder, every answered entry is in the trail exactly once, all sealed, and audit verify passes', async () => {
    const firstDay = utcDay(new Date());
    const first = await startCli(dataDir);
    const bus = new EventBridgeClient({ endpoint: first.eventBridgeUrl, region: 'us-east-1', credentials: LOCAL_CREDENTIALS, maxAttempts: 1 });
    const answered = new Map<string, string>(); // event id → marker
    let calls = 0;
    let failedCalls = 0;
    let next = 0;
    const killed = (async () => {
      await until('calls answered before the kill', async () => calls >= KILL_AFTER, 60_000);
      await stopCli(first, 'SIGKILL');
    })();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        for (let call = next++; call < CALLS; call = next++) {
          const markers = Array.from({ length: ENTRIES_PER_CALL }, (_, i) => `burst-${call}-${i}`);
          try {
            const out = await bus.send(new PutEventsCommand({ Entries: markers.map(entry) }));
            (out.Entries ?? []).forEach((e, i) => {
              if (e.EventId) answered.set(e.EventId, markers[i] as string);
            });
            calls++;
          } catch {
            failedCalls++; // the process is gone: not answered, so not promised
          }
        }
      }),
    );
    await killed;
    bus.destroy();
    expect(calls).toBeGreaterThanOrEqual(KILL_AFTER);
    expect(failedCalls, 'calls refused after the kill').toBeGreaterThan(0);

    const second = await startCli(dataDir);
    const docs = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: second.dynamoDbUrl, region: 'us-east-1', credentials: LOCAL_CREDENTIALS }));
    const trail = dynamoAuditTrailStore(docs, stateTable.name);
    try {
      // Drained: every answered entry recorded (the journal redelivers what the crash interrupted).
      await trailRecordsWithin(trail, [...answered.keys()], 90_000, 250);

      // Exactly once: each answered entry's marker is on one record of the trail, under its own event id.
      const days = utcDaysBetween(firstDay, utcDay(new Date()));
      const byMarker = new Map<string, string[]>();
      for (const day of days) {
        for (const record of recordsOf(await trail.storedRecordsOccurredOn(day))) {
          if (record.target?.startsWith('burst-')) byMarker.set(record.target, [...(byMarker.get(record.target) ?? []), record.eventId]);
        }
      }
      const wrong = [...answered].filter(([eventId, marker]) => JSON.stringify(byMarker.get(marker)) !== JSON.stringify([eventId]));
      expect(wrong.slice(0, 5).map(([eventId, marker]) => ({ eventId, marker, inTrail: byMarker.get(marker) }))).toEqual([]);
      expect([...byMarker.values()].filter((ids) => ids.length > 1)).toEqual([]);

      // Nothing left un-sealed: a batch the crash orphaned is sealed by its redelivery, or by the
      // sweep (run with the hourly anchors) once its writer's lease is over.
      await trail.sealPending(new Date(Date.now() + SEAL_LEASE_MS + 1000));
      for (const day of days) expect(await trail.openSeals(day), `open seals of ${day}`).toEqual([]);

      const verify = await runCli(['audit', 'verify', '--data-dir', dataDir, '--from', firstDay]);
      expect(verify.output).toMatch(/OK: every chain is intact/);
      expect(verify.code).toBe(0);
    } finally {
      docs.destroy();
      await stopCli(second);
    }
  }, 240_000);
});
