/**
 * A month (MONTH, 2026-03) of ERP events across all six areas of the guide, for `erpgov
 * simulate` and the evidence pack: the access scenario of access-month.ts (2.x) and beside it
 * backups (1.x: ERP backup facts, and AWS Backup's own events as AWS puts them on the default
 * bus), thresholds (3.x: a host's samples every 10 minutes with a CPU episode, an order-latency
 * episode, slow SQL, module errors, a CloudWatch alarm that fires and clears), change approvals
 * (4.x: an approved, tested change deployed through version control, a rejected one, an
 * emergency change, configuration edits), incidents and continuity (5.x: incidents with their
 * response clocks, failover, offline-mode and restore drills) and audit (6.x: routine
 * operations, a verified and an unverified bulk delete, a sensitive export). Deterministic.
 *
 * SIMULATION_POLICY is the policy the month runs under: the shipped defaults plus a backup
 * catalogue (the default one is empty, so nothing would be governed in area 1), and silence
 * limits that fit the month's cadences (samples every 10 minutes, replication hourly), so that
 * the silence sweeps are idle between deadlines instead of sweeping every shard each time.
 */
import { PIPELINE_EVENT_BUS_NAME } from '../../schemas/envelope.ts';
import { accessScenario, MONTH_START } from './access-month.ts';

export { MONTH, MONTH_START, PERIOD_END, toJsonl } from './access-month.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const DAYS_IN_MONTH = 31;
const ACCOUNT = '111122223333';
const REGION = 'eu-central-1';
const at = (offsetMs: number) => new Date(MONTH_START.getTime() + offsetMs).toISOString();
const day = (d: number, hours = 0, minutes = 0) => (d - 1) * DAY + hours * HOUR + minutes * MINUTE;

function entry(detailType: string, detail: Record<string, unknown>, offsetMs: number, source = 'erp.sap') {
  return { EventBusName: PIPELINE_EVENT_BUS_NAME, Source: source, DetailType: detailType, Detail: JSON.stringify({ schemaVersion: 1, ...detail }), Time: at(offsetMs) };
}

/** An AWS service event as AWS puts it on the default bus (the shape `erpgov replay` takes). */
function awsEvent(source: string, detailType: string, id: string, resources: string[], detail: Record<string, unknown>, offsetMs: number) {
  return { version: '0', id, 'detail-type': detailType, source, account: ACCOUNT, time: at(offsetMs).replace('.000Z', 'Z'), region: REGION, resources, detail };
}

const ORDERS_DB = 'sap-prd-hana';
const FINANCE_DB = 'kingdee-finance-db';
const CONFIG_VOLUME_ARN = `arn:aws:elasticfilesystem:${REGION}:${ACCOUNT}:file-system/fs-0erpconfig01`;
const VAULT = `arn:aws:backup:${REGION}:${ACCOUNT}:backup-vault:erp-vault`;
const OFFSITE_VAULT = `arn:aws:backup:eu-west-1:${ACCOUNT}:backup-vault:erp-vault-dr`;
const THREE_YEARS_AND_A_WEEK = 1_103 * DAY;

/** The policy the month runs under (a file for `--policy`). */
export const SIMULATION_POLICY = {
  // The host samples every 10 minutes and replication reports hourly: silent after an hour and a half.
  performance: { thresholdEvaluation: { missingData: { silentAfterMinutes: 90 } } },
  backups: {
    tiers: { hot: { offsiteTarget: 'dr-site-shenzhen', heartbeatEveryMinutes: 90 } },
    aws: { offsiteVaultArns: [OFFSITE_VAULT] },
    catalogue: [
      { id: 'orders-db', system: ORDERS_DB, kind: 'database', tier: 'hot', dataClasses: ['orders', 'customer'], backupPlan: 'hana-daily' },
      { id: 'finance-history', system: FINANCE_DB, kind: 'database', tier: 'cold', dataClasses: ['finance'], backupPlan: 'finance-weekly-full' },
      { id: 'erp-config', system: 'erp-config-efs', kind: 'configuration', tier: 'cold', backupPlan: 'aws-backup-config-weekly', aws: { resourceArns: [CONFIG_VOLUME_ARN] } },
    ],
  },
};

