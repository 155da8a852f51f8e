/**
 * The local stand-in for work that follows every delivery (the trail's seal pass): a fire
 * after each delivery, batch or single, never after a schedule's own fire, and coalesced to
 * one waiting fire — including when the bus starts the fire before `fire` has returned.
 */
import { describe, expect, it } from 'vitest';
import { buildRoutingTable, defineFunction } from '../../infra/routes.ts';
import type { Target } from '../../runtime/event-bus.ts';
import { withFollowUpFires } from '../../runtime/follow-up-fires.ts';
import type { BusEvent } from '../../runtime/put-events.ts';

const routes = buildRoutingTable([
  defineFunction({
    name: 'trail',
    description: 'takes everything',
    rules: [{ id: 'all', description: 'all', eventPattern: { source: [{ prefix: '' }] } }],
    schedules: [
      { id: 'trail-seal', description: 'after each delivery', expression: 'rate(1 minute)', alsoAfterEachDelivery: true },
      { id: 'trail-hourly', description: 'hourly only', expression: 'rate(1 hour)' },
    ],
    batch: { size: 10, maxWaitSeconds: 1 },
  }),
  defineFunction({ name: 'other', description: 'no follow-up', rules: [{ id: 'o', description: 'o', eventPattern: { source: ['x'] } }], schedules: [] }),
]);

const event = (id: string, source = 'erp.sap', resources: string[] = []): BusEvent => ({ version: '0', id, 'detail-type': source === 'aws.events' ? 'Scheduled Event' : 'Thing Happened', source, account: '1', time: '2026-12-01T00:00:00Z', region: 'us-east-1', resources, detail: {} });
const fireOf = (scheduleId: string, n: number) => event(`fire-${n}`, 'aws.events', [`arn:aws:events:us-east-1:1:rule/erpgov-${scheduleId}`]);

function harness(startAtOnce: boolean) {
  const invoked: string[] = [];
  const fired: string[] = [];
  const inner = (name: string): Target => ({
    name,
    invoke: async (e) => void invoked.push(`${name}:${e.id}`),
    batch: { size: 10 },
    invokeBatch: async (events) => (invoked.push(`${name}:batch(${events.map((e) => e.id).join(',')})`), []),
  });
  let targets: Map<string, Target>;
  const pending: BusEvent[] = [];
  let n = 0;
  ({ targets } = withFollowUpFires(routes, new Map([['trail', inner('trail')], ['other', inner('other')]]), (fn, scheduleId) => {
    const e = fireOf(scheduleId, ++n);
    fired.push(`${fn}:${scheduleId}`);
    // The bus may start the delivery at once, before `fire` returns.
    if (startAtOnce) void targets.get(fn)?.invoke(e);
    else pending.push(e);
  }));
  const startPending = async () => {
    for (const e of pending.splice(0)) await targets.get('trail')?.invoke(e);
  };
  return { targets, invoked, fired, startPending };
}

describe('follow-up fires', () => {
  it('fires the flagged schedule after a batch and after a single delivery, not after its own fire, and not for other functions', async () => {
    const { targets, fired, startPending } = harness(false);
    await targets.get('trail')?.invokeBatch?.([event('a'), event('b')]);
    expect(fired).toEqual(['trail:trail-seal']);
    await startPending();
    expect(fired).toEqual(['trail:trail-seal']);
    await targets.get('trail')?.invoke(event('c'));
    expect(fired).toEqual(['trail:trail-seal', 'trail:trail-seal']);
    await targets.get('other')?.invoke(event('d', 'x'));
    await targets.get('other')?.invokeBatch?.([event('e', 'x')]);
    expect(fired).toHaveLength(2);
  });

  it('coalesces: while a fire waits to start, further deliveries add none; once it started, the next delivery fires again', async () => {
    const { targets, fired, startPending, invoked } = harness(false);
    for (const id of ['a', 'b', 'c']) await targets.get('trail')?.invokeBatch?.([event(id)]);
    expect(fired).toHaveLength(1);
    await startPending();
    expect(invoked.at(-1)).toBe('trail:fire-1');
    await targets.get('trail')?.invokeBatch?.([event('d')]);
    expect(fired).toHaveLength(2);
  });

  it('is not stuck when the bus starts the fire before `fire` returns', async () => {
    const { targets, fired } = harness(true);
    await targets.get('trail')?.invokeBatch?.([event('a')]);
    await targets.get('trail')?.invokeBatch?.([event('b')]);
    expect(fired).toHaveLength(2);
  });

  it('fires every flagged schedule once on demand (at start), coalesced like the rest', async () => {
    const fired: string[] = [];
    const { fireAll } = withFollowUpFires(routes, new Map([['trail', { name: 'trail', invoke: async () => undefined }]]), (fn, id) => void fired.push(`${fn}:${id}`));
    fireAll();
    fireAll();
    expect(fired).toEqual(['trail:trail-seal']);
  });

  it('still fires after a delivery that failed, and stops firing quietly when the bus refuses (shutting down)', async () => {
    const failing: Target = { name: 'trail', invoke: async () => Promise.reject(new Error('boom')), batch: { size: 10 }, invokeBatch: async () => Promise.reject(new Error('boom')) };
    let refusals = 0;
    const { targets } = withFollowUpFires(routes, new Map([['trail', failing]]), () => {
      refusals++;
      throw new Error('the bus is shutting down');
    });
    await expect(targets.get('trail')?.invokeBatch?.([event('a')])).rejects.toThrow('boom');
    await expect(targets.get('trail')?.invoke(event('b'))).rejects.toThrow('boom');
    // Refused fires leave nothing waiting: each delivery tries again.
    expect(refusals).toBe(2);
  });
});

