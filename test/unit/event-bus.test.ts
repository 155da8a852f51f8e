import * as z from 'zod';
import { ConfigurationError, InvalidEventError, TransientError } from '../../schemas/errors.ts';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildRoutingTable, defineFunction } from '../../infra/routes.ts';
import { backoffDelay, deadLetterStore, isRetryable, journalNeedsCompaction, LOADED_BATCH_FILL_MS, LocalEventBus, type Target } from '../../runtime/event-bus.ts';
import type { BusEvent } from '../../runtime/put-events.ts';

// Only the rules matter to the bus: every capability is the default.
const routes = buildRoutingTable([
  defineFunction({ name: 'audit', description: 'everything', rules: [{ id: 'all', description: 'all', eventPattern: { source: [{ prefix: '' }] } }], schedules: [] }),
  defineFunction({ name: 'access', description: 'roles only', rules: [{ id: 'roles', description: 'roles', eventPattern: { 'detail-type': ['Role Assigned', 'Role Revoked'] } }], schedules: [] }),
]);

function event(id: string, detailType = 'Operation Audited'): BusEvent {
  return { version: '0', id, 'detail-type': detailType, source: 'erp.sap', account: '000000000000', time: '2026-11-29T00:00:00Z', region: 'us-east-1', resources: [], detail: {} };
}

/** A target that records what it got and fails the first `failures` calls per event. */
function recordingTarget(name: string, failures = 0, error: Error = new Error('ERP down')): Target & { seen: string[] } {
  const attempts = new Map<string, number>();
  const seen: string[] = [];
  return {
    name,
    seen,
    async invoke(e) {
      const n = (attempts.get(e.id) ?? 0) + 1;
      attempts.set(e.id, n);
      if (n <= failures) throw error;
      seen.push(e.id);
    },
  };
}

const fastRetry = { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 };

/** A fresh bus on the same data folder (a restart): how many deliveries it re-queued, and the events they delivered. */
async function restartAndRedeliver(): Promise<{ requeued: number; seen: string[] }> {
  const audit = recordingTarget('audit');
  const bus = new LocalEventBus({ dataDir, routes: routes.slice(0, 1), targets: new Map([['audit', audit]]), retry: fastRetry });
  const requeued = bus.recover();
  await bus.whenIdle();
  await bus.stop();
  return { requeued, seen: audit.seen.sort() };
}
let dataDir: string;
beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'erpgov-bus-'));
});
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

