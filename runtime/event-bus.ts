/**
 * The local event bus: a durable journal of accepted events, routing by the routing table,
 * and deliveries to targets with retries, back-off and a dead-letter store.
 *
 * Guarantees (the same as EventBridge's): at-least-once delivery, no ordering. An event is
 * journaled (fsync) before PutEvents answers, so an accepted event survives a crash; a
 * delivery is marked settled only after the target returned (or the event was
 * dead-lettered), so a crash in between means redelivery, which handlers absorb because
 * they are idempotent on the event id.
 */
import { isRetryable } from '../schemas/errors.ts';
import { join } from 'node:path';
import { systemClock, type Clock } from '../functions/shared/clock.ts';
import type { RoutedFunction } from '../infra/routes.ts';
import { JsonlStore } from './jsonl-store.ts';
import type { BusEvent } from './put-events.ts';

export interface Target {
  readonly name: string;
  invoke(event: BusEvent): Promise<unknown>;
  /**
   * A batched target (`batch` in the routing table): routed events are delivered up to `size`
   * at a time through `invokeBatch`, which resolves with the ids of the events that failed;
   * each failed event is retried alone (through `invoke`, with the usual back-off), the rest of
   * its batch is done. Events for the target sent directly (schedules) go through `invoke`.
   */
  readonly batch?: {
    readonly size: number;
    /** Its batching window (`maxWaitSeconds` in the routing table): under load the bus waits at most `LOADED_BATCH_FILL_MS` of it for a batch to fill. */
    readonly maxWaitMs?: number;
  };
  invokeBatch?(events: readonly BusEvent[]): Promise<readonly string[]>;
}

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

/**
 * Under load, how long a batched target's next batch may wait to fill: once a batch ends with
 * fewer than a batch's worth of events waiting behind it, the next is taken when it is full or
 * this long after (never longer than the target's own window). The batching window of an SQS
 * event source mapping, kept short: under load every invocation's fixed cost (the trail's
 * intent, block and head; a batch's reads) is shared by a full batch, and the saturating bench
 * carries about a sixth fewer requests per event. Unloaded, nothing waits when a batch ends,
 * so an event is still delivered at once.
 */
export const LOADED_BATCH_FILL_MS = 20;

export const defaultRetryPolicy: RetryPolicy = { maxAttempts: 6, baseDelayMs: 200, maxDelayMs: 30_000 };

type JournalRecord =
  | { readonly kind: 'event'; readonly event: BusEvent; readonly targets: readonly string[] }
  /** Deliveries to one target that ended the same way, one line for the many settled in a moment (a batch's). */
  | { readonly kind: 'settled'; readonly eventIds: readonly string[]; readonly target: string; readonly outcome: SettledOutcome }
  /** A settlement line as an earlier erpgov wrote it, one per event and target: still read, never written. */
  | { readonly kind: 'settled'; readonly eventId: string; readonly target: string; readonly outcome: SettledOutcome };

type SettledOutcome = 'delivered' | 'dead-lettered';
const SETTLED_IDS_PER_LINE = 500;

export interface DeadLetter {
  readonly deadLetteredAt: string;
  readonly target: string;
  readonly attempts: number;
  readonly retryable: boolean;
  readonly lastError: { readonly name: string; readonly message: string };
  readonly event: BusEvent;
}

export interface BusStats {
  /** Events routed by the rules (PutEvents, injected, the pipeline's own). */
  accepted: number;
  /** Events handed straight to one function (`acceptFor`: schedule fires). */
  direct: number;
  deliveries: number;
  delivered: number;
  retries: number;
  deadLettered: number;
  redeliveredAfterRestart: number;
  /** PutEvents calls the public door turned away with ThrottlingException while the backlog was full (`maxBacklog`). */
  throttled: number;
}