describe('follow-up fires, one run at a time', () => {
  it('a delivery that ends while the fire runs gets one fire after that run, however many end meanwhile', async () => {
    const fired: string[] = [];
    let release: () => void = () => undefined;
    const slowFire = new Promise<void>((resolve) => (release = resolve));
    const inner: Target = {
      name: 'trail',
      invoke: async (e) => {
        if (e.source === 'aws.events' && e.id === 'fire-1') await slowFire;
      },
      batch: { size: 10 },
      invokeBatch: async () => [],
    };
    let targets: Map<string, Target>;
    const sent: BusEvent[] = [];
    ({ targets } = withFollowUpFires(routes, new Map([['trail', inner]]), (_fn, scheduleId) => {
      fired.push(scheduleId);
      sent.push(fireOf(scheduleId, fired.length));
    }));
    await targets.get('trail')?.invokeBatch?.([event('a')]);
    const running = targets.get('trail')?.invoke(sent[0] as BusEvent);
    for (const id of ['b', 'c', 'd']) await targets.get('trail')?.invokeBatch?.([event(id)]);
    expect(fired).toHaveLength(1);
    release();
    await running;
    expect(fired).toHaveLength(2);
  });
});

describe('follow-up fires wait for the other deliveries running', () => {
  /** A target whose deliveries end when the test says. */
  function held(name: string) {
    const releases: (() => void)[] = [];
    const target: Target = {
      name,
      invoke: () => new Promise<void>((resolve) => releases.push(resolve)),
      batch: { size: 10 },
      invokeBatch: () => new Promise<readonly string[]>((resolve) => releases.push(() => resolve([]))),
    };
    return { target, releaseAll: () => releases.splice(0).forEach((r) => r()) };
  }
  const quickTrail: Target = { name: 'trail', invoke: async () => undefined, batch: { size: 10 }, invokeBatch: async () => [] };

  it('a delivery that ends while another function\'s runs fires once that one ends, not before', async () => {
    const other = held('other');
    const fired: string[] = [];
    const { targets } = withFollowUpFires(routes, new Map([['trail', quickTrail], ['other', other.target]]), (_fn, id) => void fired.push(id));
    const running = targets.get('other')?.invokeBatch?.([event('x', 'x')]);
    await targets.get('trail')?.invokeBatch?.([event('a')]);
    expect(fired).toEqual([]);
    other.releaseAll();
    await running;
    expect(fired).toEqual(['trail-seal']);
  });

  it('waits at most maxDeferMs while deliveries keep running', async () => {
    const other = held('other');
    const fired: string[] = [];
    const { targets } = withFollowUpFires(routes, new Map([['trail', quickTrail], ['other', other.target]]), (_fn, id) => void fired.push(id), { maxDeferMs: 20 });
    const running = targets.get('other')?.invoke(event('x', 'x'));
    await targets.get('trail')?.invokeBatch?.([event('a')]);
    expect(fired).toEqual([]);
    await new Promise((r) => setTimeout(r, 60));
    expect(fired).toEqual(['trail-seal']);
    other.releaseAll();
    await running;
    // Nothing requested since: the end of the other delivery fires nothing more.
    expect(fired).toEqual(['trail-seal']);
  });

  it('a follow-up fire running does not hold back the next one', async () => {
    const fired: BusEvent[] = [];
    let targets: Map<string, Target>;
    const slow = held('trail');
    const trail: Target = { ...quickTrail, invoke: (e) => (e.source === 'aws.events' ? slow.target.invoke(e) : Promise.resolve()) };
    ({ targets } = withFollowUpFires(routes, new Map([['trail', trail]]), (_fn, id) => void fired.push(fireOf(id, fired.length + 1))));
    await targets.get('trail')?.invokeBatch?.([event('a')]);
    const pass = targets.get('trail')?.invoke(fired[0] as BusEvent);
    // A delivery ends while the pass runs: the pass is not a delivery it waits for; one fire follows the pass.
    await targets.get('trail')?.invokeBatch?.([event('b')]);
    expect(fired).toHaveLength(1);
    slow.releaseAll();
    await pass;
    expect(fired).toHaveLength(2);
  });
});
