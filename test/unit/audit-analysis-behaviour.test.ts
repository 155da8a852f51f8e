/**
 * Behaviour analysis over audit records (guide 6.3, 6.4, 3.3): each rule, its edges (time
 * zones, daylight saving, a zero baseline, exactly at a threshold) and stable finding ids.
 * Records are built with the trail's own `toAuditRecord`, as log-archiving stores them. No I/O.
 */
import { describe, expect, it } from 'vitest';
import { analyseBehaviour, baselineOf, baselineStart, burstThreshold, type AnalysisWindow } from '../../functions/audit-analysis/behaviour.ts';
import { mergeBaselines } from '../../functions/audit-analysis/behaviour-baseline.ts';
import { normaliseDeviceId } from '../../functions/shared/devices.ts';
import { isWithinWorkingHours, localTime } from '../../functions/shared/local-time.ts';
import { toAuditRecord, type AuditRecord } from '../../functions/shared/audit-trail/audit-record.ts';
import { defaultPolicy } from '../../schemas/default-policy.ts';
import { parsePolicy, type Policy } from '../../schemas/policy-loader.ts';
import { validateDetail, type FindingRaised } from '../../schemas/registry.ts';
import { toFindingRaised } from '../../functions/shared/findings/finding.ts';
import { HOUR_MS as HOUR, MINUTE_MS as MIN } from '../../functions/shared/time.ts';

let nextId = 0;
function record(detailType: string, detail: Record<string, unknown>, time: string | number, options: { source?: string; eventId?: string } = {}): AuditRecord {
  const event = {
    version: '0',
    id: options.eventId ?? `evt-${++nextId}`,
    'detail-type': detailType,
    source: options.source ?? 'erp.sap',
    account: '000000000000',
    time: typeof time === 'number' ? new Date(time).toISOString() : time,
    region: 'us-east-1',
    resources: [],
    detail: { schemaVersion: 1, ...detail },
  };
  return toAuditRecord(event, new Date(event.time));
}
const operation = (actor: string, action: string, time: string | number, extra: Record<string, unknown> = {}) =>
  record('Operation Audited', { actor, action, target: 'sales-order', module: 'orders', recordCount: 1, ...extra }, time);
const login = (account: string, outcome: 'success' | 'failure', time: string | number, deviceId = '3C:52:82:4A:9F:10', extra: Record<string, unknown> = {}) =>
  record('Login', { account, deviceId, outcome, ...extra }, time);
const moduleError = (module: string, occurrences: number, time: string | number, errorClass = 'inventory-lock-conflict') =>
  record('Module Error', { module, errorClass, occurrences }, time);

const hourFrom = (iso: string): AnalysisWindow => ({ from: new Date(iso), to: new Date(Date.parse(iso) + HOUR) });
const times = (start: string, count: number, stepMs: number) => Array.from({ length: count }, (_, i) => Date.parse(start) + i * stepMs);

/** The baseline as the hourly run builds it: one aggregate per hour of the period, merged. */
function fromHourlyAggregates(baseline: readonly AuditRecord[], window: AnalysisWindow, policy: Policy) {
  const hours: ReturnType<typeof baselineOf>[] = [];
  for (let t = baselineStart(window, policy).getTime(); t < window.from.getTime(); t += HOUR) hours.push(baselineOf(baseline, new Date(t), new Date(t + HOUR)));
  return mergeBaselines(hours);
}

/** The findings as the lifecycle announces them ("Finding Raised"), each checked against the contract. */
function analyse(records: readonly AuditRecord[], window: AnalysisWindow, policy: Policy = defaultPolicy, baseline: readonly AuditRecord[] = records): FindingRaised[] {
  const decided = analyseBehaviour(records, baseline, policy, window);
  // Every scenario also runs over the stored-hours path, and must decide the same.
  expect(analyseBehaviour(records, fromHourlyAggregates(baseline, window, policy), policy, window)).toEqual(decided);
  const findings = decided.map((finding) => toFindingRaised(finding, 'audit-analysis'));
  for (const finding of findings) {
    const check = validateDetail('Finding Raised', finding);
    expect(check.ok ? 'valid' : check.message).toBe('valid');
  }
  return findings;
}
const byRule = (findings: readonly FindingRaised[], rule: string) => findings.filter((f) => f.findingId.includes(`-${rule}-`));

