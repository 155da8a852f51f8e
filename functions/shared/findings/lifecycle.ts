/**
 * The finding lifecycle every function raises findings through: raise (open, re-open, or
 * update the evidence of a live finding), resolve, reconcile a scope against what the checks
 * call for, acknowledge, and accept as an exception with an owner and an expiry.
 *
 * Each change is one optimistic write of the finding (its version), carrying the events it
 * calls for as `pending`; then the events are published and `pending` cleared. A crash
 * between the write and the publish is finished by the next touch of the finding (a
 * redelivery, the next sweep), so no change goes unannounced and none is announced twice by
 * the lifecycle (duplicates that do reach the bus are deduped by the notifier).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { EventPublisher, OutgoingEvent } from '../ports.ts';
import { DAY_SECONDS, epochSeconds } from '../time.ts';
import {
  evidenceChanged,
  exceptionCovers,
  findingSource,
  isLive,
  planReconcile,
  raisedEvent,
  resolvedEvent,
  stableFindingId,
  toFindingRaised,
  type Finding,
  type FindingException,
  type FindingHistoryEntry,
  type FindingState,
  type StoredFinding,
} from './finding.ts';
import type { FindingRecord, FindingScope, FindingsStore } from './findings-store.ts';

/** Sticky findings are only remembered long enough to dedupe redeliveries. */
const STICKY_KEPT_DAYS = 90;
/** Resolved findings stay readable (reports, evidence, `findings show`) this long. */
const RESOLVED_KEPT_DAYS = 400;
/** History entries kept per finding (a flapping condition must not grow an item without bound). */
const MAX_HISTORY = 50;
const MAX_ATTEMPTS = 8;

export type RaiseOutcome = 'opened' | 'reopened' | 'updated' | 'unchanged' | 'excepted';

export interface ResolveHow {
  readonly summary: string;
  readonly facts?: Record<string, unknown>;
  readonly eventIds?: readonly string[];
  readonly resolution?: 'fixed' | 'no-longer-applicable';
}

export interface ReconcileOutcome {
  readonly raised: string[];
  readonly updated: string[];
  readonly resolved: string[];
}

export type OperatorOutcome = { ok: true; finding: StoredFinding } | { ok: false; reason: 'unknown' | 'resolved' | 'not-yours' };

export interface LifecycleDeps {
  readonly store: FindingsStore;
  readonly publisher: EventPublisher;
}

const withHistory = (history: readonly FindingHistoryEntry[], entry: FindingHistoryEntry) => [...history, entry].slice(-MAX_HISTORY);

/**
 * Why resolutions are held in the current invocation, if they are: a fact whose own time
 * cannot be believed (see `ClockSkew` in event-handler.ts) never resolves a finding, whatever
 * the flow handling it decides. `governanceHandler` runs such a fact's flow inside
 * `withResolutionsHeld`; the lifecycle then raises and updates as usual but resolves nothing
 * (`resolve` answers false, `reconcile` leaves stale findings live for a believable fact or
 * the next sweep to resolve).
 */
const heldResolutions = new AsyncLocalStorage<string>();

export function withResolutionsHeld<T>(reason: string, run: () => Promise<T>): Promise<T> {
  return heldResolutions.run(reason, run);
}

/** The reason resolutions are held in this invocation, or undefined. */
export const resolutionsHeld = (): string | undefined => heldResolutions.getStore();

