/**
 * The stores that remember accounts (remembering-stores.ts), for a batch or for a process: an
 * account's operations cost one META write; a write to the account (a role, a grant opened or
 * ended) is seen by the next fact; a write that fails leaves nothing stale; a touch that
 * overlapped another write to its account is not remembered; the bound holds; and remembering
 * decides exactly what the same facts decide one per invocation. In-memory twins, no I/O.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rememberingStores } from '../../functions/access-governance/remembering-stores.ts';
import { recordFact, type AccessFact } from '../../functions/access-governance/flows.ts';
import { memoryAccessStores } from '../../functions/access-governance/stores.ts';
import type { OutgoingEvent } from '../../functions/shared/ports.ts';
import { defaultPolicy } from '../../schemas/default-policy.ts';

/** The twins, with the META writes that reach them counted per account. */
function countedStores() {
  const stores = memoryAccessStores();
  const touches: string[] = [];
  const touch = stores.accounts.touch;
  stores.accounts.touch = (account, fields) => {
    touches.push(account);
    return touch(account, fields);
  };
  return { stores, touches };
}

/** Holds the next touch's answer (already read from the store) until `release`; `read` resolves once it was read. */
function held(stores: ReturnType<typeof memoryAccessStores>) {
  const touch = stores.accounts.touch;
  let release = () => {};
  let wasRead = () => {};
  const read = new Promise<void>((resolve) => (wasRead = resolve));
  const gate = new Promise<void>((resolve) => (release = resolve));
  stores.accounts.touch = async (account, fields) => {
    stores.accounts.touch = touch;
    const before = await touch(account, fields);
    wasRead();
    await gate;
    return before;
  };
  return { read, release: () => release() };
}

function setup() {
  const { stores, touches } = countedStores();
  const published: OutgoingEvent[] = [];
  const deps = { stores, publisher: { publish: async (events: readonly OutgoingEvent[]) => void published.push(...events) }, policy: defaultPolicy };
  const batch = { ...deps, stores: rememberingStores(stores) };
  return { deps, batch, touches, published };
}

let n = 0;
const fact = (detailType: AccessFact['detailType'], detail: Record<string, unknown>, time: string) => ({ eventId: `ev-${++n}`, source: 'erp.test', detailType, time, claimedTime: time, detail: { schemaVersion: 1, ...detail } }) as unknown as AccessFact;
const op = (actor: string, target: string, time: string, extra: Record<string, unknown> = {}) => fact('Operation Audited', { actor, action: 'read', target, module: 'finance', ...extra }, time);
const grant = (grantId: string, grantee: string, startsAt: string, expiresAt: string) => fact('Temporary Grant Issued', { grantId, grantee, permissions: ['ledger.read'], reason: 'audit', approver: 'boss', startsAt, expiresAt }, startsAt);