describe('local time in the policy zone', () => {
  it('converts with the zone\'s offset, including across the date line of UTC', () => {
    expect(localTime(Date.parse('2026-03-02T17:00:00Z'), 'Asia/Shanghai')).toEqual({ date: '2026-03-03', weekday: 'tue', minuteOfDay: 60, clock: '01:00' });
    expect(localTime(Date.parse('2026-03-01T16:00:00Z'), 'Asia/Shanghai')).toMatchObject({ date: '2026-03-02', weekday: 'mon', clock: '00:00' });
  });

  it('follows daylight saving (Europe/Berlin switches on 2026-03-29)', () => {
    const berlin = { timezone: 'Europe/Berlin', days: ['mon', 'tue', 'wed', 'thu', 'fri'] as const, start: '08:00', end: '20:00' };
    // 06:30 UTC is 07:30 in winter (outside) and 08:30 in summer (inside).
    expect(isWithinWorkingHours(Date.parse('2026-03-27T06:30:00Z'), { ...berlin, days: [...berlin.days] })).toBe(false);
    expect(isWithinWorkingHours(Date.parse('2026-03-30T06:30:00Z'), { ...berlin, days: [...berlin.days] })).toBe(true);
  });

  it('working hours include the start minute and exclude the end minute', () => {
    const hours = { ...defaultPolicy.audit.workingHours, days: [...defaultPolicy.audit.workingHours.days] };
    expect(isWithinWorkingHours(Date.parse('2026-03-02T00:00:00Z'), hours)).toBe(true); // Mon 08:00 Shanghai
    expect(isWithinWorkingHours(Date.parse('2026-03-01T23:59:00Z'), hours)).toBe(false); // Mon 07:59
    expect(isWithinWorkingHours(Date.parse('2026-03-02T11:59:00Z'), hours)).toBe(true); // Mon 19:59
    expect(isWithinWorkingHours(Date.parse('2026-03-02T12:00:00Z'), hours)).toBe(false); // Mon 20:00
    expect(isWithinWorkingHours(Date.parse('2026-03-07T03:00:00Z'), hours)).toBe(false); // Sat 11:00
  });
});