/** 1.1–1.3: replication heartbeats, daily hot and weekly cold full backups, one failure, restore tests; AWS Backup jobs of the configuration volume. */
function backups(): Record<string, unknown>[] {
  const lines: Record<string, unknown>[] = [];
  for (let h = 0; h < DAYS_IN_MONTH * 24; h++) {
    lines.push(entry('Replication Status', { system: ORDERS_DB, replica: 'dr-site-shenzhen', state: 'in-sync', lagSeconds: 4 + (h % 5), offsite: true, encryptedInTransit: true, dataset: 'orders-db' }, h * HOUR + 5 * MINUTE));
  }
  for (let d = 1; d <= DAYS_IN_MONTH; d++) {
    const started = day(d, 1);
    if (d === 9) {
      lines.push(entry('Backup Failed', { backupId: `HANA-${d}`, system: ORDERS_DB, tier: 'hot', kind: 'full', startedAt: at(started), error: 'log volume full', errorCode: 'BKP-028', dataset: 'orders-db' }, started + 40 * MINUTE));
      continue;
    }
    lines.push(entry('Backup Completed', { backupId: `HANA-${d}`, system: ORDERS_DB, tier: 'hot', kind: 'full', sizeBytes: 800_000_000_000 + d * 1_000_000, startedAt: at(started), finishedAt: at(started + 50 * MINUTE), location: 's3://erp-backups/hana', offsite: true, encrypted: true, encryption: 'AES-256 (KMS key erp-backup)', dataClasses: ['orders', 'customer'], checksum: `sha256:hana${d}`, dataset: 'orders-db' }, started + 50 * MINUTE));
  }
  for (const d of [1, 8, 15, 22, 29]) {
    const started = day(d, 2);
    lines.push(entry('Backup Completed', { backupId: `FIN-${d}`, system: FINANCE_DB, tier: 'cold', kind: 'full', sizeBytes: 120_000_000_000, startedAt: at(started), finishedAt: at(started + 2 * HOUR), location: 'offsite-dc-2:/vault/finance', offsite: true, encrypted: true, encryption: 'AES-256', retainUntil: at(started + THREE_YEARS_AND_A_WEEK), dataClasses: ['finance'], checksum: `sha256:fin${d}`, dataset: 'finance-history' }, started + 2 * HOUR));
  }
  const restore = (testId: string, backupId: string, system: string, dataset: string, d: number) => {
    const started = day(d, 10);
    return entry('Restore Test Result', { testId, backupId, system, restoredTo: 'restore-test-01 (isolated)', outcome: 'passed', startedAt: at(started), finishedAt: at(started + 90 * MINUTE), recordsVerified: 1_250_000, expectedRecords: 1_250_000, sourceChecksum: `sha256:${backupId}`, restoredChecksum: `sha256:${backupId}`, applicationHealthy: true, testedBy: 'dba.wang', dataset }, started + 90 * MINUTE);
  };
  lines.push(restore('RT-0301', 'HANA-2', ORDERS_DB, 'orders-db', 3), restore('RT-0302', 'FIN-15', FINANCE_DB, 'finance-history', 16));
  // AWS Backup: the configuration volume's weekly job, its copy to the other region, one restore job.
  for (const d of [2, 9, 16, 23, 30]) {
    const done = day(d, 4, 20);
    const recoveryPoint = `arn:aws:backup:${REGION}:${ACCOUNT}:recovery-point:cfg-${d}`;
    lines.push(awsEvent('aws.backup', 'Backup Job State Change', `aws-backup-job-${d}`, [CONFIG_VOLUME_ARN], { backupJobId: `job-cfg-${d}`, backupVaultArn: VAULT, backupVaultName: 'erp-vault', recoveryPointArn: recoveryPoint, resourceArn: CONFIG_VOLUME_ARN, resourceType: 'EFS', state: 'COMPLETED', creationDate: at(done - 20 * MINUTE), completionDate: at(done), backupSizeInBytes: '2147483648', isEncrypted: 'true', encryptionKeyArn: `arn:aws:kms:${REGION}:${ACCOUNT}:key/erp-backup`, lifecycle: { deleteAfterDays: 1103 } }, done));
    lines.push(awsEvent('aws.backup', 'Copy Job State Change', `aws-copy-job-${d}`, [CONFIG_VOLUME_ARN], { copyJobId: `copy-cfg-${d}`, state: 'COMPLETED', resourceArn: CONFIG_VOLUME_ARN, sourceBackupVaultArn: VAULT, destinationBackupVaultArn: OFFSITE_VAULT, creationDate: at(done + 5 * MINUTE), completionDate: at(done + 30 * MINUTE) }, done + 30 * MINUTE));
  }
  lines.push(awsEvent('aws.backup', 'Restore Job State Change', 'aws-restore-job-1', [CONFIG_VOLUME_ARN], { restoreJobId: 'restore-cfg-1', recoveryPointArn: `arn:aws:backup:${REGION}:${ACCOUNT}:recovery-point:cfg-9`, resourceArn: CONFIG_VOLUME_ARN, resourceType: 'EFS', status: 'COMPLETED', validationStatus: 'SUCCESSFUL', creationDate: at(day(10, 11)), completionDate: at(day(10, 11, 25)) }, day(10, 11, 25)));
  return lines;
}