describe('remembering stores for access-governance', () => {
  it('touch an account once per batch however many operations it has', async () => {
    const { batch, touches, published } = setup();
    for (let i = 0; i < 5; i++) await recordFact(batch, op('u1', `t-${i}`, `2026-03-02T10:0${i}:00Z`));
    await recordFact(batch, op('u2', 't', '2026-03-02T10:06:00Z'));
    expect(touches).toEqual(['u1', 'u2']);
    // Each account's first sight still raises its unknown-account finding, once.
    expect(published.filter((e) => e.detailType === 'Finding Raised').map((e) => (e.detail as { subject: { id: string } }).subject.id)).toEqual(['u1', 'u2']);
  });

  it('a grant opened in the batch is seen by the grantee\'s next operation; one ended, too', async () => {
    const { batch, deps } = setup();
    await recordFact(batch, op('ext1', 'before-grant', '2026-03-01T00:30:00Z'));
    await recordFact(batch, grant('G1', 'ext1', '2026-03-01T00:00:00Z', '2026-03-03T00:00:00Z'));
    await recordFact(batch, op('ext1', 'under-grant', '2026-03-01T01:00:00Z'));
    expect((await deps.stores.grants.operations('G1')).map((o) => o.target)).toEqual(['under-grant']);
    await batch.stores.grants.end('ext1', 'G1');
    await recordFact(batch, op('ext1', 'after-end', '2026-03-01T02:00:00Z'));
    expect((await deps.stores.grants.operations('G1')).map((o) => o.target)).toEqual(['under-grant']);
  });

  it('a role that binds the account to a person in the batch is seen by its next operation, without another write', async () => {
    const { batch, touches } = setup();
    await recordFact(batch, op('u1', 'first', '2026-03-02T10:00:00Z'));
    await recordFact(batch, fact('Role Assigned', { account: 'u1', person: 'E-1', role: 'AP', modules: ['finance'], permissions: ['vendor.create'], job: 'finance', grantedBy: 'admin' }, '2026-03-02T10:01:00Z'));
    const before = await batch.stores.accounts.touch('u1', { known: false });
    expect(before).toMatchObject({ account: 'u1', known: true, person: 'E-1', job: 'finance' });
    expect(touches).toEqual(['u1', 'u1']);
  });

  it('a META write that fails leaves no stale entry: the next touch goes to the store', async () => {
    const { stores, touches } = countedStores();
    const open = stores.grants.open;
    let down = true;
    stores.grants.open = async (g) => {
      if (down) throw new Error('the table is down');
      return open(g);
    };
    const batch = rememberingStores(stores);
    await batch.accounts.touch('ext1', { known: false });
    const g = { grantId: 'G1', account: 'ext1', permissions: ['ledger.read'], modules: [], reason: 'audit', approver: 'boss', startsAt: '2026-03-01T00:00:00Z', grantExpiresAt: '2026-03-02T00:00:00Z', requestedExpiresAt: '2026-03-02T00:00:00Z', state: 'active' as const, eventId: 'ev-g' };
    await expect(batch.grants.open(g)).rejects.toThrow('the table is down');
    down = false;
    await batch.accounts.touch('ext1', { known: false });
    expect(touches).toEqual(['ext1', 'ext1']);
    // Written behind the batch's back would be the next batch's to see; through it, the window is there at once.
    await batch.grants.open(g);
    expect((await batch.accounts.touch('ext1', { known: false }))?.grantWindows).toEqual([{ grantId: 'G1', startsAt: g.startsAt, expiresAt: g.grantExpiresAt }]);
  });

  it('remembers nothing a touch read back while another write to the account was in flight (invocations overlap in one process)', async () => {
    const g = { grantId: 'G1', account: 'ext1', permissions: ['ledger.read'], modules: [], reason: 'audit', approver: 'boss', startsAt: '2026-03-01T00:00:00Z', grantExpiresAt: '2026-03-02T00:00:00Z', requestedExpiresAt: '2026-03-02T00:00:00Z', state: 'active' as const, eventId: 'ev-g' };
    const window = [{ grantId: 'G1', startsAt: g.startsAt, expiresAt: g.grantExpiresAt }];
    // A touch whose answer (read before the grant's write) arrives after that write has ended.
    {
      const { stores, touches } = countedStores();
      const memory = rememberingStores(stores);
      const answered = held(stores);
      const slow = memory.accounts.touch('ext1', { known: false });
      await answered.read;
      await memory.grants.open(g);
      answered.release();
      expect((await slow)?.grantWindows).toBeUndefined();
      expect((await memory.accounts.touch('ext1', { known: false }))?.grantWindows).toEqual(window);
      expect(touches).toEqual(['ext1', 'ext1']);
    }
    // Two touches in flight at once: neither answer says what the account is now.
    {
      const { stores, touches } = countedStores();
      const memory = rememberingStores(stores);
      await memory.accounts.touch('u1', { known: false });
      await memory.grants.open({ ...g, account: 'u1' });
      const answered = held(stores);
      const slow = memory.accounts.touch('u1', { known: true, person: 'E-1' });
      await answered.read;
      await memory.accounts.touch('u1', { known: true, person: 'E-2' });
      answered.release();
      await slow;
      expect(await memory.accounts.touch('u1', { known: false })).toMatchObject({ person: 'E-2' });
      expect(touches).toEqual(['u1', 'u1', 'u1', 'u1']);
    }
  });

  it('holds at most its bound, dropping the account touched least recently', async () => {
    const { stores, touches } = countedStores();
    const batch = rememberingStores(stores, 2);
    for (const account of ['a', 'b', 'a', 'c', 'a', 'b']) await batch.accounts.touch(account, { known: false });
    // a, b stored; a remembered; c stored and b dropped (a was touched later); a remembered; b stored again.
    expect(touches).toEqual(['a', 'b', 'c', 'b']);
  });

  it('decides what the same facts decide one per invocation: the same findings, commands and state', async () => {
    const accounts = ['u1', 'u2', 'ext1'];
    const at = (minute: number) => new Date(Date.parse('2026-03-01T00:00:00Z') + minute * 60_000).toISOString();
    const anyFact = fc.oneof(
      fc.record({ kind: fc.constant('op' as const), actor: fc.constantFrom(...accounts), minute: fc.nat(3000), outcome: fc.constantFrom('success', 'failure') }),
      fc.record({ kind: fc.constant('role' as const), account: fc.constantFrom(...accounts), person: fc.constantFrom('E-1', 'E-2'), role: fc.constantFrom('AP', 'PAY'), minute: fc.nat(3000), revoked: fc.boolean() }),
      fc.record({ kind: fc.constant('grant' as const), grantee: fc.constantFrom(...accounts), grantId: fc.constantFrom('G1', 'G2'), minute: fc.nat(3000), hours: fc.integer({ min: 1, max: 48 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(anyFact, { minLength: 1, maxLength: 25 }), async (spec) => {
        const facts = spec.map((s, i) => {
          const eventId = `p-${i}`;
          const withId = (f: AccessFact) => ({ ...f, eventId }) as AccessFact;
          if (s.kind === 'op') return withId(op(s.actor, `t-${i}`, at(s.minute), { outcome: s.outcome }));
          if (s.kind === 'grant') return withId(grant(s.grantId, s.grantee, at(s.minute), at(s.minute + s.hours * 60)));
          const permissions = s.role === 'AP' ? ['vendor.create'] : ['payment.approve'];
          const detail = { account: s.account, person: s.person, role: s.role, modules: ['finance'], permissions, job: 'finance', grantedBy: 'admin', revokedBy: 'admin', reason: 'test' };
          return withId(fact(s.revoked ? 'Role Revoked' : 'Role Assigned', detail, at(s.minute)));
        });
        const single = setup();
        const batched = setup();
        // One per invocation: a fresh batch scope for every fact; batched: one scope for all.
        for (const f of facts) await recordFact({ ...single.deps, stores: rememberingStores(single.deps.stores) }, f);
        for (const f of facts) await recordFact(batched.batch, f);
        expect(batched.published).toEqual(single.published);
        for (const account of accounts) expect(await batched.deps.stores.accounts.read(account)).toEqual(await single.deps.stores.accounts.read(account));
        for (const grantId of ['G1', 'G2']) expect(await batched.deps.stores.grants.operations(grantId)).toEqual(await single.deps.stores.grants.operations(grantId));
        expect(batched.touches.length).toBeLessThanOrEqual(single.touches.length);
      }),
      { numRuns: 60, seed: 16 },
    );
  });
});
