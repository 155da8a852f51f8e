/**
 * threshold-alerts (guide 3.1–3.2): metric samples into threshold episodes, hosts gone silent,
 * CloudWatch alarms. Thin: wiring and dispatch. Samples and alarms arrive in SQS batches
 * (`batch` in the routing table), schedules one event at a time.
 *
 * CloudWatch's "Alarm State Change" is AWS's event, not part of the ERP contract (no
 * schemaVersion, AWS's own quirks), so it is read tolerantly by `parseAlarmChange` before the
 * governance handler, which validates ERP facts against the registry.
 */
import type { Context } from 'aws-lambda';
import { InvalidEventError } from '../../schemas/errors.ts';
import { eventBridgeHandler, governanceHandler, type IncomingEvent } from '../shared/event-handler.ts';
import { eachRecord, isSqsBatch } from '../shared/batch-handler.ts';
import { governanceWiring } from '../shared/wiring.ts';
import { parseAlarmChange } from './cloudwatch-alarm.ts';
import { recordAlarmChange, recordSample, recordSlowQuery, sweepSilentHosts, sweepSlowSql } from './flows.ts';
import { dynamoSlowSqlStore } from './slow-sql-store.ts';
import { dynamoThresholdStore } from './threshold-state.ts';

const { documents, tableName, findings, publisher, policy } = governanceWiring();
const deps = {
  store: dynamoThresholdStore(documents, tableName),
  slowSql: dynamoSlowSqlStore(documents, tableName),
  findings,
  publisher,
  policy,
};

const governed = governanceHandler('threshold-alerts')({
  async onFact(fact, { logger }) {
    if (fact.detailType === 'Slow Query') {
      const counted = await recordSlowQuery(deps, fact.detail, fact.eventId, fact.time);
      if (counted.raised.length + counted.resolved.length > 0) logger.info('slow sql', { eventId: fact.eventId, raised: counted.raised, resolved: counted.resolved });
      return { eventId: fact.eventId, counted: counted.counted, raised: counted.raised.length, resolved: counted.resolved.length };
    }
    const outcome = await recordSample(deps, fact.detail, fact.eventId, fact.time);
    if (outcome.opened.length + outcome.resolved.length > 0) logger.info('threshold episodes', { eventId: fact.eventId, opened: outcome.opened, resolved: outcome.resolved });
    return { eventId: fact.eventId, datapoints: outcome.datapoints, opened: outcome.opened.length, resolved: outcome.resolved.length, written: outcome.written };
  },
  onSchedule: {
    async 'threshold-silence-sweep'(firedAt, { logger }) {
      const outcome = await sweepSilentHosts(deps, firedAt);
      const cooled = await sweepSlowSql(deps, firedAt);
      if (outcome.silent.length > 0) logger.info('silent hosts', { firedAt: firedAt.toISOString(), hosts: outcome.silent });
      return { schedule: 'threshold-silence-sweep', silent: outcome.silent.length, slowSqlCooled: cooled.resolved.length };
    },
  },
});

const alarms = eventBridgeHandler('threshold-alerts', async (event: IncomingEvent, { logger }) => {
  // Not parseEnvelope: AWS's own events do not always meet the strict envelope (odd ids and accounts, no version).
  const eventId = typeof event.id === 'string' && event.id !== '' ? event.id : 'unknown';
  const parsed = parseAlarmChange(event as Record<string, unknown>);
  if (!parsed.ok) throw new InvalidEventError(`CloudWatch Alarm State Change ${eventId} has no usable ${parsed.field}`);
  const outcome = await recordAlarmChange(deps, parsed.alarm, eventId);
  logger.info('cloudwatch alarm', { eventId, alarm: parsed.alarm.alarmName, state: parsed.alarm.state, outcome });
  return { eventId, alarm: parsed.alarm.alarmName, outcome };
});

const isAlarmChange = (event: IncomingEvent) => event.source === 'aws.cloudwatch' && event['detail-type'] === 'CloudWatch Alarm State Change';

const one = (event: IncomingEvent, context: Context): Promise<unknown> => (isAlarmChange(event) ? alarms(event, context) : governed(event, context));

/** Batches from the queue (samples and alarms, in order; a failed record comes back alone), or one event (schedules). */
export const handler = (event: unknown, context: Context): Promise<unknown> => (isSqsBatch(event) ? eachRecord(event, (e) => one(e, context)) : one(event as IncomingEvent, context));
