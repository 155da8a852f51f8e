import { describe, expect, it } from 'vitest';
import { routingTable } from '../../infra/routes.ts';

const event = (detailType: string, source = 'erp.sap') => ({ version: '0', id: '1', 'detail-type': detailType, source, account: '000000000000', time: '2026-03-02T09:00:00Z', region: 'us-east-1', resources: [], detail: {} });
const targets = (e: ReturnType<typeof event>) => routingTable.filter((fn) => fn.rules.some((r) => r.compiled.matches(e))).map((fn) => fn.name).sort();

describe('routing of threshold and incident events', () => {
  it('metric samples go to threshold-alerts only: telemetry stays out of the audit trail', () => {
    expect(targets(event('Metric Sample'))).toEqual(['threshold-alerts']);
  });

  it('every other event still reaches the audit trail', () => {
    expect(targets(event('Login'))).toContain('log-archiving');
    expect(targets(event('Finding Raised', 'erpgov.threshold-alerts'))).toContain('log-archiving');
    expect(targets(event('Incident Opened'))).toEqual(['incident-response', 'log-archiving', 'notifier']);
    expect(targets(event('CloudWatch Alarm State Change', 'aws.cloudwatch'))).toEqual(['log-archiving', 'threshold-alerts']);
  });

  it('slow SQL reaches threshold-alerts (and the trail); module errors stay with audit-analysis', () => {
    expect(targets(event('Slow Query'))).toEqual(['log-archiving', 'threshold-alerts']);
    expect(targets(event('Module Error'))).not.toContain('threshold-alerts');
  });

  it('incidents threshold-alerts opens in-process reach incident-response and the notifier; other erpgov sources do not', () => {
    expect(targets(event('Incident Opened', 'erpgov.threshold-alerts'))).toEqual(['incident-response', 'log-archiving', 'notifier']);
    expect(targets(event('Incident Resolved', 'erpgov.threshold-alerts'))).toEqual(['incident-response', 'log-archiving', 'notifier']);
    expect(targets(event('Incident Acknowledged', 'erpgov.threshold-alerts'))).toEqual(['log-archiving', 'notifier']);
    expect(targets(event('Incident Opened', 'erpgov.audit-analysis'))).toEqual(['log-archiving']);
  });

  it('the CloudWatch rule listens on the default bus, where AWS puts alarm events', () => {
    const rule = routingTable.find((fn) => fn.name === 'threshold-alerts')?.rules.find((r) => r.id === 'threshold-cloudwatch-alarms');
    expect(rule?.eventBus).toBe('default');
  });
});
