/**
 * PutEvents entries for ERP facts, as the tests send them through the door: one builder for a
 * fact with its own detail, one for the contract's example of a detail-type with a few fields
 * changed (so each entry can be told apart in the trail).
 */
import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { PIPELINE_EVENT_BUS_NAME } from '../../schemas/envelope.ts';
import { exampleEvent, type ExampleEntry } from '../../schemas/examples.ts';

/** A PutEvents entry on the pipeline's bus from `source` carrying `detail` (schemaVersion added), at `time` when given (else the bus stamps its arrival). */
export function erpEntry(detailType: string, detail: Record<string, unknown>, time?: Date, source = 'erp.sap'): PutEventsRequestEntry {
  return { EventBusName: PIPELINE_EVENT_BUS_NAME, Source: source, DetailType: detailType, Detail: JSON.stringify({ schemaVersion: 1, ...detail }), ...(time ? { Time: time } : {}) };
}

/** The contract's example entry of `detailType` (schemas/examples.ts) with `changes` laid over its detail. */
export function exampleEntry(detailType: string, changes: Record<string, unknown>, source = 'erp.sap'): ExampleEntry {
  const example = exampleEvent(detailType, source);
  return { ...example, Detail: JSON.stringify({ ...(JSON.parse(example.Detail) as Record<string, unknown>), ...changes }) };
}
