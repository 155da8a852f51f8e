/**
 * threshold-alerts (guide 3.1–3.2): metric samples into threshold episodes, hosts gone silent,
 * CloudWatch alarms. Thin: wiring and flows. Samples and alarms arrive in SQS batches
 * (`batch` in the routing table), schedules one event at a time; the governance handler takes
 * both.
 *
 * CloudWatch's "Alarm State Change" is AWS's event, not part of the ERP contract (no
 * schemaVersion, AWS's own quirks), so `onAwsEvent` reads it tolerantly (`parseAlarmChange`).
 */
import { InvalidEventError } from '../../schemas/errors.ts';
import { governanceHandler } from '../shared/event-handler.ts';
import { dynamoControlFeed } from '../shared/evidence/control-feed.ts';
import { governanceWiring } from '../shared/wiring.ts';
import { parseAlarmChange } from './cloudwatch-alarm.ts';
import { recordAlarmChange, recordSample, recordSlowQuery, sweepSilentHosts, sweepSlowSql } from './flows.ts';
import { dynamoSlowSqlStore } from './slow-sql-store.ts';
import { dynamoThresholdStore } from './threshold-state.ts';

const deps = governanceWiring((documents, tableName) => ({
  store: dynamoThresholdStore(documents, tableName),
  slowSql: dynamoSlowSqlStore(documents, tableName),
  feed: dynamoControlFeed(documents, tableName, 'threshold-alerts'),
}));

export const handler = governanceHandler('threshold-alerts')({
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
  async onAwsEvent(event, { logger }) {
    // Not parseEnvelope: AWS's own events do not always meet the strict envelope (odd ids and accounts, no version).
    const eventId = typeof event.id === 'string' && event.id !== '' ? event.id : 'unknown';
    const parsed = parseAlarmChange(event as Record<string, unknown>);
    if (!parsed.ok) throw new InvalidEventError(`CloudWatch Alarm State Change ${eventId} has no usable ${parsed.field}`);
    const outcome = await recordAlarmChange(deps, parsed.alarm, eventId);
    logger.info('cloudwatch alarm', { eventId, alarm: parsed.alarm.alarmName, state: parsed.alarm.state, outcome });
    return { eventId, alarm: parsed.alarm.alarmName, outcome };
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