describe('6.3 operations outside working hours (Asia/Shanghai, Mon–Fri 08:00–20:00)', () => {
  it('raises one finding per actor and local day, listing every after-hours operation of that day so far', () => {
    // Monday 2026-03-02 local: 21:00, 22:30 (context, earlier window) and 23:15 (this window).
    const earlier = [operation('u1001', 'update', '2026-03-02T13:00:00Z'), operation('u1001', 'delete', '2026-03-02T14:30:00Z')];
    const inWindow = operation('u1001', 'export', '2026-03-02T15:15:00Z');
    const daytime = operation('u1001', 'update', '2026-03-02T03:00:00Z');
    const findings = byRule(analyse([daytime, ...earlier, inWindow], hourFrom('2026-03-02T15:00:00Z')), 'outside-working-hours');
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      control: '6.3',
      severity: 'medium',
      mode: 'report-only',
      subject: { type: 'account', id: 'u1001' },
      evidence: { eventIds: [...earlier, inWindow].map((r) => r.eventId), facts: { localDate: '2026-03-02', weekday: 'mon', operations: 3, firstLocalTime: '21:00', lastLocalTime: '23:15' } },
    });
  });

  it('keeps the same finding id for the same actor and local day across windows; nothing new in the window, no finding', () => {
    const a = operation('u1001', 'update', '2026-03-02T13:00:00Z');
    const b = operation('u1001', 'update', '2026-03-02T15:10:00Z');
    const first = byRule(analyse([a], hourFrom('2026-03-02T13:00:00Z')), 'outside-working-hours');
    const second = byRule(analyse([a, b], hourFrom('2026-03-02T15:00:00Z')), 'outside-working-hours');
    expect(second[0]?.findingId).toBe(first[0]?.findingId);
    expect(second[0]?.evidence.eventIds).toEqual([a.eventId, b.eventId]);
    expect(byRule(analyse([a], hourFrom('2026-03-02T15:00:00Z')), 'outside-working-hours')).toEqual([]);
  });

  it('splits by the local day, not the UTC day', () => {
    // Same UTC day; Monday 23:00 and Tuesday 01:00 in Shanghai.
    const monday = operation('u1001', 'update', '2026-03-02T15:00:00Z');
    const tuesday = operation('u1001', 'update', '2026-03-02T17:00:00Z');
    const window = { from: new Date('2026-03-02T15:00:00Z'), to: new Date('2026-03-02T18:00:00Z') };
    const findings = byRule(analyse([monday, tuesday], window), 'outside-working-hours');
    expect(findings.map((f) => f.evidence.facts?.localDate)).toEqual(['2026-03-02', '2026-03-03']);
    expect(new Set(findings.map((f) => f.findingId)).size).toBe(2);
  });

  it('one finding per actor; role changes count, logins and the pipeline\'s own events do not', () => {
    const night = '2026-03-07T14:00:00Z'; // Saturday 22:00
    const records = [
      operation('u1001', 'update', night),
      operation('u2002', 'update', night),
      record('Role Assigned', { account: 'u3003', person: 'E-3', role: 'SD_SALES_CLERK', modules: ['orders'], grantedBy: 'admin.li' }, night),
      login('u4004', 'success', night),
      record('Command Issued', { commandId: 'c-1', command: 'disable-account', account: 'u5005', control: '2.3', reason: 'test' }, night, { source: 'erpgov.access-control' }),
    ];
    const actors = byRule(analyse(records, hourFrom('2026-03-07T14:00:00Z')), 'outside-working-hours').map((f) => f.subject.id);
    expect(actors.sort()).toEqual(['admin.li', 'u1001', 'u2002']);
  });

  it('honours the policy\'s zone and days', () => {
    const policy = parsePolicy({ audit: { workingHours: { timezone: 'Europe/Berlin', days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat'] } } });
    const saturdayMorning = operation('u1001', 'update', '2026-03-07T09:00:00Z'); // Sat 10:00 Berlin
    expect(byRule(analyse([saturdayMorning], hourFrom('2026-03-07T09:00:00Z'), policy), 'outside-working-hours')).toEqual([]);
    expect(byRule(analyse([saturdayMorning], hourFrom('2026-03-07T09:00:00Z')), 'outside-working-hours')).toHaveLength(1);
  });

  it('ignores records that failed their contract', () => {
    const invalid = record('Operation Audited', { actor: 'u1001', action: 'delete' }, '2026-03-07T14:00:00Z');
    expect(invalid.valid).toBe(false);
    expect(analyse([invalid], hourFrom('2026-03-07T14:00:00Z'))).toEqual([]);
  });
});

describe('6.4 bursts of deletes or exports against the account\'s own baseline', () => {
  const window = hourFrom('2026-03-10T03:00:00Z');
  const deletes = (actor: string, count: number, start = '2026-03-10T03:00:00Z', step = MIN) => times(start, count, step).map((t) => operation(actor, 'delete', t));

  it('with a zero baseline, the minimum decides: exactly at it is no burst, one more is', () => {
    expect(byRule(analyse(deletes('u1001', 20), window), 'burst')).toEqual([]);
    const findings = byRule(analyse(deletes('u1001', 21), window), 'burst');
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      control: '6.4',
      severity: 'high',
      title: 'Burst of delete operations',
      subject: { type: 'account', id: 'u1001' },
      evidence: { facts: { action: 'delete', operations: 21, threshold: 20, baselineHourlyAverage: 0, baselineDays: 14 } },
    });
    expect(findings[0]?.evidence.eventIds).toHaveLength(21);
  });

  it('above the minimum, the account\'s baseline × factor decides: exactly at it is no burst', () => {
    const policy = parsePolicy({ audit: { behaviourAnalysis: { baselineDays: 1, minimumBurst: 1 } } });
    // 48 deletes over the previous day: 2 an hour, so more than 6 is a burst.
    const baseline = deletes('u1001', 48, '2026-03-09T03:00:00Z', 30 * MIN);
    expect(burstThreshold(48, policy, window)).toEqual({ baselineHourlyAverage: 2, threshold: 6 });
    expect(byRule(analyse(deletes('u1001', 6), window, policy, baseline), 'burst')).toEqual([]);
    expect(byRule(analyse(deletes('u1001', 7), window, policy, baseline), 'burst')[0]?.evidence.facts).toMatchObject({ operations: 7, threshold: 6, baselineHourlyAverage: 2 });
  });

  it('judges each account against its own baseline, not another account\'s', () => {
    const policy = parsePolicy({ audit: { behaviourAnalysis: { baselineDays: 1, minimumBurst: 1 } } });
    const busyColleague = deletes('u2002', 48, '2026-03-09T03:00:00Z', 30 * MIN);
    const quietBaseline = deletes('u1001', 1, '2026-03-09T10:00:00Z');
    const findings = byRule(analyse([...deletes('u1001', 7), ...deletes('u2002', 6)], window, policy, [...busyColleague, ...quietBaseline]), 'burst');
    expect(findings.map((f) => f.subject.id)).toEqual(['u1001']);
  });

  it('counts deletes and exports apart, case-insensitively, and nothing else', () => {
    const exports = times('2026-03-10T03:00:00Z', 21, MIN).map((t) => operation('u1001', 'Export', t, { dataCategory: 'product' }));
    const updates = times('2026-03-10T03:00:00Z', 30, MIN).map((t) => operation('u1001', 'update', t));
    const findings = byRule(analyse([...deletes('u1001', 15), ...exports, ...updates], window), 'burst');
    expect(findings.map((f) => f.evidence.facts?.action)).toEqual(['export']);
  });

  it('leaves out of the baseline what falls outside its days', () => {
    const policy = parsePolicy({ audit: { behaviourAnalysis: { baselineDays: 1, minimumBurst: 1 } } });
    const tooOld = deletes('u1001', 48, '2026-03-08T00:00:00Z', 30 * MIN);
    expect(byRule(analyse(deletes('u1001', 7), window, policy, tooOld), 'burst')[0]?.evidence.facts).toMatchObject({ baselineHourlyAverage: 0, threshold: 1 });
  });

  it('gives a burst in the same window the same id on a re-run, and a different one in another window', () => {
    const records = deletes('u1001', 21);
    const [first] = byRule(analyse(records, window), 'burst');
    const [again] = byRule(analyse([...records].reverse(), window), 'burst');
    const [next] = byRule(analyse(deletes('u1001', 21, '2026-03-10T04:00:00Z'), hourFrom('2026-03-10T04:00:00Z')), 'burst');
    expect(again?.findingId).toBe(first?.findingId);
    expect(next?.findingId).not.toBe(first?.findingId);
  });

  it('caps the evidence at 100 event ids and keeps the full count in the facts', () => {
    const [finding] = byRule(analyse(deletes('u1001', 150, '2026-03-10T03:00:00Z', 20_000), window), 'burst');
    expect(finding?.evidence.eventIds).toHaveLength(100);
    expect(finding?.evidence.facts).toMatchObject({ operations: 150 });
  });
});

