/**
 * The audit trail and the findings as OCSF events (Open Cybersecurity Schema Framework 1.x),
 * so a security lake can take them: Login → Authentication (3002); permission facts (roles,
 * temporary grants, departures, transfers) → Account Change (3001); every other operation →
 * API Activity (6003); findings → Compliance Finding (2003) with their evidence and the guide's
 * control. Pure. The JSON Schema of the classes used is ocsf-classes.schema.json (tested with ajv).
 */
import type { AuditRecord } from '../../functions/shared/audit-trail/audit-record.ts';
import type { StoredFinding } from '../../functions/shared/findings/finding.ts';

export const OCSF_VERSION = '1.3.0';
const PRODUCT = { name: 'erpgov', vendor_name: 'erpgov (ERP governance pipeline)' };
export const GUIDE_STANDARD = 'ERP maintenance guide (1.1-6.4)';

export const OCSF_CLASSES = {
  authentication: { class_uid: 3002, class_name: 'Authentication', category_uid: 3, category_name: 'Identity & Access Management' },
  account_change: { class_uid: 3001, class_name: 'Account Change', category_uid: 3, category_name: 'Identity & Access Management' },
  api_activity: { class_uid: 6003, class_name: 'API Activity', category_uid: 6, category_name: 'Application Activity' },
  compliance_finding: { class_uid: 2003, class_name: 'Compliance Finding', category_uid: 2, category_name: 'Findings' },
} as const;
export type OcsfClassName = keyof typeof OCSF_CLASSES;

export type OcsfEvent = Record<string, unknown> & { class_uid: number; activity_id: number; type_uid: number; time: number };

const ACCOUNT_CHANGE_ACTIVITY: Readonly<Record<string, [number, string]>> = {
  'Role Assigned': [7, 'Attach Policy'],
  'Temporary Grant Issued': [7, 'Attach Policy'],
  'Role Revoked': [8, 'Detach Policy'],
  'Employee Departed': [99, 'Other'],
  'Employee Transferred': [99, 'Other'],
};

const API_ACTIVITY: Readonly<Record<string, [number, string]>> = { create: [1, 'Create'], read: [2, 'Read'], view: [2, 'Read'], export: [2, 'Read'], update: [3, 'Update'], delete: [4, 'Delete'] };

const SEVERITY: Readonly<Record<string, [number, string]>> = { low: [2, 'Low'], medium: [3, 'Medium'], high: [4, 'High'], critical: [5, 'Critical'] };

const detailOf = (r: AuditRecord): Record<string, unknown> => {
  try {
    const d = (JSON.parse(r.originalEvent) as { detail?: unknown }).detail;
    return typeof d === 'object' && d !== null ? (d as Record<string, unknown>) : {};
  } catch {
    return {};
  }
};

function base(kind: OcsfClassName, activity: [number, string], time: string, severity: [number, string], extra: Record<string, unknown>): OcsfEvent {
  const cls = OCSF_CLASSES[kind];
  return {
    ...cls,
    activity_id: activity[0],
    activity_name: activity[1],
    type_uid: cls.class_uid * 100 + activity[0],
    time: Date.parse(time),
    severity_id: severity[0],
    severity: severity[1],
    ...extra,
  };
}

const metadata = (r: AuditRecord) => ({ version: OCSF_VERSION, product: PRODUCT, uid: r.eventId, original_time: r.occurredAt, logged_time: Date.parse(r.recordedAt), event_code: r.detailType, labels: [r.source] });

