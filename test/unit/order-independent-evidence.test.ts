/**
 * Order-independent evidence (issue 15, class 3): a finding says the same whatever order its
 * facts arrive in. The shared-account finding, fixed before by the first login to arrive
 * ("used by 0 person(s) from 1 device(s)" shuffled; 2 persons and 2 devices in order), is
 * judged over every permutation of its logins, each delivered once and twice.
 */
import { describe, expect, it } from 'vitest';
import { recordFact, type AccessFact } from '../../functions/access-governance/flows.ts';
import { memoryAccessStores } from '../../functions/access-governance/stores.ts';
import { defaultPolicy } from '../../schemas/default-policy.ts';
import type { OutgoingEvent } from '../../functions/shared/ports.ts';

type Raised = { title: string; evidence: { summary: string; eventIds: string[] } & Record<string, unknown>; findingId: string };

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [items.slice()];
  return items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
}

async function finalSharedAccountFindings(order: readonly Record<string, unknown>[], twice: boolean): Promise<Map<string, Raised>> {
  const published: OutgoingEvent[] = [];
  const deps = { stores: memoryAccessStores(), publisher: { publish: async (events: readonly OutgoingEvent[]) => void published.push(...events) }, policy: defaultPolicy };
  const fact = (detailType: AccessFact['detailType'], detail: Record<string, unknown>, time: string, eventId: string) => ({ eventId, source: 'erp.sap', detailType, time, claimedTime: time, detail: { schemaVersion: 1, ...detail } }) as unknown as AccessFact;
  await recordFact(deps, fact('Role Assigned', { account: 'shop1', person: 'E-1', role: 'CASHIER', modules: ['pos'], permissions: ['sale.create'], job: 'cashier', grantedBy: 'admin' }, '2026-03-01T00:00:00Z', 'ev-role'));
  for (const login of twice ? [...order, ...order] : order) {
    const { eventId, time, ...detail } = login as { eventId: string; time: string };
    await recordFact(deps, fact('Login', detail, time, eventId));
  }
  const last = new Map<string, Raised>();
  for (const e of published) {
    const d = e.detail as Raised;
    if (e.detailType === 'Finding Raised' && d.title === 'Shared account suspected') last.set(d.findingId, { title: d.title, evidence: d.evidence, findingId: d.findingId });
  }
  return last;
}

describe('the shared-account finding', () => {
  const logins = [
    { eventId: 'l1', account: 'shop1', person: 'E-1', deviceId: 'till-1', outcome: 'success', time: '2026-03-02T08:00:00Z' },
    { eventId: 'l2', account: 'shop1', person: 'E-2', deviceId: 'till-2', outcome: 'success', time: '2026-03-02T09:00:00Z' },
    { eventId: 'l3', account: 'shop1', deviceId: 'till-1', outcome: 'success', time: '2026-03-02T10:00:00Z' },
    { eventId: 'l4', account: 'shop1', person: 'E-1', deviceId: 'till-1', outcome: 'failure', time: '2026-03-02T11:00:00Z' },
  ];

  it('has the same evidence whatever order its logins arrive in, delivered once or twice', async () => {
    const inOrder = await finalSharedAccountFindings(logins, false);
    expect([...inOrder.values()].map((f) => f.evidence.summary)).toEqual([expect.stringContaining('used by 2 person(s) from 2 device(s)')]);
    for (const order of permutations(logins)) {
      for (const twice of [false, true]) {
        expect(await finalSharedAccountFindings(order, twice), order.map((l) => l.eventId).join(',')).toEqual(inOrder);
      }
    }
  });

  it('a login near midnight counts in the next day\'s finding too, whenever it arrives', async () => {
    const across = [
      { eventId: 'm1', account: 'shop1', person: 'E-1', deviceId: 'till-1', outcome: 'success', time: '2026-03-02T23:30:00Z' },
      { eventId: 'm2', account: 'shop1', person: 'E-2', deviceId: 'till-2', outcome: 'success', time: '2026-03-03T00:30:00Z' },
    ];
    const expected = await finalSharedAccountFindings(across, false);
    expect([...expected.values()].map((f) => f.evidence.eventIds)).toEqual([['m1', 'm2']]);
    expect(await finalSharedAccountFindings([...across].reverse(), false)).toEqual(expected);
  });
});
