import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { defaultPolicy } from '../../schemas/default-policy.ts';
import { clearPolicyCache, loadPolicy, parsePolicy, PolicyError } from '../../schemas/policy-loader.ts';
import { parseWholePolicy } from '../../schemas/policy-checks.ts';
import { policySchema } from '../../schemas/policy.ts';

const tempDir = mkdtempSync(join(tmpdir(), 'erpgov-policy-test-'));
afterAll(() => rmSync(tempDir, { recursive: true, force: true }));
beforeEach(() => clearPolicyCache());

let fileCounter = 0;
function policyFile(content: string): string {
  const file = join(tempDir, `policy-${++fileCounter}.json`);
  writeFileSync(file, content);
  return file;
}

function policyError(input: unknown): PolicyError {
  try {
    parsePolicy(input);
  } catch (err) {
    if (err instanceof PolicyError) return err;
    throw err;
  }
  throw new Error(`expected a PolicyError for ${JSON.stringify(input)}`);
}

describe('shipped defaults are the maintenance guide\'s figures', () => {
  it('parses an empty document into the full default policy', () => {
    expect(policySchema.parse({})).toEqual(defaultPolicy);
    expect(policySchema.parse(undefined)).toEqual(defaultPolicy);
    expect(Object.keys(defaultPolicy)).toEqual(['access', 'performance', 'change', 'incident', 'audit', 'notifications', 'backups', 'ingress']);
  });

  it('1. backups: weekly full cold backup kept 3 years and off-site, restore tests, encryption', () => {
    const { backups } = defaultPolicy;
    expect(backups.tiers.cold).toMatchObject({ fullBackupEveryDays: 7, minRetentionDays: 1095, offsiteRequired: true });
    expect(backups.restoreTests.everyDays).toEqual({ hot: 30, cold: 30 });
    expect(backups.sensitiveDataClasses).toEqual(expect.arrayContaining(['customer', 'payroll']));
  });

  it('2. access: job matrix, one device, 24 h revocation, monthly audit', () => {
    const { access } = defaultPolicy;
    expect(access.leastPrivilege.jobModules.sales).toEqual(['orders']);
    expect(access.leastPrivilege.jobModules.finance).toEqual(['finance', 'reporting']);
    expect(access.leastPrivilege.jobModules.finance).not.toContain('production-planning');
    expect(access.segregationOfDuties.conflicts.length).toBeGreaterThan(0);
    expect(access.deviceBinding).toMatchObject({ required: true, maxDevicesPerAccount: 1 });
    expect(access.leaverMoverRevocation.withinHours).toBe(24);
    expect(access.temporaryGrants.maxDurationDays).toBe(30);
    expect(access.permissionAudit).toMatchObject({ dayOfMonth: 1, unusedPermissionDays: 90 });
  });

  it('3. performance: CPU 75 %, memory 85 %, free disk 20 %, orders 2 s, reports 30 s', () => {
    const { performance } = defaultPolicy;
    expect(performance.cpu.maxPercent).toBe(75);
    expect(performance.memory.maxPercent).toBe(85);
    expect(performance.diskFree.minPercent).toBe(20);
    expect(performance.orderLatency.maxSeconds).toBe(2);
    expect(performance.reportDuration.maxSeconds).toBe(30);
    expect(performance.thresholdEvaluation).toEqual({ fire: { breaching: 3, ofLast: 5 }, clear: { clearing: 3, ofLast: 3 }, missingData: { silentAfterMinutes: 15 }, flapping: { transitions: 4, windowMinutes: 60 } });
    expect(performance.slowQueries.mode).toBe('report-only');
  });

  it('4. change: business and IT sign-off, tested, rollback plan, artefacts, no direct production edits', () => {
    const { change } = defaultPolicy;
    expect(change.signOff.requiredRoles).toEqual(['business', 'it']);
    expect(change.testing.required).toBe(true);
    expect(change.rollbackPlan.required).toBe(true);
    expect(change.artefacts.required).toEqual(['codeVersion', 'configuration', 'databaseScripts']);
    expect(change.directProductionEdits.forbidden).toBe(true);
    expect(change.productionEnvironments).toContain('production');
  });

  it('5. incident: severity table from P1 (15 min) to P4 (8 h), quarterly drills', () => {
    const { incident } = defaultPolicy;
    expect(incident.severityTable.P1.respondWithinMinutes).toBe(15);
    expect(incident.severityTable.P2.respondWithinMinutes).toBe(30);
    expect(incident.severityTable.P4.respondWithinMinutes).toBe(8 * 60);
    expect(incident.severityTable.P1.description).toMatch(/whole system down/);
    expect(incident.severityTable.P4.description).toMatch(/one user cannot log in/);
    expect(incident.drills.intervalDays).toBe(90);
    expect(incident.recoveryTimeObjective.minutes).toBe(240);
    expect(incident.severityTable.P1).toMatchObject({ respondWithinMinutes: 15, resolveWithinMinutes: 240, renotifyEveryMinutes: 30 });
    expect(incident.escalation.chain).toEqual(['on-call', 'it-lead', 'cio']);
    expect(incident.standby.coreServices).toEqual(['order-entry', 'payment']);
  });

  it('6. audit: logs kept 183 days, bulk delete above 100 records, working hours in Shanghai', () => {
    const { audit } = defaultPolicy;
    expect(audit.retention.days).toBe(183);
    expect(audit.archive.coldRetentionDays).toBe(1095);
    expect(audit.highRiskOperations.bulkDeleteAboveRecords).toBe(100);
    expect(audit.highRiskOperations.dualVerification).toEqual({ required: true, windowMinutes: 30, authorisedVerifiers: [] });
    expect(audit.workingHours).toMatchObject({ timezone: 'Asia/Shanghai', start: '08:00', end: '20:00', days: ['mon', 'tue', 'wed', 'thu', 'fri'] });
    expect(audit.failedLogins).toMatchObject({ maxFailures: 5, windowMinutes: 15 });
  });

  it('notifications: works with no configuration; slack for all but low, e-mail for critical and high, low digested hourly', () => {
    const { notifications } = defaultPolicy;
    expect(notifications).toEqual({
      language: 'en',
      routes: [],
      channelsBySeverity: { critical: ['slack', 'email'], high: ['slack', 'email'], medium: ['slack'], low: ['slack'] },
      defaultEmailRecipients: [],
      quietHours: { enabled: false, timezone: 'Asia/Shanghai', from: '22:00', to: '08:00', bypassSeverities: ['critical'] },
      digest: { severities: ['low'], periodMinutes: 60 },
      retry: { maxAttempts: 12, baseDelaySeconds: 30, maxDelaySeconds: 3600 },
      outboxRetentionDays: 30,
    });
  });

  it('every rule is enforced unless it is a report by nature', () => {
    const modes = new Map<string, string>();
    const walk = (node: unknown, path: string) => {
      if (typeof node !== 'object' || node === null || Array.isArray(node)) return;
      for (const [key, child] of Object.entries(node)) {
        if (key === 'mode') modes.set(path, child as string);
        walk(child, path ? `${path}.${key}` : key);
      }
    };
    walk(defaultPolicy, '');
    const reportOnly = [...modes].filter(([, mode]) => mode === 'report-only').map(([path]) => path);
    expect(reportOnly.sort()).toEqual(['audit.workingHours', 'performance.moduleErrors', 'performance.slowQueries']);
    expect(modes.size).toBeGreaterThan(20);
  });

  it('is frozen, so no handler can change it for the others', () => {
    expect(Object.isFrozen(defaultPolicy.performance.cpu)).toBe(true);
    expect(() => {
      (defaultPolicy.performance.cpu as { maxPercent: number }).maxPercent = 99;
    }).toThrow(TypeError);
  });
});