/** 3.1–3.3: one host's resource samples every 10 minutes (a CPU episode on the 18th), order latency on the 15th (an episode), slow SQL, module errors, a CloudWatch alarm. */
function thresholds(): Record<string, unknown>[] {
  const lines: Record<string, unknown>[] = [];
  const cpuEpisode = [day(18, 14), day(18, 15, 30)];
  const latencyDay = [day(15, 9), day(15, 12)];
  const latencyHigh = [day(15, 9, 30), day(15, 10, 30)];
  for (let t = 10 * MINUTE; t < DAYS_IN_MONTH * DAY; t += 10 * MINUTE) {
    const busy = t >= (cpuEpisode[0] as number) && t < (cpuEpisode[1] as number);
    const datapoints: Record<string, unknown>[] = [
      { metric: 'cpu', value: busy ? 93 : 35 + ((t / (10 * MINUTE)) % 20), unit: 'percent' },
      { metric: 'memory', value: 62, unit: 'percent' },
      { metric: 'disk-free', value: 41, unit: 'percent', volume: '/hana/data' },
    ];
    if (t > (latencyDay[0] as number) && t <= (latencyDay[1] as number)) {
      // Five orders in each 5-minute window of the last 10 minutes.
      for (let k = 0; k < 10; k++) {
        const when = t - 10 * MINUTE + k * MINUTE;
        const slow = when >= (latencyHigh[0] as number) && when < (latencyHigh[1] as number);
        datapoints.push({ metric: 'order-latency', value: slow ? 4.5 : 0.8, unit: 'seconds', module: 'orders', at: at(when) });
      }
    }
    lines.push(entry('Metric Sample', { host: 'erp-app-01', datapoints }, t));
  }
  for (const [d, seconds] of [[4, 12], [11, 18], [18, 25], [18, 31], [25, 9]] as const) {
    lines.push(entry('Slow Query', { system: ORDERS_DB, queryFingerprint: 'q-orders-by-customer', statement: 'SELECT * FROM VBAK WHERE KUNNR = ?', durationSeconds: seconds, module: 'orders', tables: ['VBAK'], rowsExamined: 4_000_000, detectedBy: 'new-relic' }, day(d, 14, 10)));
  }
  for (const d of [6, 13, 20, 27]) lines.push(entry('Module Error', { module: 'inventory', errorClass: 'inventory-lock-conflict', message: 'lock wait timeout on MARD', occurrences: 3 + d, windowSeconds: 3600, host: 'erp-app-01' }, day(d, 16)));
  const alarmArn = `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:erp-db-disk-queue`;
  const alarm = (id: string, value: string, previous: string, offsetMs: number) =>
    awsEvent('aws.cloudwatch', 'CloudWatch Alarm State Change', id, [alarmArn], {
      alarmName: 'erp-db-disk-queue',
      state: { value, reason: `Threshold Crossed: 1 datapoint was ${value === 'ALARM' ? 'greater' : 'not greater'} than the threshold (20.0).`, timestamp: at(offsetMs).replace('Z', '+0000') },
      previousState: { value: previous, timestamp: at(offsetMs - HOUR).replace('Z', '+0000') },
      configuration: { description: 'HANA data volume queue depth', metrics: [{ id: 'm1', metricStat: { metric: { namespace: 'AWS/EBS', name: 'VolumeQueueLength', dimensions: { VolumeId: 'vol-0hana' } }, period: 300, stat: 'Average' }, returnData: true }] },
    }, offsetMs);
  lines.push(alarm('cw-alarm-1', 'ALARM', 'OK', day(21, 3, 5)), alarm('cw-alarm-2', 'OK', 'ALARM', day(21, 3, 50)));
  return lines;
}