/** The lifecycle of one function's findings (`detectedBy`). */
export function findingLifecycle(deps: LifecycleDeps, detectedBy: string) {
  const { store, publisher } = deps;

  /** Publishes what a record still owes the bus, then clears it. */
  async function flush(record: FindingRecord): Promise<void> {
    if (record.pending.length === 0) return;
    await publisher.publish(record.pending);
    await store.clearPending(record.partition, record.finding.findingId, record.version);
  }

  /**
   * Read-decide-write with optimistic concurrency: `decide` gets the current record (or
   * undefined) and returns the next finding with the events it calls for, or undefined for
   * no change. Lost races are decided again on a fresh read.
   */
  async function transition<T>(
    read: () => Promise<FindingRecord | undefined>,
    partition: string,
    decide: (current: FindingRecord | undefined) => { next: StoredFinding; events: OutgoingEvent[]; result: T } | { result: T },
    expiry: (next: StoredFinding) => number | undefined,
  ): Promise<T> {
    let current = await read();
    for (let attempt = 1; ; attempt++) {
      if (current && current.pending.length > 0) await flush(current);
      const decision = decide(current);
      if (!('next' in decision)) return decision.result;
      const version = (current?.version ?? 0) + 1;
      const record: FindingRecord = { partition: current?.partition ?? partition, version, finding: decision.next, pending: decision.events };
      if (await store.save(record, current?.version, expiry(decision.next))) {
        await flush(record);
        return decision.result;
      }
      if (attempt >= MAX_ATTEMPTS) throw new Error(`finding ${decision.next.findingId} kept changing under ${MAX_ATTEMPTS} attempts to write it`);
      current = await read();
    }
  }

  const expiryOf = (now: Date) => (next: StoredFinding) => {
    if (next.sticky) return epochSeconds(now) + STICKY_KEPT_DAYS * DAY_SECONDS;
    if (next.state === 'resolved') return epochSeconds(now) + RESOLVED_KEPT_DAYS * DAY_SECONDS;
    return undefined;
  };

  function decideRaise(current: FindingRecord | undefined, finding: Finding, now: Date) {
    const at = now.toISOString();
    const raised = toFindingRaised(finding, detectedBy);
    const before = current?.finding;
    if (before === undefined) {
      const next: StoredFinding = { findingId: finding.findingId, detectedBy, rule: finding.rule, sticky: finding.sticky === true, state: 'open', raised, firstRaisedAt: at, updatedAt: at, history: [{ at, state: 'open', by: detectedBy }] };
      return { next, events: [raisedEvent(raised)], result: 'opened' as RaiseOutcome };
    }
    if (before.state === 'resolved') {
      if (before.sticky) return { result: 'unchanged' as RaiseOutcome };
      const { resolvedAt: _resolved, acknowledgedBy: _ack, exception: _exception, ...rest } = before;
      const next: StoredFinding = { ...rest, state: 'open', raised, updatedAt: at, history: withHistory(before.history, { at, state: 'open', by: detectedBy, note: 're-opened' }) };
      return { next, events: [raisedEvent(raised)], result: 'reopened' as RaiseOutcome };
    }
    if (before.state === 'excepted' && !exceptionCovers(before, now)) {
      // The exception lapsed and the condition is still there: open again, announced.
      const { exception: _exception, ...rest } = before;
      const next: StoredFinding = { ...rest, state: 'open', raised, updatedAt: at, history: withHistory(before.history, { at, state: 'open', by: detectedBy, note: `exception expired ${before.exception?.until ?? ''}`.trim() }) };
      return { next, events: [raisedEvent(raised)], result: 'reopened' as RaiseOutcome };
    }
    if (!evidenceChanged(before.raised, raised)) return { result: (before.state === 'excepted' ? 'excepted' : 'unchanged') as RaiseOutcome };
    // Same violation, new evidence (a later login, a longer delay): one finding, its evidence growing.
    const next: StoredFinding = { ...before, raised, updatedAt: at, history: withHistory(before.history, { at, state: 'evidence-updated', by: detectedBy }) };
    return { next, events: before.state === 'excepted' ? [] : [raisedEvent(raised)], result: (before.state === 'excepted' ? 'excepted' : 'updated') as RaiseOutcome };
  }

  function decideResolve(current: FindingRecord | undefined, how: ResolveHow, now: Date) {
    const before = current?.finding;
    if (before === undefined || !isLive(before)) return { result: false };
    const at = now.toISOString();
    const next: StoredFinding = { ...before, state: 'resolved', resolvedAt: at, updatedAt: at, history: withHistory(before.history, { at, state: 'resolved', by: detectedBy, note: how.summary }) };
    return { next, events: [resolvedEvent(before, { resolvedBy: detectedBy, ...how })], result: true };
  }

  /** One finding's record, read alone: a scope may keep many findings (sticky and resolved ones for months). */
  const readFinding = (scope: FindingScope, findingId: string) => () => store.inScopeById(scope, findingId);

  return {
    detectedBy,
    source: findingSource(detectedBy),
    /** Same violation, same id. */
    id: (control: string, rule: string, ...identifying: readonly string[]) => stableFindingId(detectedBy, control, rule, ...identifying),

    /** The findings kept in a scope (live and resolved). */
    async findingsIn(scope: FindingScope): Promise<StoredFinding[]> {
      return (await store.inScope(scope)).map((r) => r.finding);
    },

    /** Opens the finding, re-opens it, or updates its evidence; an unexpired exception keeps it quiet. */
    async raise(scope: FindingScope, finding: Finding, now: Date): Promise<RaiseOutcome> {
      return transition(readFinding(scope, finding.findingId), scope.partition, (current) => decideRaise(current, finding, now), expiryOf(now));
    },

    /** Resolves a live finding; false when it was not live (already resolved, or never raised), or when resolutions are held. */
    async resolve(scope: FindingScope, findingId: string, how: ResolveHow, now: Date): Promise<boolean> {
      if (resolutionsHeld() !== undefined) return false;
      return transition(readFinding(scope, findingId), scope.partition, (current) => decideResolve(current, how, now), expiryOf(now));
    },

    /**
     * Raises what the checks call for in a scope and resolves the live findings they no longer
     * call for. `current` spares the read when the caller already has the scope's findings
     * (read together with its own state); `howResolved` words the resolution.
     */
    async reconcile(scope: FindingScope, desired: readonly Finding[], now: Date, options: { current?: readonly FindingRecord[]; howResolved?: (finding: StoredFinding) => ResolveHow } = {}): Promise<ReconcileOutcome> {
      const records = options.current ?? (await store.inScope(scope));
      const byId = new Map(records.map((r) => [r.finding.findingId, r]));
      const outcome: ReconcileOutcome = { raised: [], updated: [], resolved: [] };
      const planned = planReconcile(desired, records.map((r) => r.finding));
      const plan = resolutionsHeld() === undefined ? planned : { ...planned, resolve: [] };
      // The first attempt decides on what the caller read; a lost race re-reads the finding.
      const firstRead = (findingId: string) => {
        const reread = readFinding(scope, findingId);
        let first = true;
        return async () => {
          if (first) {
            first = false;
            return byId.get(findingId);
          }
          return reread();
        };
      };
      for (const finding of plan.raise) {
        const result = await transition(firstRead(finding.findingId), scope.partition, (current) => decideRaise(current, finding, now), expiryOf(now));
        if (result === 'opened' || result === 'reopened') outcome.raised.push(finding.findingId);
        else if (result === 'updated') outcome.updated.push(finding.findingId);
      }
      const how = options.howResolved ?? ((f: StoredFinding) => ({ summary: `the condition cleared for ${scope.label} at ${now.toISOString()}`, facts: { rule: f.rule } }));
      for (const stale of plan.resolve) {
        if (await transition(firstRead(stale.findingId), scope.partition, (current) => decideResolve(current, how(stale), now), expiryOf(now))) outcome.resolved.push(stale.findingId);
      }
      // Findings whose events a crash left unpublished, and that this reconcile did not touch.
      for (const record of records) if (record.pending.length > 0 && !desired.some((d) => d.findingId === record.finding.findingId) && !plan.resolve.includes(record.finding)) await flush(record);
      return outcome;
    },
  };
}