describe('LocalEventBus', () => {
  it('routes each event to every function whose rule matches, and only those', async () => {
    const audit = recordingTarget('audit');
    const access = recordingTarget('access');
    const bus = new LocalEventBus({ dataDir, routes, targets: new Map([['audit', audit], ['access', access]]), retry: fastRetry });
    bus.recover();
    bus.accept([event('e1'), event('e2', 'Role Assigned')]);
    await bus.whenIdle();
    expect(audit.seen.sort()).toEqual(['e1', 'e2']);
    expect(access.seen).toEqual(['e2']);
    expect(bus.pendingDeliveries).toBe(0);
    await bus.stop();
  });

  /** One event delivered to `audit` alone, until the bus is idle and stopped. */
  async function deliverOneTo(audit: Target): Promise<LocalEventBus> {
    const bus = new LocalEventBus({ dataDir, routes: routes.slice(0, 1), targets: new Map([['audit', audit]]), retry: fastRetry });
    bus.recover();
    bus.accept([event('e1')]);
    await bus.whenIdle();
    await bus.stop();
    return bus;
  }

  it('retries transient failures with back-off and then delivers', async () => {
    const audit = recordingTarget('audit', 2);
    const bus = await deliverOneTo(audit);
    expect(audit.seen).toEqual(['e1']);
    expect(bus.stats).toMatchObject({ retries: 2, delivered: 1, deadLettered: 0 });
  });

  it('dead-letters a delivery that keeps failing, with attempts and last error', async () => {
    await deliverOneTo(recordingTarget('audit', 99));
    const letters = deadLetterStore(dataDir).readAll();
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ target: 'audit', attempts: 3, retryable: true, lastError: { message: 'ERP down' }, event: { id: 'e1' } });
  });

  it('does not retry validation errors', async () => {
    const invalid = new InvalidEventError('detail.account: required');
    const bus = await deliverOneTo(recordingTarget('audit', 99, invalid));
    expect(bus.stats.retries).toBe(0);
    expect(deadLetterStore(dataDir).readAll()[0]).toMatchObject({ attempts: 1, retryable: false });
  });

  it('redelivers, after a restart, what was accepted but not settled (nothing accepted is lost)', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const stuck: Target = { name: 'audit', invoke: () => gate };
    const first = new LocalEventBus({ dataDir, routes: routes.slice(0, 1), targets: new Map([['audit', stuck]]), retry: fastRetry, concurrency: 1 });
    first.recover();
    first.accept([event('e1'), event('e2'), event('e3')]);
    // Stop with a tiny grace: e1 is still in flight, e2 and e3 are queued.
    await first.stop(10);
    release();

    expect(await restartAndRedeliver()).toEqual({ requeued: 3, seen: ['e1', 'e2', 'e3'] });

    // A third start has nothing left to do: the journal was compacted and settled.
    const third = new LocalEventBus({ dataDir, routes: routes.slice(0, 1), targets: new Map([['audit', recordingTarget('audit')]]) });
    expect(third.recover()).toBe(0);
    await third.stop();
  });

  it('keeps its journal bounded under load that never leaves it idle, and still redelivers what was pending', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    // One delivery never finishes while the runtime runs: the bus is never idle, as under steady load.
    const audit: Target = { name: 'audit', invoke: (e) => (e.id === 'stuck' ? gate : Promise.resolve()) };
    const bus = new LocalEventBus({ dataDir, routes: routes.slice(0, 1), targets: new Map([['audit', audit]]), retry: fastRetry, journalCompactionLines: 40 });
    bus.recover();
    bus.accept([event('stuck')]);
    const journalLines = () => readFileSync(join(dataDir, 'bus', 'journal.jsonl'), 'utf8').split('\n').filter(Boolean).length;
    let longest = 0;
    for (let round = 0; round < 30; round++) {
      bus.accept(Array.from({ length: 5 }, (_, i) => event(`r${round}-${i}`)));
      while (bus.pendingDeliveries > 1) await new Promise((r) => setTimeout(r, 1));
      await new Promise((r) => setTimeout(r, 60)); // the settlement marks' flush
      longest = Math.max(longest, journalLines());
    }
    // 30 rounds journal 180 lines (an event each, and a line of marks per flush); compaction keeps it near the threshold.
    expect(longest).toBeLessThan(40 + 2 * 5 + 1);
    await bus.stop(10);
    release();

    expect(await restartAndRedeliver()).toEqual({ requeued: 1, seen: ['stuck'] });
  });

  it('marks what it settled one journal line per target and flush, and after a restart delivers each event only to the targets it had not reached', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const audit = recordingTarget('audit');
    const stuck: Target = { name: 'access', invoke: () => gate };
    const first = new LocalEventBus({ dataDir, routes, targets: new Map<string, Target>([['audit', audit], ['access', stuck]]), retry: fastRetry });
    first.recover();
    first.accept([event('r1', 'Role Assigned'), event('r2', 'Role Assigned'), event('op', 'Operation Audited')]);
    while (audit.seen.length < 3) await new Promise((r) => setTimeout(r, 1));
    await new Promise((r) => setTimeout(r, 60)); // the settlement marks' flush
    const lines = readFileSync(join(dataDir, 'bus', 'journal.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { kind: string; target?: string; eventIds?: string[] });
    expect(lines.filter((l) => l.kind === 'settled')).toEqual([expect.objectContaining({ target: 'audit', outcome: 'delivered', eventIds: expect.arrayContaining(['r1', 'r2', 'op']) })]);
    await first.stop(10);
    release();

    const again = { audit: recordingTarget('audit'), access: recordingTarget('access') };
    const second = new LocalEventBus({ dataDir, routes, targets: new Map<string, Target>(Object.entries(again)), retry: fastRetry });
    expect(second.recover()).toBe(2);
    await second.whenIdle();
    await second.stop();
    expect({ audit: again.audit.seen, access: again.access.seen.sort() }).toEqual({ audit: [], access: ['r1', 'r2'] });
  });

  it('replays a journal an earlier version wrote, with a settlement line per event and target', async () => {
    const journal = join(dataDir, 'bus', 'journal.jsonl');
    mkdirSync(join(dataDir, 'bus'), { recursive: true });
    const lines = [
      { kind: 'event', event: event('r1', 'Role Assigned'), targets: ['audit', 'access'] },
      { kind: 'event', event: event('op'), targets: ['audit'] },
      { kind: 'settled', eventId: 'r1', target: 'audit', outcome: 'delivered' },
      { kind: 'settled', eventId: 'op', target: 'audit', outcome: 'delivered' },
    ];
    writeFileSync(journal, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    const again = { audit: recordingTarget('audit'), access: recordingTarget('access') };
    const bus = new LocalEventBus({ dataDir, routes, targets: new Map<string, Target>(Object.entries(again)), retry: fastRetry });
    expect(bus.recover()).toBe(1);
    await bus.whenIdle();
    await bus.stop();
    expect({ audit: again.audit.seen, access: again.access.seen }).toEqual({ audit: [], access: ['r1'] });
  });

  it('tells a caller how one delivery ended: what the target returned, or why it was dead-lettered', async () => {
    const answering: Target = { name: 'audit', invoke: async (e) => ({ handled: e.id }) };
    const bus = new LocalEventBus({ dataDir, routes: routes.slice(0, 1), targets: new Map([['audit', answering]]), retry: fastRetry });
    bus.recover();
    expect(await bus.deliverAndWait(event('e1'), 'audit')).toEqual({ outcome: 'delivered', result: { handled: 'e1' }, attempts: 1 });
    await bus.stop();
    const failing = new LocalEventBus({ dataDir, routes: routes.slice(0, 1), targets: new Map([['audit', recordingTarget('audit', 99, new InvalidEventError('no such schedule'))]]), retry: fastRetry });
    failing.recover();
    expect(await failing.deliverAndWait(event('e2'), 'audit')).toMatchObject({ outcome: 'dead-lettered', error: { name: 'InvalidEventError', message: 'no such schedule' }, attempts: 1 });
    await failing.stop();
  });

  it('shows every accepted event to its observers; without durability it journals nothing', async () => {
    const audit = recordingTarget('audit');
    const bus = new LocalEventBus({ dataDir, routes: routes.slice(0, 1), targets: new Map([['audit', audit]]), retry: fastRetry, durable: false });
    const seen: string[] = [];
    const stop = bus.observe((events) => seen.push(...events.map((e) => e.id)));
    expect(bus.recover()).toBe(0);
    bus.accept([event('e1'), event('e2')]);
    stop();
    bus.accept([event('e3')]);
    await bus.whenIdle();
    await bus.stop();
    expect(seen).toEqual(['e1', 'e2']);
    expect(audit.seen.sort()).toEqual(['e1', 'e2', 'e3']);
    expect(existsSync(join(dataDir, 'bus', 'journal.jsonl'))).toBe(false);
  });

  describe('batched targets', () => {
    /** A batched target that fails `failing` once inside a batch and records every invocation's events. */
    function batchedTarget(size: number, failing: readonly string[] = []): Target & { batches: string[][]; singles: string[] } {
      const batches: string[][] = [];
      const singles: string[] = [];
      return {
        name: 'audit',
        batch: { size },
        batches,
        singles,
        async invoke(e) {
          singles.push(e.id);
        },
        async invokeBatch(events) {
          batches.push(events.map((e) => e.id));
          return events.map((e) => e.id).filter((id) => failing.includes(id));
        },
      };
    }

    it('starts the first of the deliveries an event brings at once and each other one a turn later, so the first reaches its request before the others run', async () => {
      const steps: string[] = [];
      const target = (name: string, work: () => Promise<void>): Target => ({
        name,
        batch: { size: 10 },
        async invoke() {},
        async invokeBatch() {
          steps.push(`${name} starts`);
          await work();
          return [];
        },
      });
      // The trail's way to its request: a few awaits, no turn of the event loop.
      const audit = target('audit', async () => {
        for (let i = 0; i < 5; i++) await Promise.resolve();
        steps.push('audit sends its request');
      });
      const access = target('access', async () => void steps.push('access computes'));
      const bus = new LocalEventBus({ dataDir, routes, targets: new Map([['audit', audit], ['access', access]]), retry: fastRetry });
      bus.recover();
      bus.accept([event('e1', 'Role Assigned')]);
      await bus.whenIdle();
      expect(steps).toEqual(['audit starts', 'audit sends its request', 'access starts', 'access computes']);
      await bus.stop();
    });

    /** Batched targets of size `size` that log each batch they start and wait for `release()` to end it. */
    function gatedTargets(names: readonly string[], size: number) {
      const started: string[] = [];
      const gates: (() => void)[] = [];
      const targets = new Map<string, Target>(
        names.map((name) => [
          name,
          {
            name,
            batch: { size },
            async invoke() {},
            async invokeBatch(events) {
              started.push(`${name}:${events.map((e) => e.id).join(',')}`);
              await new Promise<void>((resolve) => gates.push(resolve));
              return [];
            },
          },
        ]),
      );
      /** Ends the oldest running batch, and lets the bus start what follows. */
      const release = async () => {
        (gates.shift() as () => void)();
        await new Promise((resolve) => setImmediate(resolve));
      };
      return { started, targets, release };
    }

    it("starts an event's batched deliveries in the routing table's order, whatever the events before it reached", async () => {
      // Given in the other order: the routing table decides, not the map of targets.
      const { started, targets, release } = gatedTargets(['access', 'audit'], 10);
      const bus = new LocalEventBus({ dataDir, routes, targets, retry: fastRetry });
      bus.recover();
      // One event both take, one only the trail takes, then one both take: turns taken in rotation would now put access first.
      bus.accept([event('r0', 'Role Assigned')]);
      await new Promise((resolve) => setImmediate(resolve));
      await release();
      await release();
      bus.accept([event('o1')]);
      await release();
      bus.accept([event('r1', 'Role Assigned')]);
      await new Promise((resolve) => setImmediate(resolve));
      expect(started).toEqual(['audit:r0', 'access:r0', 'audit:o1', 'audit:r1', 'access:r1']);
      await release();
      await release();
      await bus.whenIdle();
      await bus.stop();
    });

    it('of the targets with a batch to take, starts the one whose oldest delivery has waited longest', async () => {
      const { started, targets, release } = gatedTargets(['audit', 'access'], 1);
      const bus = new LocalEventBus({ dataDir, routes, targets, retry: fastRetry, concurrency: 1 });
      bus.recover();
      bus.accept([event('o1'), event('o2')]);
      bus.accept([event('r1', 'Role Assigned')]);
      // The trail holds the one slot with o1; it still has o2 waiting, older than access's r1.
      expect(started).toEqual(['audit:o1']);
      for (let i = 0; i < 3; i++) await release();
      expect(started).toEqual(['audit:o1', 'audit:o2', 'audit:r1', 'access:r1']);
      await release();
      await bus.whenIdle();
      await bus.stop();
    });

    it('delivers routed events in batches up to the size while every slot is busy, and at once when a slot is free', async () => {
      const target = batchedTarget(4);
      const bus = new LocalEventBus({ dataDir, routes: routes.slice(0, 1), targets: new Map([['audit', target]]), retry: fastRetry, concurrency: 1 });
      bus.recover();
      bus.accept([event('e1')]);
      bus.accept(Array.from({ length: 9 }, (_, i) => event(`b${i}`)));
      await bus.whenIdle();
      expect(target.batches).toEqual([['e1'], ['b0', 'b1', 'b2', 'b3'], ['b4', 'b5', 'b6', 'b7'], ['b8']]);
      expect(bus.stats).toMatchObject({ delivered: 10, retries: 0 });
      await bus.stop();
    });

    it('under load, lets the next batch fill for a moment (within its window) before taking what waits; unloaded, delivers at once', async () => {
      const gates: (() => void)[] = [];
      const batches: { ids: string[]; at: number }[] = [];
      const target: Target = {
        name: 'audit',
        batch: { size: 10, maxWaitMs: 1_000 },
        async invoke() {},
        async invokeBatch(events) {
          batches.push({ ids: events.map((e) => e.id), at: performance.now() });
          await new Promise<void>((resolve) => gates.push(resolve));
          return [];
        },
      };
      const endBatch = async () => {
        (gates.shift() as () => void)();
        // The batch's end is handled in microtasks; setImmediate runs after them and before any timer set meanwhile.
        await new Promise((resolve) => setImmediate(resolve));
      };
      const bus = new LocalEventBus({ dataDir, routes: routes.slice(0, 1), targets: new Map([['audit', target]]), retry: fastRetry });
      bus.recover();
      bus.accept([event('e1')]);
      expect(batches.map((b) => b.ids)).toEqual([['e1']]);
      bus.accept(['b0', 'b1', 'b2'].map((id) => event(id)));
      await endBatch();
      // Three wait behind the batch that ended: the next waits to fill...
      expect(batches).toHaveLength(1);
      // ...and goes as soon as it is full.
      bus.accept(Array.from({ length: 7 }, (_, i) => event(`c${i}`)));
      expect(batches.map((b) => b.ids)[1]).toEqual(['b0', 'b1', 'b2', ...Array.from({ length: 7 }, (_, i) => `c${i}`)]);
      await endBatch();
      // Nothing waited behind it: the next event goes at once.
      bus.accept([event('d0')]);
      expect(batches.map((b) => b.ids)[2]).toEqual(['d0']);
      bus.accept([event('x0')]);
      const ended = performance.now();
      await endBatch();
      expect(batches).toHaveLength(3);
      // Not full: taken when the moment is over (timers may fire up to a millisecond early).
      for (let waited = 0; batches.length < 4 && waited < 200; waited++) await new Promise((resolve) => setTimeout(resolve, 5));
      expect(batches[3]?.ids).toEqual(['x0']);
      expect((batches[3]?.at ?? 0) - ended).toBeGreaterThanOrEqual(LOADED_BATCH_FILL_MS - 1);
      await endBatch();
      await bus.whenIdle();
      expect(bus.stats).toMatchObject({ delivered: 13, retries: 0 });
      await bus.stop();
    });

    it('retries a failed record alone; the rest of its batch is not redelivered', async () => {
      const target = batchedTarget(10, ['e2']);
      const bus = new LocalEventBus({ dataDir, routes: routes.slice(0, 1), targets: new Map([['audit', target]]), retry: fastRetry });
      bus.recover();
      bus.accept([event('e1'), event('e2'), event('e3')]);
      await bus.whenIdle();
      expect(target.batches).toEqual([['e1', 'e2', 'e3']]);
      expect(target.singles).toEqual(['e2']);
      expect(bus.stats).toMatchObject({ delivered: 3, retries: 1, deadLettered: 0 });
      expect(bus.pendingDeliveries).toBe(0);
      await bus.stop();
    });

    it('sends events meant for one target (schedules) directly, not in a batch', async () => {
      const target = batchedTarget(10);
      const bus = new LocalEventBus({ dataDir, routes: routes.slice(0, 1), targets: new Map([['audit', target]]), retry: fastRetry });
      bus.recover();
      bus.acceptFor(event('tick', 'Scheduled Event'), 'audit');
      await bus.whenIdle();
      expect(target.singles).toEqual(['tick']);
      expect(target.batches).toEqual([]);
      await bus.stop();
    });
  });

  it('refuses events once stopping', async () => {
    const bus = new LocalEventBus({ dataDir, routes, targets: new Map([['audit', recordingTarget('audit')], ['access', recordingTarget('access')]]) });
    bus.recover();
    await bus.stop();
    expect(() => bus.accept([event('late')])).toThrow(/shutting down/);
  });
});