/** 4.1–4.4: a change through the book, a rejected one, an emergency change, configuration edits (one direct in production). */
function changes(): Record<string, unknown>[] {
  const window = { start: at(day(12, 20)), end: at(day(12, 23)) };
  return [
    entry('Change Requested', { changeId: 'CHG-2026-0142', title: 'Discount cap per customer group', kind: 'configuration', requestedBy: 'sales.zhao', modules: ['orders'], targetEnvironment: 'production', rollbackPlan: 'revert transport DEVK900123', codeVersion: 'git:4f2c9a1', configuration: ['config/pricing.yaml@sha256:a1b2'], window, risk: 'medium' }, day(8, 10)),
    entry('Change Approved', { changeId: 'CHG-2026-0142', approver: 'sales.head', role: 'business' }, day(9, 9)),
    entry('Change Approved', { changeId: 'CHG-2026-0142', approver: 'it.lead', role: 'it' }, day(9, 11)),
    entry('Change Tested', { changeId: 'CHG-2026-0142', environment: 'qas', outcome: 'passed', testedBy: 'qa.liu', codeVersion: 'git:4f2c9a1', testReport: 'TR-0142' }, day(10, 15)),
    entry('Change Deployed', { changeId: 'CHG-2026-0142', environment: 'production', deployedBy: 'pipeline', method: 'version-control', artefacts: { codeVersion: 'git:4f2c9a1', configuration: ['config/pricing.yaml@sha256:a1b2'], databaseScripts: [] } }, day(12, 21)),
    entry('Configuration Modified', { configKey: 'pricing.discount.maxPercent', module: 'orders', environment: 'production', modifiedBy: 'pipeline', channel: 'version-control', changeId: 'CHG-2026-0142', oldValue: '15', newValue: '12' }, day(12, 21, 5)),
    entry('Change Requested', { changeId: 'CHG-2026-0150', title: 'Drop credit check for key accounts', kind: 'feature', requestedBy: 'sales.zhao', modules: ['orders', 'finance'], targetEnvironment: 'production', rollbackPlan: 'feature flag off', codeVersion: 'git:9e1d007' }, day(14, 10)),
    entry('Change Rejected', { changeId: 'CHG-2026-0150', approver: 'fin.head', role: 'business', reason: 'credit risk not assessed' }, day(15, 9)),
    entry('Change Requested', { changeId: 'CHG-2026-0155', title: 'Hotfix: invoice rounding', kind: 'patch', requestedBy: 'dev.sun', modules: ['finance'], targetEnvironment: 'production', rollbackPlan: 'redeploy git:77aa001', codeVersion: 'git:77aa002', emergency: true }, day(20, 1)),
    entry('Change Deployed', { changeId: 'CHG-2026-0155', environment: 'production', deployedBy: 'pipeline', method: 'version-control', artefacts: { codeVersion: 'git:77aa002', configuration: [], databaseScripts: [] } }, day(20, 1, 30)),
    entry('Change Approved', { changeId: 'CHG-2026-0155', approver: 'fin.head', role: 'business' }, day(20, 9)),
    entry('Change Approved', { changeId: 'CHG-2026-0155', approver: 'it.lead', role: 'it' }, day(20, 10)),
    // 4.4: a direct edit in production, outside any change.
    entry('Configuration Modified', { configKey: 'mm.stock.negativeAllowed', module: 'inventory', environment: 'production', modifiedBy: 'admin.li', channel: 'console', oldValue: 'false', newValue: 'true' }, day(24, 22, 15)),
  ];
}