export interface EventBusOptions {
  readonly dataDir: string;
  readonly routes: readonly RoutedFunction[];
  readonly targets: ReadonlyMap<string, Target>;
  readonly retry?: RetryPolicy;
  /** Deliveries running at once across all targets. */
  readonly concurrency?: number;
  readonly onDeadLetter?: (letter: DeadLetter) => void;
  /**
   * false: no journal (a throw-away simulation): nothing survives a crash, and nothing is
   * fsync'd per event. Default true.
   */
  readonly durable?: boolean;
  /** Dead-letter times (a simulation's virtual clock). Default: the system clock. */
  readonly clock?: Clock;
  /** Journal lines from which the journal is compacted to what is still pending (see `journalNeedsCompaction`). Default 10,000. */
  readonly journalCompactionLines?: number;
}

/** How one delivery ended: what the target returned, or why it was dead-lettered. */
export type DeliveryResult =
  | { readonly outcome: 'delivered'; readonly result: unknown; readonly attempts: number }
  | { readonly outcome: 'dead-lettered'; readonly error: { readonly name: string; readonly message: string }; readonly attempts: number }
  /** The runtime stopped first: the delivery stays in the journal for the next start. */
  | { readonly outcome: 'pending'; readonly attempts: number };

/** Sees every event the bus accepted (routed or not), in order. */
export type AcceptedListener = (events: readonly BusEvent[]) => void;

export { isRetryable };

export function deadLetterStore(dataDir: string): JsonlStore<DeadLetter> {
  return new JsonlStore<DeadLetter>(join(dataDir, 'bus', 'dead-letters.jsonl'));
}

interface Delivery {
  readonly event: BusEvent;
  readonly target: Target;
  /** When it was queued, in the bus's order of acceptance: deliveries of one event share it. */
  readonly order: number;
  attempts: number;
}

/** Whether routed deliveries to the target go in batches (`invokeBatch`) rather than one by one. */
const takesBatches = (target: Target | undefined): boolean => target?.batch !== undefined && target.invokeBatch !== undefined;

/** Routed deliveries to one batched target, delivered together. */
interface BatchDelivery {
  readonly batch: readonly Delivery[];
  readonly target: Target;
}

export class LocalEventBus {
  readonly stats: BusStats = { accepted: 0, direct: 0, deliveries: 0, delivered: 0, retries: 0, deadLettered: 0, redeliveredAfterRestart: 0, throttled: 0 };
  private readonly journal: JsonlStore<JournalRecord>;
  private readonly deadLetters: JsonlStore<DeadLetter>;
  private readonly retry: RetryPolicy;
  private readonly concurrency: number;
  private readonly ready: Delivery[] = [];
  /**
   * Per batched target: routed deliveries waiting for a free slot, taken up to the batch size at
   * a time. Its keys start in the routing table's order, which breaks ties (`nextBatch`).
   */
  private readonly batching = new Map<string, Delivery[]>();
  /** The `order` of the next delivery queued. */
  private nextOrder = 0;
  /** Per batched target: its batch invocations running now. */
  private readonly batchesInFlight = new Map<string, number>();
  /** Per batched target whose next batch waits to fill (`LOADED_BATCH_FILL_MS`): the timer that ends the wait. */
  private readonly filling = new Map<string, NodeJS.Timeout>();
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  /** Accepted events whose deliveries are not all settled, with the targets left: what a compacted journal keeps. */
  private readonly outstanding = new Map<string, { readonly event: BusEvent; readonly targets: Set<string> }>();
  /** Settlements not yet written, by outcome and target: a journal line for each (up to `SETTLED_IDS_PER_LINE` ids) when flushed. */
  private readonly settledBuffer = new Map<SettledOutcome, Map<string, string[]>>();
  private flushTimer: NodeJS.Timeout | undefined;
  private running = 0;
  private journalLines = 0;
  private stopping = false;
  private idleWaiters: (() => void)[] = [];
  private readonly resultWaiters = new Map<string, (result: DeliveryResult) => void>();
  private readonly listeners = new Set<AcceptedListener>();
  private readonly durable: boolean;
  private readonly clock: Clock;
  private readonly journalCompactionLines: number;