describe('6.4 repeated failed logins (5 within 15 minutes)', () => {
  const window = hourFrom('2026-03-10T03:00:00Z');
  const failures = (account: string, start: string, count: number, stepMs: number) => times(start, count, stepMs).map((t) => login(account, 'failure', t, undefined, { failureReason: 'bad-password' }));

  it('exactly the threshold within the window is a finding; one fewer is not', () => {
    const [finding] = byRule(analyse(failures('u1001', '2026-03-10T03:10:00Z', 5, MIN), window), 'failed-logins');
    expect(finding).toMatchObject({ control: '6.4', severity: 'high', subject: { id: 'u1001' }, evidence: { facts: { failures: 5, mostInOneWindow: 5, maxFailures: 5, failureReasons: { 'bad-password': 5 } } } });
    expect(byRule(analyse(failures('u1001', '2026-03-10T03:10:00Z', 4, MIN), window), 'failed-logins')).toEqual([]);
  });

  it('counts failures spanning exactly the window length, not a minute more', () => {
    expect(byRule(analyse(failures('u1001', '2026-03-10T03:10:00Z', 5, 3.75 * MIN), window), 'failed-logins')).toHaveLength(1); // 15 min span
    expect(byRule(analyse(failures('u1001', '2026-03-10T03:10:00Z', 5, 4 * MIN), window), 'failed-logins')).toEqual([]); // 16 min span
  });

  it('counts failures just before the window when the run completes inside it; a run wholly before it was an earlier window\'s', () => {
    const straddling = failures('u1001', '2026-03-10T02:55:00Z', 5, 2 * MIN); // 02:55 … 03:03
    expect(byRule(analyse(straddling, window), 'failed-logins')[0]?.evidence.eventIds).toEqual(straddling.map((r) => r.eventId));
    expect(byRule(analyse(failures('u1001', '2026-03-10T02:40:00Z', 5, MIN), window), 'failed-logins')).toEqual([]);
  });

  it('keeps accounts apart and ignores successful logins', () => {
    const mixed = [...failures('u1001', '2026-03-10T03:10:00Z', 3, MIN), ...failures('u2002', '2026-03-10T03:10:00Z', 2, MIN), login('u1001', 'success', '2026-03-10T03:20:00Z'), login('u1001', 'success', '2026-03-10T03:21:00Z')];
    expect(byRule(analyse(mixed, window), 'failed-logins')).toEqual([]);
  });
});