export type FindingLifecycle = ReturnType<typeof findingLifecycle>;

/**
 * What an operator does to a finding of any function: acknowledge it (someone is on it), or
 * accept it as an exception with an owner and an expiry. Both keep the finding's history;
 * neither publishes (the operator's own event is already on the bus and in the trail).
 */
export function findingDesk(store: FindingsStore) {
  /** Applies an operator's change once: a redelivered action (the same entry already in the history) changes nothing. */
  async function change(findingId: string, entry: FindingHistoryEntry, apply: (before: StoredFinding) => StoredFinding): Promise<OperatorOutcome> {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const current = await store.get(findingId);
      if (!current) return { ok: false, reason: 'unknown' };
      if (current.finding.history.some((h) => h.at === entry.at && h.state === entry.state && h.by === entry.by && h.note === entry.note)) return { ok: true, finding: current.finding };
      if (!isLive(current.finding)) return { ok: false, reason: 'resolved' };
      const before = current.finding;
      const next: StoredFinding = { ...apply(before), updatedAt: entry.at, history: withHistory(before.history, entry) };
      if (await store.save({ ...current, version: current.version + 1, finding: next }, current.version)) return { ok: true, finding: next };
    }
    throw new Error(`finding ${findingId} kept changing under ${MAX_ATTEMPTS} attempts to write it`);
  }
  return {
    get: (findingId: string) => store.get(findingId),
    list: () => store.list(),
    acknowledge(findingId: string, by: string, note: string | undefined, now: Date): Promise<OperatorOutcome> {
      const entry: FindingHistoryEntry = { at: now.toISOString(), state: 'acknowledged', by, ...(note ? { note } : {}) };
      return change(findingId, entry, (before) => ({
        ...before,
        state: before.state === 'excepted' ? before.state : ('acknowledged' as FindingState),
        acknowledgedBy: by,
      }));
    },
    except(findingId: string, exception: FindingException, by: string, now: Date): Promise<OperatorOutcome> {
      const entry: FindingHistoryEntry = { at: now.toISOString(), state: 'excepted', by, note: `${exception.reason} (owner ${exception.owner}, until ${exception.until})` };
      return change(findingId, entry, (before) => ({ ...before, state: 'excepted', exception }));
    },
  };
}