describe('a partial policy is merged over the defaults', () => {
  it('changes only what it names', () => {
    const policy = parsePolicy({ performance: { cpu: { maxPercent: 80 } } });
    expect(policy.performance.cpu).toEqual({ mode: 'enforce', maxPercent: 80 });
    expect(policy.performance.memory.maxPercent).toBe(85);
    const expected = structuredClone(defaultPolicy);
    expected.performance.cpu.maxPercent = 80;
    expect(policy).toEqual(expected);
  });

  it('switches a rule to report-only without touching its figures', () => {
    const policy = parsePolicy({ access: { leaverMoverRevocation: { mode: 'report-only' } } });
    expect(policy.access.leaverMoverRevocation).toEqual({ mode: 'report-only', withinHours: 24 });
  });

  it('replaces lists and maps whole (a job matrix is the company\'s own)', () => {
    const policy = parsePolicy({ access: { leastPrivilege: { jobModules: { cashier: ['pos'] } } } });
    expect(policy.access.leastPrivilege.jobModules).toEqual({ cashier: ['pos'] });
  });

  it('overrides one severity level and keeps the others', () => {
    const policy = parsePolicy({ incident: { severityTable: { P3: { respondWithinMinutes: 120 } } } });
    expect(policy.incident.severityTable.P3.respondWithinMinutes).toBe(120);
    expect(policy.incident.severityTable.P3.description).toBe(defaultPolicy.incident.severityTable.P3.description);
    expect(policy.incident.severityTable.P1.respondWithinMinutes).toBe(15);
  });

  it('accepts a $schema editor hint', () => {
    expect(parsePolicy({ $schema: '../schemas/json/policy.json' }).audit.retention.days).toBe(183);
  });

  it('allows short audit retention in report-only mode', () => {
    expect(parsePolicy({ audit: { retention: { mode: 'report-only', days: 30 }, archive: { coldRetentionDays: 30 } } }).audit.retention.days).toBe(30);
  });

  it('parses the shipped example policy file', () => {
    const policy = loadPolicy({ file: new URL('../../policy/example-policy.json', import.meta.url).pathname });
    expect(policy.performance.cpu.maxPercent).toBe(80);
    expect(policy.audit.workingHours.days).toContain('sat');
    expect(policy.audit.retention.days).toBe(183);
  });
});