  constructor(private readonly options: EventBusOptions) {
    this.journal = new JsonlStore<JournalRecord>(join(options.dataDir, 'bus', 'journal.jsonl'));
    this.deadLetters = deadLetterStore(options.dataDir);
    this.retry = options.retry ?? defaultRetryPolicy;
    this.concurrency = options.concurrency ?? 8;
    this.durable = options.durable ?? true;
    this.clock = options.clock ?? systemClock;
    this.journalCompactionLines = options.journalCompactionLines ?? 10_000;
    for (const fn of options.routes) if (takesBatches(options.targets.get(fn.name))) this.batching.set(fn.name, []);
  }

  /** Calls `listener` with every batch of accepted events; returns a function that stops it. */
  observe(listener: AcceptedListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Like `acceptFor`, and resolves when that delivery has ended (after its retries): with what
   * the target returned, or why it was dead-lettered. `erpgov schedule run` shows it.
   */
  deliverAndWait(event: BusEvent, targetName: string): Promise<DeliveryResult> {
    const settled = new Promise<DeliveryResult>((resolve) => this.resultWaiters.set(waiterKey(event.id, targetName), resolve));
    this.acceptFor(event, targetName);
    return settled;
  }

  /** Re-queues deliveries that were accepted but not settled before the last stop or crash. */
  recover(): number {
    if (!this.durable) return 0;
    const pending = new Map<string, { event: BusEvent; targets: Set<string> }>();
    for (const record of this.journal.readAll()) {
      if (record.kind === 'event') pending.set(record.event.id, { event: record.event, targets: new Set(record.targets) });
      else for (const eventId of 'eventIds' in record ? record.eventIds : [record.eventId]) pending.get(eventId)?.targets.delete(record.target);
    }
    const survivors: JournalRecord[] = [];
    let requeued = 0;
    for (const { event, targets } of pending.values()) {
      if (targets.size === 0) continue;
      survivors.push({ kind: 'event', event, targets: [...targets] });
      this.track(event, [...targets]);
      requeued += targets.size;
    }
    // Compact: the journal keeps only what still has to be delivered.
    this.journal.rewrite(survivors);
    this.journalLines = survivors.length;
    this.stats.redeliveredAfterRestart += requeued;
    this.pump();
    return requeued;
  }

  /** Names of the functions whose rules match the event. */
  route(event: BusEvent): string[] {
    return this.options.routes.filter((fn) => fn.rules.some((r) => r.compiled.matches(event))).map((fn) => fn.name);
  }

  /**
   * Journals the events and queues their deliveries. The journal write is on disk once
   * `whenJournaled` resolves: the endpoint answers PutEvents only then (group commit).
   */
  accept(events: readonly BusEvent[]): void {
    this.acceptRouted(events.map((event) => ({ event, targets: this.route(event) })));
  }

  /** Resolves once every event accepted so far is on disk; calls in the same moment share one fsync. */
  whenJournaled(): Promise<void> {
    return this.durable ? this.journal.flush() : Promise.resolve();
  }

  /** For schedules: an event that goes to one named target, not through the rules. */
  acceptFor(event: BusEvent, targetName: string): void {
    this.acceptRouted([{ event, targets: [targetName] }], true);
  }

  private acceptRouted(routed: readonly { event: BusEvent; targets: string[] }[], direct = false): void {
    if (this.stopping) throw new Error('the bus is shutting down and accepts no more events');
    const records: JournalRecord[] = routed.filter((r) => r.targets.length > 0).map((r) => ({ kind: 'event', event: r.event, targets: r.targets }));
    if (this.durable) {
      this.journal.write(records);
      this.journalLines += records.length;
      // On disk soon even when nobody waits (a schedule's fire): the endpoint awaits this same
      // group commit before it answers, and sees its failure; here a failure is only reported.
      this.journal.flush().catch((err: unknown) => console.error(`erpgov: the bus journal could not be flushed to disk: ${(err as Error).message}`));
    }
    if (direct) this.stats.direct += routed.length;
    else this.stats.accepted += routed.length;
    for (const r of routed) this.track(r.event, r.targets, direct);
    if (this.listeners.size > 0) {
      const events = routed.map((r) => r.event);
      for (const listener of this.listeners) listener(events);
    }
    this.pump();
  }

  private track(event: BusEvent, targetNames: readonly string[], direct = false): void {
    if (targetNames.length === 0) return;
    this.outstanding.set(event.id, { event, targets: new Set(targetNames) });
    const order = this.nextOrder++;
    for (const name of targetNames) {
      const target = this.options.targets.get(name);
      if (!target) throw new Error(`no target named "${name}" is registered with the bus`);
      const delivery = { event, target, order, attempts: 0 };
      if (!direct && takesBatches(target)) {
        const waiting = this.batching.get(name) ?? [];
        waiting.push(delivery);
        this.batching.set(name, waiting);
      } else this.ready.push(delivery);
    }
  }

  /**
   * The next batch to deliver, like an event source mapping polling its queue with a batching
   * window: a target with no batch in flight gets what is waiting at once (unloaded, an event is
   * delivered without delay); while one of its batches runs, the next waits to fill to the batch
   * size or for that batch to end, and if that batch left fewer than a batch behind it, for up
   * to `LOADED_BATCH_FILL_MS` more; so under load batches fill and each invocation's fixed cost
   * (the trail's intent, a batch's reads) is shared by many events. Of the targets with a batch
   * to take, the one whose oldest delivery waited longest goes first (none falls behind for
   * long); of one event's deliveries, the routing table's order decides, and the audit trail,
   * first there, gets its write on its way before the others' work (`pump`).
   */
  private nextBatch(): BatchDelivery | undefined {
    let next: { name: string; waiting: Delivery[]; oldest: Delivery; size: number } | undefined;
    for (const [name, waiting] of this.batching) {
      const oldest = waiting[0];
      if (oldest === undefined || (next && next.oldest.order <= oldest.order)) continue;
      const size = oldest.target.batch?.size ?? 1;
      if (waiting.length < size && ((this.batchesInFlight.get(name) ?? 0) > 0 || this.filling.has(name))) continue;
      next = { name, waiting, oldest, size };
    }
    if (!next) return undefined;
    clearTimeout(this.filling.get(next.name));
    this.filling.delete(next.name);
    return { batch: next.waiting.splice(0, next.size), target: next.oldest.target };
  }

  /**
   * Starts what can run. The first job starts at once; each further job started in the same
   * call waits one turn of the event loop (`setImmediate`), so that one job's run up to its first
   * request is not interleaved with the others' work: on AWS each function is its own Lambda,
   * here they share this thread. An event routed to the trail and to two functions that only
   * compute gets the trail's request on its way first (`nextBatch` takes the trail first), and
   * the others run while it is in flight.
   */
  private pump(): void {
    for (let started = 0; !this.stopping && this.running < this.concurrency; started++) {
      const job: Delivery | BatchDelivery | undefined = this.ready.shift() ?? this.nextBatch();
      if (!job) break;
      this.running++;
      const run = () =>
        void ('batch' in job ? this.deliverBatch(job) : this.deliver(job)).finally(() => {
          this.running--;
          this.pump();
          this.notifyIfIdle();
        });
      if (started === 0) run();
      else setImmediate(run);
    }
  }

  /** One batch invocation; the events it reports failed (or all, if it throws) are retried alone. */
  private async deliverBatch({ batch, target }: BatchDelivery): Promise<void> {
    this.stats.deliveries += batch.length;
    this.batchesInFlight.set(target.name, (this.batchesInFlight.get(target.name) ?? 0) + 1);
    let failed: ReadonlySet<string>;
    try {
      failed = new Set(await (target.invokeBatch as NonNullable<Target['invokeBatch']>)(batch.map((d) => d.event)));
    } catch {
      failed = new Set(batch.map((d) => d.event.id));
    } finally {
      this.batchesInFlight.set(target.name, (this.batchesInFlight.get(target.name) ?? 1) - 1);
      this.letNextBatchFill(target);
    }
    for (const delivery of batch) {
      delivery.attempts++;
      if (!failed.has(delivery.event.id)) {
        this.stats.delivered++;
        this.settle(delivery, 'delivered');
        continue;
      }
      if (this.stopping) continue; // left pending in the journal: delivered after restart
      this.stats.retries++;
      this.retryLater(delivery);
    }
  }

  /** After a batch of `target` ends: if some of its events wait, but fewer than a batch, and none of its batches runs, the next waits a moment to fill. */
  private letNextBatchFill(target: Target): void {
    const waitMs = Math.min(LOADED_BATCH_FILL_MS, target.batch?.maxWaitMs ?? 0);
    const waiting = this.batching.get(target.name)?.length ?? 0;
    if (this.stopping || waitMs <= 0 || waiting === 0 || waiting >= (target.batch?.size ?? 1) || (this.batchesInFlight.get(target.name) ?? 0) > 0) return;
    this.filling.set(
      target.name,
      setTimeout(() => {
        this.filling.delete(target.name);
        this.pump();
      }, waitMs),
    );
  }

  private retryLater(delivery: Delivery): void {
    const timer = setTimeout(() => {
      this.retryTimers.delete(timer);
      this.ready.push(delivery);
      this.pump();
    }, backoffDelay(this.retry, delivery.attempts));
    this.retryTimers.add(timer);
  }

  private async deliver(delivery: Delivery): Promise<void> {
    delivery.attempts++;
    this.stats.deliveries++;
    try {
      const result = await delivery.target.invoke(delivery.event);
      this.stats.delivered++;
      this.settle(delivery, 'delivered');
      this.resultWaiters.get(waiterKey(delivery.event.id, delivery.target.name))?.({ outcome: 'delivered', result, attempts: delivery.attempts });
      this.resultWaiters.delete(waiterKey(delivery.event.id, delivery.target.name));
    } catch (err) {
      const retryable = isRetryable(err);
      if (retryable && delivery.attempts < this.retry.maxAttempts && !this.stopping) {
        this.stats.retries++;
        this.retryLater(delivery);
        return;
      }
      if (this.stopping && retryable) return; // left pending in the journal: retried after restart
      const letter: DeadLetter = {
        deadLetteredAt: this.clock.now().toISOString(),
        target: delivery.target.name,
        attempts: delivery.attempts,
        retryable,
        lastError: { name: (err as Error)?.name ?? 'Error', message: (err as Error)?.message ?? String(err) },
        event: delivery.event,
      };
      this.deadLetters.append([letter]);
      this.stats.deadLettered++;
      this.settle(delivery, 'dead-lettered');
      this.options.onDeadLetter?.(letter);
      this.resultWaiters.get(waiterKey(delivery.event.id, delivery.target.name))?.({ outcome: 'dead-lettered', error: letter.lastError, attempts: delivery.attempts });
      this.resultWaiters.delete(waiterKey(delivery.event.id, delivery.target.name));
    }
  }

  private settle(delivery: Delivery, outcome: SettledOutcome): void {
    const left = this.outstanding.get(delivery.event.id)?.targets;
    left?.delete(delivery.target.name);
    if (left && left.size === 0) this.outstanding.delete(delivery.event.id);
    if (!this.durable) return;
    // Settlement marks are flushed in batches: losing one in a crash only means a redelivery.
    let byTarget = this.settledBuffer.get(outcome);
    if (!byTarget) this.settledBuffer.set(outcome, (byTarget = new Map()));
    const ids = byTarget.get(delivery.target.name);
    if (ids) ids.push(delivery.event.id);
    else byTarget.set(delivery.target.name, [delivery.event.id]);
    this.flushTimer ??= setTimeout(() => this.flushSettled(), 50);
  }

  private flushSettled(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (journalNeedsCompaction(this.journalLines, this.outstanding.size, this.journalCompactionLines)) {
      // Everything else in the journal is history: its settlement marks (flushed or still
      // buffered) only cancel events that are no longer outstanding.
      const survivors: JournalRecord[] = [...this.outstanding.values()].map(({ event, targets }) => ({ kind: 'event', event, targets: [...targets] }));
      this.journal.rewrite(survivors);
      this.journalLines = survivors.length;
      this.settledBuffer.clear();
      return;
    }
    if (this.settledBuffer.size === 0) return;
    const lines: JournalRecord[] = [];
    for (const [outcome, byTarget] of this.settledBuffer) {
      for (const [target, ids] of byTarget) {
        // Bounded lines: a line torn by a crash costs the redelivery of its ids only.
        for (let i = 0; i < ids.length; i += SETTLED_IDS_PER_LINE) lines.push({ kind: 'settled', eventIds: ids.slice(i, i + SETTLED_IDS_PER_LINE), target, outcome });
      }
    }
    this.settledBuffer.clear();
    this.journalLines += lines.length;
    // Not waited for: the next group commit (or the close) puts them on disk.
    this.journal.write(lines);
  }

  /** Events accepted whose deliveries are not all settled yet: what the bus holds in memory. */
  get backlog(): number {
    return this.outstanding.size;
  }

  /** Deliveries accepted but not yet settled (in flight, queued or waiting to retry). */
  get pendingDeliveries(): number {
    let n = 0;
    for (const { targets } of this.outstanding.values()) n += targets.size;
    return n;
  }

  /** Resolves when nothing is queued, running or waiting to retry. */
  whenIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private isIdle(): boolean {
    if (this.running > 0 || this.ready.length > 0 || this.retryTimers.size > 0) return false;
    for (const waiting of this.batching.values()) if (waiting.length > 0) return false;
    return true;
  }

  private notifyIfIdle(): void {
    if (!this.isIdle()) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  /**
   * Graceful stop: no new events; deliveries in flight finish (up to `graceMs`); queued and
   * retrying ones stay in the journal and are delivered after the next start. Nothing
   * accepted is lost.
   */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    for (const timer of this.retryTimers) clearTimeout(timer);
    this.retryTimers.clear();
    for (const timer of this.filling.values()) clearTimeout(timer);
    this.filling.clear();
    this.ready.length = 0;
    this.batching.clear();
    const deadline = Date.now() + graceMs;
    while (this.running > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    this.flushSettled();
    for (const resolve of this.resultWaiters.values()) resolve({ outcome: 'pending', attempts: 0 });
    this.resultWaiters.clear();
    this.journal.close();
    this.deadLetters.close();
    this.notifyIfIdle();
  }
}

/**
 * Whether the journal should be rewritten to the events still outstanding: once it holds
 * `threshold` lines and at least twice as many as would survive. Under steady load something
 * is always in flight, so waiting for an idle moment would let the journal (and the reading of
 * it at the next start) grow for as long as the runtime runs; halving it at least each time
 * keeps the rewrites' cost proportional to what was appended. Pure.
 */
export function journalNeedsCompaction(journalLines: number, outstandingEvents: number, threshold: number): boolean {
  return journalLines >= threshold && journalLines >= 2 * outstandingEvents;
}

const waiterKey = (eventId: string, target: string) => `${eventId}\n${target}`;

/** Exponential back-off with full jitter, capped. */
export function backoffDelay(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
