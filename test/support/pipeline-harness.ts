/**
 * The local pipeline as the scenario tests drive it: a runtime on loopback with schedules
 * left to the test, real SDK clients, and the three moves every scenario makes — put ERP
 * facts with their own times, fire a schedule, and read back what a function published as
 * log-archiving recorded it (the way an auditor would).
 *
 * Time is driven: the harness installs a process clock that never runs behind the system
 * clock and moves forward with the scenario — to the latest time of the facts a `put` sends,
 * and to the fire time of a schedule — so a scenario dated days ahead arrives "now" and is not
 * taken for a wrong clock (the skew guard, see `ClockSkew` in functions/shared/event-handler.ts).
 */
import { PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { expect, vi } from 'vitest';
import { utcDaysBetween } from '../../functions/shared/time.ts';
import { installClock, type Clock } from '../../functions/shared/clock.ts';
import { dynamoAuditTrailStore, recordsOf } from '../../functions/shared/audit-trail/audit-trail-store.ts';
import { stateTable } from '../../infra/state-table.ts';
import type { BusEvent } from '../../runtime/put-events.ts';
import { erpEntry } from './erp-entry.ts';
import { startLocalPipeline, type LocalPipeline } from './local-pipeline.ts';

export interface PipelineHarness extends Omit<LocalPipeline, 'restart'> {
  readonly startedAt: Date;
  /** The driven clock: the system's time, or the latest time the scenario moved it to. */
  readonly clock: Clock & { advanceTo(at: Date): void };
  /** A PutEvents entry from erp.sap carrying `detail` (schemaVersion added) at `time`. */
  entry(detailType: string, detail: Record<string, unknown>, time: Date): PutEventsRequestEntry;
  /** Moves the clock to the entries' latest time, puts them (10 per call), expects every one accepted, waits until all deliveries are done. */
  put(entries: PutEventsRequestEntry[]): Promise<string[]>;
  /** Fires the schedule at its first fire time at or after `notBefore` (catching up earlier ones; the clock follows) and waits for what it caused. */
  fireSchedule(id: string, notBefore: Date): Promise<Date>;
  /** Injects complete events (e.g. AWS service events as AWS emits them) straight into the runtime's bus and waits until all deliveries are done. */
  inject(events: readonly object[]): Promise<void>;
  /**
   * Stops the runtime and starts it again on the same data folder, as an admin restarts
   * `erpgov start` after editing the policy file: handlers read the policy once per process
   * (per Lambda container), so the restart imports them afresh and they read it again.
   */
  restart(): Promise<void>;
  /** Events of `detailType` from `source` that the audit trail recorded since the harness started. */
  published<T>(detailType: string, source: string): Promise<{ eventId: string; detail: T }[]>;
}

export async function startPipelineHarness(name: string): Promise<PipelineHarness> {
  const startedAt = new Date();
  let ahead = 0;
  const clock = { now: () => new Date(Math.max(Date.now(), ahead)), advanceTo: (at: Date) => void (ahead = Math.max(ahead, at.getTime())) };
  const restoreClocks = [installClock(clock)];
  const pipeline = await startLocalPipeline(name);

  return {
    dataDir: pipeline.dataDir,
    get runtime() {
      return pipeline.runtime;
    },
    get events() {
      return pipeline.events;
    },
    get docs() {
      return pipeline.docs;
    },
    startedAt,
    clock,
    entry: erpEntry,
    async put(entries) {
      const latest = Math.max(...entries.map((e) => (e.Time ? new Date(e.Time).getTime() : 0)));
      if (latest > 0) clock.advanceTo(new Date(latest));
      const ids: string[] = [];
      for (let i = 0; i < entries.length; i += 10) {
        const out = await pipeline.events.send(new PutEventsCommand({ Entries: entries.slice(i, i + 10) }));
        expect(out.FailedEntryCount).toBe(0);
        ids.push(...(out.Entries ?? []).map((e) => e.EventId as string));
      }
      await pipeline.runtime.bus.whenIdle();
      return ids;
    },
    async fireSchedule(id, notBefore) {
      const { runtime } = pipeline;
      for (;;) {
        const next = runtime.scheduler.upcoming().find((s) => s.id === id)?.next;
        if (!next) throw new Error(`schedule ${id} is not armed`);
        const due = new Date(next);
        const at = due >= notBefore ? due : notBefore;
        clock.advanceTo(at);
        runtime.scheduler.tick(at);
        await runtime.bus.whenIdle();
        if (due >= notBefore) return due;
      }
    },
    async inject(events) {
      pipeline.runtime.bus.accept(events as unknown as BusEvent[]);
      await pipeline.runtime.bus.whenIdle();
    },
    async restart() {
      await pipeline.restart(async (options) => {
        vi.resetModules();
        const [fresh, freshClock] = await Promise.all([import('../../runtime/local-runtime.ts'), import('../../functions/shared/clock.ts')]);
        restoreClocks.push(freshClock.installClock(clock));
        return fresh.startLocalRuntime(options);
      });
    },
    async published<T>(detailType: string, source: string) {
      const trail = dynamoAuditTrailStore(pipeline.docs, stateTable.name);
      const found: { eventId: string; detail: T }[] = [];
      for (const day of utcDaysBetween(startedAt.toISOString().slice(0, 10), clock.now().toISOString().slice(0, 10))) {
        for (const record of recordsOf(await trail.storedRecordsOccurredOn(day))) {
          if (record.detailType !== detailType || record.source !== source) continue;
          found.push({ eventId: record.eventId, detail: (JSON.parse(record.originalEvent) as { detail: T }).detail });
        }
      }
      return found;
    },
    async stop() {
      await pipeline.stop();
      for (const restore of restoreClocks.reverse()) restore();
    },
  };
}