describe('retry helpers', () => {
  it('backs off exponentially with jitter, capped', () => {
    const policy = { maxAttempts: 10, baseDelayMs: 100, maxDelayMs: 1000 };
    expect(backoffDelay(policy, 1, () => 0)).toBe(50);
    expect(backoffDelay(policy, 1, () => 1)).toBe(100);
    expect(backoffDelay(policy, 3, () => 1)).toBe(400);
    expect(backoffDelay(policy, 8, () => 1)).toBe(1000);
  });

  it('compacts the journal from the threshold on, once at least half of it is history', () => {
    expect(journalNeedsCompaction(9_999, 0, 10_000)).toBe(false);
    expect(journalNeedsCompaction(10_000, 0, 10_000)).toBe(true);
    expect(journalNeedsCompaction(10_000, 5_000, 10_000)).toBe(true);
    expect(journalNeedsCompaction(10_000, 5_001, 10_000)).toBe(false); // rewriting would not even halve it
    expect(journalNeedsCompaction(12_000, 6_000, 10_000)).toBe(true);
  });

  it('classifies errors', () => {
    expect(isRetryable(new Error('socket hang up'))).toBe(true);
    expect(isRetryable(z.string().safeParse(1).error)).toBe(false);
    expect(isRetryable(new InvalidEventError('bad detail'))).toBe(false);
    expect(isRetryable(new ConfigurationError('STATE_TABLE_NAME is not set'))).toBe(false);
    expect(isRetryable(new TransientError('lease held'))).toBe(true);
    // Retryability is decided by type, not by a name an error happens to carry.
    expect(isRetryable(Object.assign(new Error('x'), { name: 'InvalidEventError' }))).toBe(true);
  });
});