describe('6.4 logins from a device not bound to the account', () => {
  const window = hourFrom('2026-03-10T03:00:00Z');
  const known = [login('u1001', 'success', '2026-03-05T02:00:00Z', '3C:52:82:4A:9F:10'), login('u1001', 'success', '2026-03-06T02:00:00Z', 'laptop-fingerprint-7')];

  it('trusts the devices of the account\'s baseline logins (MAC case and separators do not matter)', () => {
    const logins = [login('u1001', 'success', '2026-03-10T03:05:00Z', '3c-52-82-4a-9f-10'), login('u1001', 'success', '2026-03-10T03:06:00Z', 'laptop-fingerprint-7')];
    expect(byRule(analyse(logins, window, defaultPolicy, known), 'unbound-device')).toEqual([]);
  });

  it('a successful login from another device is a finding, naming the device and the binding source', () => {
    const stray = login('u1001', 'success', '2026-03-10T03:05:00Z', 'AA:BB:CC:DD:EE:FF');
    const [finding] = byRule(analyse([stray], window, defaultPolicy, known), 'unbound-device');
    expect(finding).toMatchObject({
      control: '6.4',
      subject: { type: 'account', id: 'u1001' },
      evidence: { eventIds: [stray.eventId], facts: { devices: ['AA:BB:CC:DD:EE:FF'], boundDevices: ['3c52824a9f10', 'laptop-fingerprint-7'], bindingSource: 'first-use' } },
    });
  });

  it('an account with no binding yet establishes it by its first logins (no finding)', () => {
    expect(byRule(analyse([login('u9009', 'success', '2026-03-10T03:05:00Z', 'AA:BB:CC:DD:EE:FF')], window, defaultPolicy, known), 'unbound-device')).toEqual([]);
  });

  it('the policy register overrides what was seen', () => {
    const policy = parsePolicy({ audit: { behaviourAnalysis: { boundDevices: { U1001: ['aa:bb:cc:dd:ee:ff'] } } } });
    const usual = login('u1001', 'success', '2026-03-10T03:05:00Z', '3C:52:82:4A:9F:10');
    const registered = login('u1001', 'success', '2026-03-10T03:06:00Z', 'AA-BB-CC-DD-EE-FF');
    const [finding] = byRule(analyse([usual, registered], window, policy, known), 'unbound-device');
    expect(finding?.evidence).toMatchObject({ eventIds: [usual.eventId], facts: { bindingSource: 'policy', boundDevices: ['aabbccddeeff'] } });
    // The register binds even an account never seen before.
    const newcomer = parsePolicy({ audit: { behaviourAnalysis: { boundDevices: { u9009: ['aa:bb:cc:dd:ee:ff'] } } } });
    expect(byRule(analyse([login('u9009', 'success', '2026-03-10T03:05:00Z', '11:22:33:44:55:66')], window, newcomer, []), 'unbound-device')).toHaveLength(1);
  });

  it('failed logins and a switched-off binding raise nothing here', () => {
    const failed = login('u1001', 'failure', '2026-03-10T03:05:00Z', 'AA:BB:CC:DD:EE:FF');
    expect(byRule(analyse([failed], window, defaultPolicy, known), 'unbound-device')).toEqual([]);
    const stray = login('u1001', 'success', '2026-03-10T03:05:00Z', 'AA:BB:CC:DD:EE:FF');
    expect(byRule(analyse([stray], window, parsePolicy({ access: { deviceBinding: { required: false } } }), known), 'unbound-device')).toEqual([]);
  });

  it('normalises MAC addresses only', () => {
    expect(normaliseDeviceId('3C:52:82:4A:9F:10')).toBe('3c52824a9f10');
    expect(normaliseDeviceId('3c52.824a.9f10')).toBe('3c52824a9f10');
    expect(normaliseDeviceId('Laptop-Fingerprint-7')).toBe('Laptop-Fingerprint-7');
  });
});

