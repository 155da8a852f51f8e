/**
 * One realistic detail per detail-type: documentation for integrators (they appear in the
 * generated JSON Schema), fixtures for tests, and what `erpgov send-example` sends. A test
 * checks that every one validates.
 */
import type { DetailInput, DetailTypeName } from './registry.ts';
import type { PutEventsRequestEntry } from './envelope.ts';

export const detailExamples: { readonly [K in DetailTypeName]: DetailInput<K> } = {
  // access (2.x)
  'Role Assigned': {
    schemaVersion: 1,
    account: 'u1001',
    person: 'E-20391',
    role: 'SD_SALES_CLERK',
    modules: ['orders'],
    permissions: ['order.create', 'order.view'],
    job: 'sales',
    grantedBy: 'admin.li',
  },
  'Role Revoked': {
    schemaVersion: 1,
    account: 'u1001',
    person: 'E-20391',
    role: 'SD_SALES_CLERK',
    revokedBy: 'admin.li',
    reason: 'departure',
    commandId: 'cmd-2026-03-02-0007',
  },
  'Temporary Grant Issued': {
    schemaVersion: 1,
    grantId: 'TG-2026-0031',
    grantee: 'ext.audit.wang',
    organisation: 'Hua Ming CPA (external auditor)',
    permissions: ['ledger.view', 'report.run'],
    modules: ['finance', 'reporting'],
    reason: 'Year-end statutory audit of the 2025 accounts',
    approver: 'cfo.zhang',
    startsAt: '2026-03-02T09:00:00+08:00',
    expiresAt: '2026-03-16T18:00:00+08:00',
  },
  'Employee Departed': {
    schemaVersion: 1,
    person: 'E-20391',
    departedAt: '2026-03-01T18:00:00+08:00',
    accounts: ['u1001'],
    department: 'Sales East',
  },
  'Employee Transferred': {
    schemaVersion: 1,
    person: 'E-18820',
    fromJob: 'sales',
    toJob: 'finance',
    fromDepartment: 'Sales East',
    toDepartment: 'Accounts Payable',
    effectiveAt: '2026-04-01T00:00:00+08:00',
    accounts: ['u0877'],
  },
  Login: {
    schemaVersion: 1,
    account: 'u1001',
    person: 'E-20391',
    deviceId: '3C:52:82:4A:9F:10',
    outcome: 'success',
    sourceIp: '10.20.4.17',
  },
  // backup (1.x)
  'Backup Completed': {
    schemaVersion: 1,
    backupId: 'bk-finance-2026-03-01-full',
    system: 'kingdee-finance-db',
    tier: 'cold',
    kind: 'full',
    sizeBytes: 48_318_382_080,
    startedAt: '2026-03-01T01:00:00+08:00',
    finishedAt: '2026-03-01T02:47:12+08:00',
    location: 'offsite-dc-2:/vault/finance/2026-03-01',
    offsite: true,
    encrypted: true,
    encryption: 'AES-256-GCM',
    retainUntil: '2029-03-01T00:00:00+08:00',
    dataClasses: ['finance', 'payroll'],
  },
  'Backup Failed': {
    schemaVersion: 1,
    backupId: 'bk-finance-2026-03-08-full',
    system: 'kingdee-finance-db',
    tier: 'cold',
    kind: 'full',
    startedAt: '2026-03-08T01:00:00+08:00',
    error: 'Target volume offsite-dc-2:/vault is full (0 bytes free)',
    errorCode: 'ENOSPC',
  },
  'Replication Status': {
    schemaVersion: 1,
    system: 'sap-prd-hana',
    replica: 'dr-site-shenzhen',
    state: 'in-sync',
    lagSeconds: 2.4,
    offsite: true,
    encryptedInTransit: true,
  },
  'Restore Test Result': {
    schemaVersion: 1,
    testId: 'rt-2026-03',
    backupId: 'bk-finance-2026-03-01-full',
    system: 'kingdee-finance-db',
    restoredTo: 'restore-test-01 (isolated network)',
    outcome: 'passed',
    startedAt: '2026-03-05T20:00:00+08:00',
    finishedAt: '2026-03-05T22:31:00+08:00',
    recordsVerified: 1_204_339,
    testedBy: 'dba.chen',
  },
  // performance (3.x)
  'Metric Sample': {
    schemaVersion: 1,
    host: 'erp-app-01',
    metric: 'cpu',
    value: 82.5,
    unit: 'percent',
    statistic: 'average',
    windowSeconds: 60,
  },
  'Slow Query': {
    schemaVersion: 1,
    system: 'sap-prd-hana',
    queryFingerprint: 'q-7f3a9c21',
    statement: 'SELECT … FROM vbak JOIN vbap ON … WHERE erdat BETWEEN ? AND ?',
    durationSeconds: 41.7,
    module: 'reporting',
    tables: ['vbak', 'vbap'],
    rowsExamined: 18_220_114,
    detectedBy: 'new-relic',
  },
  'Module Error': {
    schemaVersion: 1,
    module: 'inventory',
    errorClass: 'inventory-lock-conflict',
    message: 'Material 100-200 at plant 1000 is locked by user u0877',
    occurrences: 37,
    windowSeconds: 3600,
    host: 'erp-app-02',
  },
  // change (4.x)
  'Change Requested': {
    schemaVersion: 1,
    changeId: 'CHG-2026-0142',
    title: 'Add index on sales order date for month-end report',
    kind: 'patch',
    requestedBy: 'dev.liu',
    modules: ['reporting', 'orders'],
    targetEnvironment: 'production',
    description: 'Month-end report scans all orders; an index on the order date cuts it from hours to minutes.',
    rollbackPlan: 'Drop index ix_vbak_erdat (db/2026-03-rollback.sql); no data is changed.',
    plannedFor: '2026-03-07T22:00:00+08:00',
  },
  'Change Approved': {
    schemaVersion: 1,
    changeId: 'CHG-2026-0142',
    approver: 'it.lead.sun',
    role: 'it',
    comment: 'Tested on QAS with a copy of February data.',
  },
  'Change Rejected': {
    schemaVersion: 1,
    changeId: 'CHG-2026-0150',
    approver: 'sales.head.zhao',
    role: 'business',
    reason: 'Changes the discount rules in the middle of the quarter; resubmit after 1 April.',
  },
  'Change Tested': {
    schemaVersion: 1,
    changeId: 'CHG-2026-0142',
    environment: 'QAS',
    outcome: 'passed',
    testedBy: 'qa.he',
    codeVersion: 'git:4f2c9a1',
    testReport: 'TR-2026-0142',
    failedCases: 0,
  },
  'Change Deployed': {
    schemaVersion: 1,
    changeId: 'CHG-2026-0142',
    environment: 'production',
    deployedBy: 'ci-pipeline',
    method: 'version-control',
    artefacts: {
      codeVersion: 'git:4f2c9a1',
      configuration: ['config/reporting.yaml@4f2c9a1'],
      databaseScripts: ['db/2026-03-add-index-vbak-erdat.sql@4f2c9a1'],
    },
  },
  'Change Rolled Back': {
    schemaVersion: 1,
    changeId: 'CHG-2026-0142',
    environment: 'production',
    rolledBackBy: 'ci-pipeline',
    reason: 'Index build locked VBAK for 4 minutes; order entry timed out.',
    restoredVersion: 'git:9b1e0d4',
  },
  'Configuration Modified': {
    schemaVersion: 1,
    configKey: 'pricing.discount.maxPercent',
    module: 'orders',
    environment: 'production',
    modifiedBy: 'admin.li',
    channel: 'console',
    oldValue: '15',
    newValue: '25',
  },
  // incident (5.x)
  'Incident Opened': {
    schemaVersion: 1,
    incidentId: 'INC-2026-0311',
    severity: 'P2',
    title: 'Order entry times out for all users',
    modules: ['orders'],
    affectedUsers: 140,
    reportedBy: 'monitoring',
  },
  'Incident Acknowledged': {
    schemaVersion: 1,
    incidentId: 'INC-2026-0311',
    acknowledgedBy: 'oncall.wu',
  },
  'Incident Resolved': {
    schemaVersion: 1,
    incidentId: 'INC-2026-0311',
    resolvedBy: 'oncall.wu',
    resolution: 'Killed the blocking index build and rolled back CHG-2026-0142.',
    rootCause: 'Index build on VBAK took a table lock during business hours.',
    offlineModeUsed: true,
  },
  'Drill Completed': {
    schemaVersion: 1,
    drillId: 'DR-2026-Q1',
    scenario: 'Primary database lost; fail over to the DR site in Shenzhen',
    kind: 'failover',
    startedAt: '2026-03-21T09:00:00+08:00',
    finishedAt: '2026-03-21T11:30:00+08:00',
    recoveryTimeSeconds: 1680,
    outcome: 'passed',
    participants: ['oncall.wu', 'dba.chen', 'it.lead.sun'],
    lessons: 'DNS switch took 9 minutes; lower the TTL on erp.example.internal.',
  },
  // audit (6.x)
  'Operation Audited': {
    schemaVersion: 1,
    actor: 'u1001',
    action: 'delete',
    target: 'sales-order',
    module: 'orders',
    recordCount: 250,
    deviceId: '3C:52:82:4A:9F:10',
    outcome: 'success',
    verifiedBy: 'sales.head.zhao',
    operationId: 'log-88120317',
  },
  // pipeline
  'Finding Raised': {
    schemaVersion: 1,
    findingId: 'access-2.3-leaver-u1001',
    control: '2.3',
    title: 'Leaver still has access',
    severity: 'high',
    mode: 'enforce',
    subject: { type: 'account', id: 'u1001' },
    evidence: {
      summary: 'u1001 still holds SD_SALES_CLERK 26 h after E-20391 left (limit 24 h).',
      eventIds: ['6a7e2f1c-0c1d-4b8e-9f00-2d3c4b5a6978'],
      facts: { limitHours: 24, elapsedHours: 26 },
    },
    dueAt: '2026-03-02T18:00:00+08:00',
    detectedBy: 'access-control',
  },
  'Finding Resolved': {
    schemaVersion: 1,
    findingId: 'access-2.3-leaver-u1001',
    control: '2.3',
    severity: 'high',
    mode: 'enforce',
    subject: { type: 'account', id: 'u1001' },
    resolution: 'fixed',
    resolvedBy: 'access-control',
    evidence: { summary: 'SD_SALES_CLERK revoked from u1001 by admin.li.', eventIds: ['0b9d6c44-5e3a-4f21-8c7d-1a2b3c4d5e6f'] },
  },
  'Command Issued': {
    schemaVersion: 1,
    commandId: 'cmd-2026-03-02-0007',
    command: 'revoke-role',
    account: 'u1001',
    role: 'SD_SALES_CLERK',
    control: '2.3',
    findingId: 'access-2.3-leaver-u1001',
    reason: 'E-20391 left on 2026-03-01; guide 2.3 requires revocation within 24 h.',
    executeBy: '2026-03-02T18:00:00+08:00',
  },
};

/** The entry fields an example event sets; all plain strings, so it fits the AWS SDK's entry type too. */
export type ExampleEntry = Required<Pick<PutEventsRequestEntry, 'Source' | 'DetailType' | 'Detail' | 'EventBusName'>>;

/**
 * The pipeline's bus. The routing table (`infra/routes.ts`, EVENT_BUS_NAME) names the same bus;
 * it is not imported from there so that the contract does not depend on the infrastructure.
 */
const EXAMPLE_EVENT_BUS_NAME = 'erpgov-bus';

/** A complete PutEvents entry carrying the example of `detailType`. */
export function exampleEvent(detailType: string, source = 'erp.sap'): ExampleEntry {
  if (!Object.hasOwn(detailExamples, detailType)) {
    throw new Error(`no example for detail-type "${detailType}"; known detail-types: ${Object.keys(detailExamples).join(', ')}`);
  }
  const detail = detailExamples[detailType as DetailTypeName];
  return { Source: source, DetailType: detailType, Detail: JSON.stringify(detail), EventBusName: EXAMPLE_EVENT_BUS_NAME };
}