/** One audit record as the closest OCSF class. */
export function auditRecordToOcsf(r: AuditRecord): { kind: OcsfClassName; event: OcsfEvent } {
  const d = detailOf(r);
  const informational: [number, string] = [1, 'Informational'];
  const user = (uid: unknown) => ({ uid: String(uid ?? r.actor ?? 'unknown'), type_id: 1, type: 'User' });
  if (r.detailType === 'Login') {
    const failed = d.outcome === 'failure';
    return {
      kind: 'authentication',
      event: base('authentication', [1, 'Logon'], r.occurredAt, informational, {
        metadata: metadata(r),
        user: user(d.account),
        status_id: failed ? 2 : 1,
        status: failed ? 'Failure' : 'Success',
        ...(typeof d.failureReason === 'string' ? { status_detail: d.failureReason } : {}),
        ...(r.deviceId ? { device: { uid: r.deviceId, type_id: 0, type: 'Unknown' } } : {}),
        ...(typeof d.sourceIp === 'string' ? { src_endpoint: { ip: d.sourceIp } } : {}),
        raw_data: r.originalEvent,
      }),
    };
  }
  const change = ACCOUNT_CHANGE_ACTIVITY[r.detailType];
  if (change) {
    const subject = d.account ?? d.grantee ?? d.person ?? r.target;
    return {
      kind: 'account_change',
      event: base('account_change', change, r.occurredAt, informational, {
        metadata: metadata(r),
        user: user(subject),
        ...(r.actor ? { actor: { user: user(r.actor) } } : {}),
        ...(typeof d.role === 'string' ? { policy: { name: d.role, ...(typeof d.grantId === 'string' ? { uid: d.grantId } : {}) } } : {}),
        status_id: 1,
        status: 'Success',
        message: `${r.detailType}${r.target ? ` ${r.target}` : ''}`,
        raw_data: r.originalEvent,
      }),
    };
  }
  const activity = API_ACTIVITY[String(r.action).toLowerCase()] ?? [99, 'Other'];
  const outcome = d.outcome === 'failure' || d.outcome === 'denied' ? ([2, 'Failure'] as const) : ([1, 'Success'] as const);
  return {
    kind: 'api_activity',
    event: base('api_activity', activity, r.occurredAt, informational, {
      metadata: metadata(r),
      actor: { user: user(r.actor) },
      api: { operation: r.action || r.detailType, service: { name: r.module ?? r.source } },
      cloud: { provider: r.source },
      src_endpoint: r.deviceId ? { uid: r.deviceId } : { name: r.source },
      ...(r.target ? { resources: [{ uid: r.target, type: r.module ?? 'record' }] } : {}),
      status_id: outcome[0],
      status: outcome[1],
      raw_data: r.originalEvent,
    }),
  };
}

const FINDING_STATUS: Readonly<Record<StoredFinding['state'], [number, string]>> = { open: [1, 'New'], acknowledged: [2, 'In Progress'], excepted: [3, 'Suppressed'], resolved: [4, 'Resolved'] };

/** A finding as a Compliance Finding: Create when first raised, Update while live, Close once resolved. */
export function findingToOcsf(f: StoredFinding): OcsfEvent {
  const r = f.raised;
  const activity: [number, string] = f.state === 'resolved' ? [3, 'Close'] : f.history.length > 1 ? [2, 'Update'] : [1, 'Create'];
  const status = FINDING_STATUS[f.state];
  return base('compliance_finding', activity, f.updatedAt, SEVERITY[r.severity] ?? [0, 'Unknown'], {
    metadata: { version: OCSF_VERSION, product: PRODUCT, uid: f.findingId, labels: [f.detectedBy] },
    finding_info: {
      uid: f.findingId,
      title: r.title,
      desc: r.evidence.summary,
      created_time: Date.parse(f.firstRaisedAt),
      modified_time: Date.parse(f.updatedAt),
      first_seen_time: Date.parse(f.firstRaisedAt),
      last_seen_time: Date.parse(f.updatedAt),
      types: [f.rule],
      related_events: r.evidence.eventIds.map((uid) => ({ uid })),
    },
    compliance: { standards: [GUIDE_STANDARD], control: r.control, requirements: [r.control], status_id: f.state === 'resolved' ? 1 : 3, status: f.state === 'resolved' ? 'Pass' : 'Fail' },
    status_id: status[0],
    status: status[1],
    resources: [{ uid: r.subject.id, type: r.subject.type, ...(r.subject.name ? { name: r.subject.name } : {}) }],
    ...(f.exception ? { comment: `exception: owner ${f.exception.owner}, until ${f.exception.until}: ${f.exception.reason}` } : {}),
    unmapped: { evidence_facts: r.evidence.facts ?? {}, history: f.history, ...(r.dueAt ? { due_at: r.dueAt } : {}) },
  });
}