describe('3.3 the modules raising the most errors', () => {
  const window = hourFrom('2026-03-10T03:00:00Z');

  it('ranks the top N modules by occurrences, with counts and error classes; a new high rate makes it medium', () => {
    const records = [
      moduleError('inventory', 30, '2026-03-10T03:05:00Z'),
      moduleError('inventory', 7, '2026-03-10T03:35:00Z', 'deadlock'),
      moduleError('orders', 12, '2026-03-10T03:10:00Z'),
      moduleError('finance', 2, '2026-03-10T03:20:00Z'),
      record('Module Error', { module: 'reporting', errorClass: 'timeout' }, '2026-03-10T03:25:00Z'), // occurrences defaults to 1
    ];
    const policy = parsePolicy({ performance: { moduleErrors: { reportTopModules: 2 } } });
    const [finding] = byRule(analyse(records, window, policy), 'module-errors');
    expect(finding).toMatchObject({ control: '3.3', severity: 'medium', mode: 'report-only', subject: { type: 'report', id: 'module-errors' } });
    expect(finding?.evidence.facts?.topModules).toEqual([
      { module: 'inventory', errors: 37, events: 2, errorClasses: { 'inventory-lock-conflict': 30, deadlock: 7 }, baselineHourlyAverage: 0, rising: true },
      { module: 'orders', errors: 12, events: 1, errorClasses: { 'inventory-lock-conflict': 12 }, baselineHourlyAverage: 0, rising: false },
    ]);
    expect(finding?.evidence.eventIds).toEqual([records[0], records[1], records[2]].map((r) => r?.eventId));
    expect(finding?.evidence.summary).toContain('inventory 37 (mostly inventory-lock-conflict)');
  });

  it('is medium when a top module runs well above its own baseline, low when at its usual rate', () => {
    const busyAsUsual = times('2026-03-09T03:00:00Z', 24, HOUR).map((t) => moduleError('inventory', 40, t));
    const policy = parsePolicy({ audit: { behaviourAnalysis: { baselineDays: 1 } } });
    expect(byRule(analyse([moduleError('inventory', 40, '2026-03-10T03:05:00Z')], window, policy, busyAsUsual), 'module-errors')[0]?.severity).toBe('low');
    expect(byRule(analyse([moduleError('inventory', 121, '2026-03-10T03:05:00Z')], window, policy, busyAsUsual), 'module-errors')[0]?.severity).toBe('medium');
  });

  it('raises nothing in a window without module errors', () => {
    expect(byRule(analyse([moduleError('inventory', 5, '2026-03-10T02:05:00Z')], window), 'module-errors')).toEqual([]);
  });
});