/** 5.1–5.3: two incidents (one acknowledged late), failover and offline-mode drills for the core services, a restore drill. */
function incidents(): Record<string, unknown>[] {
  const drill = (drillId: string, kind: string, service: string | undefined, d: number, recoveryMinutes: number) =>
    entry('Drill Completed', { drillId, scenario: `${kind} drill${service ? ` of ${service}` : ''}`, kind, startedAt: at(day(d, 9)), finishedAt: at(day(d, 9) + (recoveryMinutes + 30) * MINUTE), recoveryTimeSeconds: recoveryMinutes * 60, outcome: 'passed', recoveryPointSeconds: 60, ...(service ? { service } : {}), participants: ['it.lead', 'dba.wang'] }, day(d, 9) + (recoveryMinutes + 30) * MINUTE);
  return [
    entry('Incident Opened', { incidentId: 'INC-2026-0311', severity: 'P2', title: 'Order entry times out for the Shanghai branch', modules: ['orders'], affectedUsers: 40, reportedBy: 'servicedesk' }, day(11, 9, 40)),
    entry('Incident Acknowledged', { incidentId: 'INC-2026-0311', acknowledgedBy: 'oncall.he' }, day(11, 9, 52)),
    entry('Incident Resolved', { incidentId: 'INC-2026-0311', resolvedBy: 'oncall.he', resolution: 'restarted the dispatcher', rootCause: 'work process pool exhausted', offlineModeUsed: true }, day(11, 11, 10)),
    entry('Incident Opened', { incidentId: 'INC-2026-0327', severity: 'P3', title: 'Month-end report slow', modules: ['reporting'], reportedBy: 'fin.head' }, day(27, 17)),
    entry('Incident Acknowledged', { incidentId: 'INC-2026-0327', acknowledgedBy: 'oncall.he' }, day(27, 19, 30)),
    entry('Incident Resolved', { incidentId: 'INC-2026-0327', resolvedBy: 'dba.wang', resolution: 'index added on the ledger table' }, day(28, 10)),
    drill('DR-2026-Q1-1', 'failover', 'order-entry', 7, 95),
    drill('DR-2026-Q1-2', 'failover', 'payment', 7, 80),
    drill('DR-2026-Q1-3', 'offline-mode', 'order-entry', 14, 20),
    drill('DR-2026-Q1-4', 'restore', undefined, 21, 180),
  ];
}

/** 6.1–6.4: operations through the month, a verified bulk delete, an unverified one, a sensitive export at night. */
function audit(): Record<string, unknown>[] {
  const staff = [
    { account: 'f100', person: 'E-F100', role: 'FI_ACCOUNTANT', module: 'finance', job: 'finance', permission: 'journal.post' },
    { account: 'w100', person: 'E-W100', role: 'MM_WAREHOUSE', module: 'inventory', job: 'warehouse', permission: 'stock.move' },
    { account: 's100', person: 'E-S100', role: 'SD_SALES_CLERK', module: 'orders', job: 'sales', permission: 'order.create' },
  ];
  const lines: Record<string, unknown>[] = staff.map((s) => entry('Role Assigned', { account: s.account, person: s.person, role: s.role, modules: [s.module], permissions: [s.permission], job: s.job, grantedBy: 'admin.li' }, HOUR + 30 * MINUTE));
  for (let d = 2; d <= DAYS_IN_MONTH; d++) {
    staff.forEach((s, i) => {
      lines.push(entry('Login', { account: s.account, person: s.person, deviceId: `AA:BB:CC:00:00:0${i}`, outcome: 'success' }, day(d, 1 + i, 10)));
      lines.push(entry('Operation Audited', { actor: s.account, action: 'update', target: `${s.module}-record-${d}`, module: s.module, recordCount: 1, deviceId: `AA:BB:CC:00:00:0${i}`, operationId: `OP-${d}-${i}` }, day(d, 2 + i, 15)));
    });
  }
  return [
    ...lines,
    // 6.2: a bulk delete verified by a second person within the window; another nobody verified.
    entry('Operation Audited', { actor: 's100', action: 'delete', target: 'sales-order', module: 'orders', recordCount: 250, operationId: 'OP-BULK-1', deviceId: 'AA:BB:CC:00:00:02' }, day(17, 4)),
    entry('Operation Verified', { operationId: 'OP-BULK-1', verifier: 'sales.head', comment: 'cleanup of cancelled 2019 orders, ticket CR-2211' }, day(17, 4, 10)),
    entry('Operation Audited', { actor: 'w100', action: 'delete', target: 'stock-movement', module: 'inventory', recordCount: 900, operationId: 'OP-BULK-2', deviceId: 'AA:BB:CC:00:00:01' }, day(26, 5)),
    entry('Operation Audited', { actor: 'f100', action: 'export', target: 'customer-master', module: 'finance', recordCount: 5000, dataCategory: 'customer', operationId: 'OP-EXP-1', deviceId: 'AA:BB:CC:00:00:00' }, day(28, 15, 30)),
  ];
}

/** The month across all six areas, in no particular order (the simulator orders by event time). */
export function erpMonth(): Record<string, unknown>[] {
  return [...accessScenario(), ...backups(), ...thresholds(), ...changes(), ...incidents(), ...audit()];
}
