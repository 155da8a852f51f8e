/**
 * Property tests of the contract and the PutEvents door (issue 15, class 6), with fast-check:
 * arbitrary JSON (deep, large, unicode, `__proto__`/`constructor` keys, numbers at the edges)
 * as entries and as details never throws, every answer is AWS-shaped (an event or an error
 * code with a message), what is kept of a refusal is bounded and serialisable, and the good
 * entries of a call are kept whatever their neighbours. Runs are bounded for CI.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { putEvents, type EndpointOptions, type RejectedEntry } from '../../runtime/eventbridge-endpoint.ts';
import { entryToEvent, keptEntry, MAX_KEPT_ENTRY_CHARS, publicDoor } from '../../runtime/put-events.ts';
import { PIPELINE_EVENT_BUS_NAME } from '../../schemas/envelope.ts';
import { exampleEvent } from '../../schemas/index.ts';
import { validateDetail } from '../../schemas/registry.ts';

const bus = { eventBusName: PIPELINE_EVENT_BUS_NAME, account: '000000000000', region: 'us-east-1' };
const now = new Date('2026-11-29T04:05:06.789Z');
const RUNS = { numRuns: 200, seed: 15 };

const edgeNumbers = fc.constantFrom(0, -0, 2 ** 53, -(2 ** 53), 2 ** 63, Number.MAX_VALUE, Number.MIN_VALUE, 1e308, -1e-308, 5e9, -5e9, 0.1 + 0.2);
const awkwardKeys = fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '', '\u0000', '🙂', 'ß', '\ud800');
const key = fc.oneof(fc.string({ unit: 'binary', maxLength: 8 }), awkwardKeys);
const leaf = fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.double(), edgeNumbers, fc.integer(), fc.boolean(), fc.constant(null));
const json: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, fc.array(tie('value'), { maxLength: 4 }), fc.dictionary(key, tie('value'), { maxKeys: 4 })),
})).value;

/** Deep nesting as text, beyond any stack: arrays, objects or a mix. */
const deepText = fc.tuple(fc.integer({ min: 1000, max: 50_000 }), fc.constantFrom('[', '{"a":', '[{"b":')).map(([n, open]) => {
  const close = open === '[' ? ']' : open === '{"a":' ? '}' : '}]';
  return `{"schemaVersion":1,"x":${open.repeat(n)}1${close.repeat(n)}}`;
});
const bigIntegerText = fc.bigInt({ min: 2n ** 63n, max: 2n ** 200n }).map((n) => `{"schemaVersion":1,"n":${n}}`);
const detailText = fc.oneof(json.map((v) => JSON.stringify(v) ?? 'null'), deepText, bigIntegerText, fc.string({ unit: 'binary', maxLength: 200 }));

const anyEntry = fc.oneof(
  json,
  fc.record({ EventBusName: fc.oneof(fc.constant(PIPELINE_EVENT_BUS_NAME), json), Source: fc.oneof(fc.constant('erp.sap'), json), DetailType: fc.oneof(fc.constant('Operation Audited'), json), Detail: fc.oneof(detailText, json), Time: fc.oneof(json, edgeNumbers), Resources: json }, { requiredKeys: [] }),
);

function isAwsShaped(outcome: ReturnType<typeof entryToEvent>): boolean {
  if (outcome.ok) return typeof outcome.event.id === 'string' && typeof outcome.event.detail === 'object' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(outcome.event.time);
  return typeof outcome.errorCode === 'string' && outcome.errorCode !== '' && typeof outcome.errorMessage === 'string' && outcome.errorMessage !== '';
}

describe('the contract', () => {
  it('judges any detail without throwing', () => {
    fc.assert(fc.property(fc.constantFrom('Operation Audited', 'Login', 'Role Assigned', 'Coffee Brewed'), json, (type, detail) => {
      const out = validateDetail(type, detail);
      expect(typeof out.ok).toBe('boolean');
    }), RUNS);
  });
});

describe('the PutEvents door', () => {
  it('answers any entry AWS-shaped, never throwing; what it keeps of a refusal is bounded and serialisable', () => {
    fc.assert(fc.property(anyEntry, (entry) => {
      const out = entryToEvent(entry, 'id-1', now, bus, publicDoor());
      expect(isAwsShaped(out)).toBe(true);
      if (out.ok) expect(() => JSON.stringify(out.event)).not.toThrow();
      else expect(JSON.stringify(keptEntry(entry) ?? null).length).toBeLessThan(2 * MAX_KEPT_ENTRY_CHARS);
    }), RUNS);
  });

  it('keeps every good entry of a call, whatever its neighbours', () => {
    const good = () => exampleEvent('Operation Audited', 'erp.sap');
    fc.assert(fc.property(fc.array(fc.oneof(anyEntry, fc.constant('GOOD')), { minLength: 1, maxLength: 10 }), (slots) => {
      const accepted: unknown[] = [];
      const rejected: RejectedEntry[] = [];
      let n = 0;
      const options = {
        bus: { accept: (events: unknown[]) => void accepted.push(...events.map((e) => JSON.parse(JSON.stringify(e)) as unknown)) },
        rejected: { append: (records: RejectedEntry[]) => void rejected.push(...(JSON.parse(JSON.stringify(records)) as RejectedEntry[])) },
        identity: bus, routes: [], host: '127.0.0.1', port: 0, clock: { now: () => now }, ids: () => `id-${++n}`,
      } as unknown as EndpointOptions;
      const entries = slots.map((s) => (s === 'GOOD' ? { ...good(), EventBusName: PIPELINE_EVENT_BUS_NAME } : s));
      const result = putEvents(options, entries);
      expect(result.Entries).toHaveLength(entries.length);
      slots.forEach((s, i) => {
        if (s === 'GOOD') expect(result.Entries[i]).toHaveProperty('EventId');
      });
      expect(result.FailedEntryCount).toBe(result.Entries.filter((e) => 'ErrorCode' in e).length);
      expect(rejected).toHaveLength(result.FailedEntryCount);
    }), { numRuns: 100, seed: 15 });
  });
});