describe('a bad policy is refused with the key path, the value and what is allowed', () => {
  it.each([
    [{ audit: { retention: { days: 30 } } }, 'audit.retention.days: 30 — must be at least 183 in enforce mode (guide 6.1: logs kept ≥ 6 months)'],
    [{ audit: { retention: { days: 0 } } }, 'audit.retention.days: 0 — must be more than 0'],
    [{ performance: { cpu: { maxPercent: 180 } } }, 'performance.cpu.maxPercent: 180 — must be at most 100'],
    [{ performance: { cpu: { maxPercent: '80' } } }, 'performance.cpu.maxPercent: "80" — must be a number, not text'],
    [{ performance: { cpu: { maxPercnt: 80 } } }, 'performance.cpu.maxPercnt: 80 — unknown key; allowed here: mode, maxPercent'],
    [{ performnce: {} }, 'performnce: {} — unknown key; allowed here: $schema, access, performance, change, incident, audit, notifications, backups, ingress'],
    [{ backups: { mode: 'strict' } }, 'backups.mode: "strict" — must be one of "enforce", "report-only"'],
    [{ access: { leaverMoverRevocation: { withinHours: 0 } } }, 'access.leaverMoverRevocation.withinHours: 0 — must be more than 0'],
    [
      { access: { segregationOfDuties: { conflicts: [{ first: 'payment.approve', second: 'payment.approve', reason: 'x' }] } } },
      'access.segregationOfDuties.conflicts[0].second: "payment.approve" — must name a different permission than first ("payment.approve"): a conflict is between two permissions',
    ],
    [
      { access: { segregationOfDuties: { exceptions: [{ account: 'u1', first: 'vendor.create', second: 'payment.aprove', owner: 'cfo', expiresAt: '2026-04-01T00:00:00Z' }] } } },
      'access.segregationOfDuties.exceptions[0].second: "payment.aprove" — must name a permission of a pair in access.segregationOfDuties.conflicts: an exception can only accept a listed conflict',
    ],
    [
      { access: { segregationOfDuties: { exceptions: [{ account: 'u1', first: 'vendor.create', second: 'order.approve', owner: 'cfo', expiresAt: '2026-04-01T00:00:00Z' }] } } },
      'access.segregationOfDuties.exceptions[0]: "vendor.create + order.approve" — must be a pair listed in access.segregationOfDuties.conflicts',
    ],
    [{ access: { segregationOfDuties: { exceptions: [{ account: 'u1', first: 'vendor.create', second: 'payment.approve', owner: 'cfo' }] } } }, 'access.segregationOfDuties.exceptions[0].expiresAt'],
    [
      { access: { segregationOfDuties: { rolePermissions: { AP_CLERK: ['vendor.create'], PAYMASTER: ['payment.approve'] }, conflicts: [{ first: 'vendor.create', second: 'paymnet.approve', reason: 'x' }] } } },
      'access.segregationOfDuties.conflicts[0].second: "paymnet.approve" — must be a permission some role in access.segregationOfDuties.rolePermissions carries (known: payment.approve, vendor.create)',
    ],
    [{ access: { segregationOfDuties: { rolePermissions: { AP_CLERK: [] } } } }, 'access.segregationOfDuties.rolePermissions.AP_CLERK: [] — must list at least one permission; remove a role that carries none'],
    [{ access: { leastPrivilege: { jobModules: { sales: [] } } } }, 'access.leastPrivilege.jobModules.sales: [] — must list at least one module — a job with no module should be removed from the matrix'],
    [{ access: { permissionAudit: { dayOfMonth: 31 } } }, 'access.permissionAudit.dayOfMonth: 31 — must be between 1 and 28 so that the audit runs every month (February has 28 days)'],
    [{ audit: { workingHours: { start: '20:00', end: '08:00' } } }, 'audit.workingHours.end: "08:00" — must be after start (20:00); working hours do not span midnight'],
    [{ audit: { workingHours: { start: '8am' } } }, 'audit.workingHours.start: "8am" — must be a 24-hour time HH:MM, e.g. "08:00"'],
    [{ audit: { workingHours: { timezone: 'Shanghai' } } }, 'audit.workingHours.timezone: "Shanghai" — must be an IANA time zone, e.g. "Asia/Shanghai"'],
    [{ audit: { archive: { coldRetentionDays: 100 } } }, 'audit.archive.coldRetentionDays: 100 — must be at least audit.retention.days (183): archived logs live out their retention in cold storage'],
    [{ incident: { severityTable: { P2: { respondWithinMinutes: 10 } } } }, 'incident.severityTable.P2.respondWithinMinutes: 10 — must not be shorter than P1\'s 15: a less severe level cannot demand a faster response'],
    [{ change: { signOff: { requiredRoles: ['it'] } } }, 'change.signOff.requiredRoles: ["it"] — must name at least two different roles in enforce mode (guide 4.1: the business department and the IT lead both sign off)'],
    [{ change: { testEnvironments: ['test', 'PRD'] } }, 'change.testEnvironments[1]: "PRD" — must not also be a production environment (guide 4.2: test before production)'],
    [{ notifications: { quietHours: { enabled: true, from: '22:00', to: '22:00' } } }, 'notifications.quietHours.to: "22:00" — must differ from from (22:00): equal times would make the quiet hours empty'],
    [{ notifications: { defaultEmailRecipients: ['ops'] } }, 'notifications.defaultEmailRecipients[0]: "ops" — must be an e-mail address, e.g. "it-lead@example.com"'],
    [{ notifications: { routes: [{ match: { controls: ['7.1'] }, channels: ['slack'] }] } }, 'notifications.routes[0].match.controls[0]: "7.1" — must be a control number of the maintenance guide, e.g. "2.3"'],
    [{ notifications: { language: 'fr' } }, 'notifications.language: "fr" — must be one of "en", "zh"'],
    [{ performance: { cpu: { clearAtPercent: 76 } } }, 'performance.cpu.clearAtPercent: 76 — must be at most maxPercent (75): the clear threshold sits on the safe side of the fire threshold'],
    [{ performance: { diskFree: { clearAtPercent: 15 } } }, 'performance.diskFree.clearAtPercent: 15 — must be at least minPercent (20): the clear threshold sits on the safe side of the fire threshold'],
    [{ performance: { orderLatency: { clearAtSeconds: 2.5 } } }, 'performance.orderLatency.clearAtSeconds: 2.5 — must be at most maxSeconds (2): the clear threshold sits on the safe side of the fire threshold'],
    [{ performance: { thresholdEvaluation: { fire: { breaching: 6 } } } }, 'performance.thresholdEvaluation.fire.breaching: 6 — must be at most ofLast (5): M of N needs M ≤ N'],
    [{ performance: { thresholdEvaluation: { clear: { clearing: 4 } } } }, 'performance.thresholdEvaluation.clear.clearing: 4 — must be at most ofLast (3): M of N needs M ≤ N'],
    [{ incident: { severityTable: { P1: { resolveWithinMinutes: 10 } } } }, 'incident.severityTable.P1.resolveWithinMinutes: 10 — must be at least respondWithinMinutes (15): an incident is acknowledged before it is resolved'],
    [[], '(document): [] — must be an object, not a list'],
  ])('%j', (input, line) => {
    const error = policyError(input);
    expect(error.name).toBe('PolicyError');
    expect(error.message).toContain(`  - ${line}`);
    expect(error.problems).toHaveLength(1);
  });

  it('gives path, value and message separately in problems', () => {
    expect(policyError({ audit: { retention: { days: 30 } } }).problems).toEqual([
      { path: 'audit.retention.days', value: 30, message: 'must be at least 183 in enforce mode (guide 6.1: logs kept ≥ 6 months)' },
    ]);
  });

  it('lists every problem at once', () => {
    const error = policyError({ performance: { cpu: { maxPercent: -1 }, memory: { maxPercent: 101 } }, backups: { restoreTests: { everyDays: { hot: 0 } } } });
    expect(error.problems.map((problem) => problem.path).sort()).toEqual(['backups.restoreTests.everyDays.hot', 'performance.cpu.maxPercent', 'performance.memory.maxPercent']);
  });
});

describe('loadPolicy', () => {
  it('returns the defaults when no file is named', () => {
    expect(loadPolicy({ env: {} })).toBe(defaultPolicy);
    expect(loadPolicy({ env: { ERPGOV_POLICY_FILE: '  ' } })).toBe(defaultPolicy);
  });

  it('honours ERPGOV_POLICY_FILE', () => {
    const file = policyFile(JSON.stringify({ performance: { cpu: { maxPercent: 80 } } }));
    expect(loadPolicy({ env: { ERPGOV_POLICY_FILE: file } }).performance.cpu.maxPercent).toBe(80);
  });

  it('prefers options.file over the environment', () => {
    const fromEnv = policyFile(JSON.stringify({ performance: { cpu: { maxPercent: 70 } } }));
    const fromOption = policyFile(JSON.stringify({ performance: { cpu: { maxPercent: 90 } } }));
    expect(loadPolicy({ file: fromOption, env: { ERPGOV_POLICY_FILE: fromEnv } }).performance.cpu.maxPercent).toBe(90);
  });

  it('loads a file once and caches it by path', () => {
    const file = policyFile(JSON.stringify({ performance: { cpu: { maxPercent: 70 } } }));
    const first = loadPolicy({ file });
    writeFileSync(file, JSON.stringify({ performance: { cpu: { maxPercent: 60 } } }));
    expect(loadPolicy({ file })).toBe(first);
    clearPolicyCache();
    expect(loadPolicy({ file }).performance.cpu.maxPercent).toBe(60);
  });

  it('names a file that is not JSON', () => {
    const file = policyFile('{ "performance": { "cpu": { "maxPercent": 80, } } }');
    expect(() => loadPolicy({ file })).toThrow(PolicyError);
    expect(() => loadPolicy({ file })).toThrow(new RegExp(`invalid governance policy \\(${escape(file)}\\)[\\s\\S]*is not valid JSON`));
  });

  it('names a file that does not exist', () => {
    const file = join(tempDir, 'missing.json');
    expect(() => loadPolicy({ env: { ERPGOV_POLICY_FILE: file } })).toThrow(new RegExp(`${escape(file)}[\\s\\S]*does not exist; check ERPGOV_POLICY_FILE`));
  });

  it('names the file and the key when the content is invalid', () => {
    const file = policyFile(JSON.stringify({ audit: { retention: { days: 30 } } }));
    let error: unknown;
    try {
      loadPolicy({ file });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(PolicyError);
    expect((error as PolicyError).message).toBe(
      `invalid governance policy (${file}):\n  - audit.retention.days: 30 — must be at least 183 in enforce mode (guide 6.1: logs kept ≥ 6 months)`,
    );
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('backups (guide 1.1–1.3): refusals with the key path', () => {
  const refused = (doc: unknown) => {
    try {
      parsePolicy(doc);
    } catch (err) {
      return (err as Error).message;
    }
    return 'accepted';
  };
  it('a cold retention under 1,095 days in enforce mode', () => {
    expect(refused({ backups: { tiers: { cold: { minRetentionDays: 365 } } } })).toMatch(/backups\.tiers\.cold\.minRetentionDays.*1095/s);
    expect(refused({ backups: { mode: 'report-only', tiers: { cold: { minRetentionDays: 365 } } } })).toBe('accepted');
  });
  it('a hot dataset without an off-site target', () => {
    expect(refused({ backups: { catalogue: [{ id: 'orders', system: 'sap', kind: 'database', tier: 'hot', backupPlan: 'p' }] } })).toMatch(/backups\.catalogue\.0\.offsiteTarget|backups\.catalogue\[0\]\.offsiteTarget/);
  });
  it('a restore-test period of zero', () => {
    expect(refused({ backups: { restoreTests: { everyDays: { cold: 0 } } } })).toMatch(/backups\.restoreTests\.everyDays\.cold/);
  });
});

describe('ingress: what the door takes in, and how far an event\'s time may stray', () => {
  it('defaults to erp.* only, 5 minutes ahead and 400 days behind', () => {
    expect(defaultPolicy.ingress).toEqual({ allowedSources: [], clockSkewToleranceMinutes: 5, lateArrivalWindowDays: 400 });
  });

  it('never lets the policy open the pipeline\'s or AWS\'s sources', () => {
    const result = policySchema.safeParse({ ingress: { allowedSources: ['com.example.hr', 'erpgov.notifier', 'aws.backup'] } });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path.join('.'))).toEqual(['ingress.allowedSources.1', 'ingress.allowedSources.2']);
    expect(policySchema.parse({ ingress: { allowedSources: ['com.example.hr'] } }).ingress.allowedSources).toEqual(['com.example.hr']);
  });
});

describe('the policy baked into the Lambda bundles at synth', () => {
  const customised = {
    access: { leaverMoverRevocation: { withinHours: 8 } },
    change: { freeze: { calendars: [{ name: 'month-end', ics: 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:m1\r\nDTSTART:20261130T220000Z\r\nDTEND:20261201T060000Z\r\nRRULE:FREQ=MONTHLY\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n' }] } },
  };

  it('survives JSON unchanged, so what synth validated is exactly what a cold start reads', () => {
    for (const document of [{}, customised]) {
      const parsed = parseWholePolicy(document, 'test');
      expect(JSON.parse(JSON.stringify(parsed))).toStrictEqual(parsed);
    }
  });

  it('is not there when a function runs unbundled (local runtime, tests): the function reads loadPolicy()', async () => {
    vi.resetModules();
    vi.stubEnv('ERPGOV_POLICY_INLINE', '');
    try {
      const fresh = await import('../../schemas/policy-loader.ts');
      expect(fresh.functionPolicy()).toBe(fresh.loadPolicy());
    } finally {
      vi.unstubAllEnvs();
      vi.resetModules();
    }
  });

  it('is what a function reads (frozen, no second validation) when ERPGOV_POLICY_INLINE is set', async () => {
    const baked = parseWholePolicy(customised, 'test');
    vi.resetModules();
    vi.stubEnv('ERPGOV_POLICY_INLINE', JSON.stringify(baked));
    try {
      const fresh = await import('../../schemas/policy-loader.ts');
      const policy = fresh.functionPolicy();
      expect(policy).toStrictEqual(baked);
      expect(Object.isFrozen(policy.change.freeze.calendars)).toBe(true);
    } finally {
      vi.unstubAllEnvs();
      vi.resetModules();
    }
  });
});
