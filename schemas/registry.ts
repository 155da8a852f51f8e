/**
 * The event contract: every detail-type the pipeline knows, with its guide area, the controls
 * it serves and its schema — and `validateDetail`, the one door every detail passes (the
 * PutEvents endpoint, the audit trail, the handlers). Each detail-type's example lives in
 * examples.ts, which the contract does not import, so the Lambda bundles do not carry them.
 */
import { globalRegistry, type $ZodLiteral } from 'zod/v4/core';
import type * as z from './zod-mini.ts';
import type { GuideArea } from './details/common.ts';
import { guideArea } from './details/common.ts';
import { employeeDeparted, employeeTransferred, login, permissionReviewSignedOff, roleAssigned, roleRevoked, temporaryGrantIssued } from './details/access.ts';
import { backupCompleted, backupFailed, replicationStatus, restoreTestResult } from './details/backup.ts';
import { metricSample, moduleError, slowQuery } from './details/performance.ts';
import {
  changeApproved,
  changeDeployed,
  changeRejected,
  changeRequested,
  changeRolledBack,
  changeTested,
  configurationModified,
} from './details/change.ts';
import { drillCompleted, incidentAcknowledged, incidentOpened, incidentResolved } from './details/incident.ts';
import { operationAudited, operationVerified } from './details/audit.ts';
import { commandIssued, entryRejected, findingAcknowledged, findingExceptionGranted, findingRaised, findingResolved } from './details/pipeline.ts';
import { describeIssues, formatProblem, formatValue } from './issues.ts';

export type { RoleAssigned, RoleRevoked, TemporaryGrantIssued, EmployeeDeparted, EmployeeTransferred, Login, PermissionReviewSignedOff } from './details/access.ts';
export type { BackupCompleted, BackupFailed, ReplicationStatus, RestoreTestResult } from './details/backup.ts';
export type { MetricSample, SlowQuery, ModuleError } from './details/performance.ts';
export type { ChangeRequested, ChangeApproved, ChangeRejected, ChangeTested, ChangeDeployed, ChangeRolledBack, ConfigurationModified } from './details/change.ts';
export type { IncidentOpened, IncidentAcknowledged, IncidentResolved, DrillCompleted } from './details/incident.ts';
export type { OperationAudited, OperationVerified } from './details/audit.ts';
export type { FindingRaised, FindingResolved, CommandIssued, EntryRejected, FindingAcknowledged, FindingExceptionGranted } from './details/pipeline.ts';
export type { GuideArea } from './details/common.ts';

/**
 * Detail-type → area, controls of the guide it serves, schema. Each schema is built on its
 * first use (`builtOnFirstUse` in details/common.ts): the first validation of its type, or the
 * first read of the entry's `schema`, `version` or `description`; listing the registry builds
 * none. Order here is the order of the docs.
 */
const contract = {
  'Backup Completed': { area: 'backup', controls: ['1.1', '1.3'], schema: backupCompleted },
  'Backup Failed': { area: 'backup', controls: ['1.1'], schema: backupFailed },
  'Replication Status': { area: 'backup', controls: ['1.1', '1.3'], schema: replicationStatus },
  'Restore Test Result': { area: 'backup', controls: ['1.2'], schema: restoreTestResult },

  'Role Assigned': { area: 'access', controls: ['2.1', '2.2', '2.5'], schema: roleAssigned },
  'Role Revoked': { area: 'access', controls: ['2.3', '2.4', '2.5'], schema: roleRevoked },
  'Temporary Grant Issued': { area: 'access', controls: ['2.4'], schema: temporaryGrantIssued },
  'Employee Departed': { area: 'access', controls: ['2.3', '2.5'], schema: employeeDeparted },
  'Employee Transferred': { area: 'access', controls: ['2.3', '2.5'], schema: employeeTransferred },
  Login: { area: 'access', controls: ['2.2', '6.1', '6.4'], schema: login },
  'Permission Review Signed Off': { area: 'access', controls: ['2.5'], schema: permissionReviewSignedOff },

  'Metric Sample': { area: 'performance', controls: ['3.1', '3.2'], schema: metricSample },
  'Slow Query': { area: 'performance', controls: ['3.3'], schema: slowQuery },
  'Module Error': { area: 'performance', controls: ['3.3'], schema: moduleError },

  'Change Requested': { area: 'change', controls: ['4.1', '4.2'], schema: changeRequested },
  'Change Approved': { area: 'change', controls: ['4.1'], schema: changeApproved },
  'Change Rejected': { area: 'change', controls: ['4.1'], schema: changeRejected },
  'Change Tested': { area: 'change', controls: ['4.2'], schema: changeTested },
  'Change Deployed': { area: 'change', controls: ['4.2', '4.3', '4.4'], schema: changeDeployed },
  'Change Rolled Back': { area: 'change', controls: ['4.2'], schema: changeRolledBack },
  'Configuration Modified': { area: 'change', controls: ['4.3', '4.4'], schema: configurationModified },

  'Incident Opened': { area: 'incident', controls: ['5.1'], schema: incidentOpened },
  'Incident Acknowledged': { area: 'incident', controls: ['5.1'], schema: incidentAcknowledged },
  'Incident Resolved': { area: 'incident', controls: ['5.1', '5.2'], schema: incidentResolved },
  'Drill Completed': { area: 'incident', controls: ['5.3'], schema: drillCompleted },

  'Operation Audited': { area: 'audit', controls: ['6.1', '6.2', '6.3', '6.4', '2.4'], schema: operationAudited },
  'Operation Verified': { area: 'audit', controls: ['6.2'], schema: operationVerified },

  'Finding Raised': { area: 'pipeline', controls: [], schema: findingRaised },
  'Finding Resolved': { area: 'pipeline', controls: [], schema: findingResolved },
  'Command Issued': { area: 'pipeline', controls: [], schema: commandIssued },
  'Entry Rejected': { area: 'pipeline', controls: ['6.1'], schema: entryRejected },
  'Finding Acknowledged': { area: 'pipeline', controls: [], schema: findingAcknowledged },
  'Finding Exception Granted': { area: 'pipeline', controls: [], schema: findingExceptionGranted },
} as const satisfies Record<string, { area: GuideArea; controls: readonly string[]; schema: () => z.ZodMiniType }>;

export type DetailTypeName = keyof typeof contract;
type Contract = typeof contract;
type SchemaOf<K extends DetailTypeName> = ReturnType<Contract[K]['schema']>;
/** The detail of `K` after validation (defaults applied). */
export type DetailOf<K extends DetailTypeName> = z.output<SchemaOf<K>>;
/** The detail of `K` as an ERP sends it. */
export type DetailInput<K extends DetailTypeName> = z.input<SchemaOf<K>>;

export interface RegistryEntry {
  readonly detailType: DetailTypeName;
  /** The `schemaVersion` this pipeline accepts for the type (reading it builds the schema). */
  readonly version: number;
  readonly area: GuideArea;
  /** Controls of the guide the fact serves (empty for the pipeline's own events). */
  readonly controls: readonly string[];
  /** What the fact is; from the schema's description (reading it builds the schema). */
  readonly description: string;
  /** Built on first access, then kept. */
  readonly schema: z.ZodMiniType;
}

export const registry: ReadonlyMap<DetailTypeName, RegistryEntry> = new Map(
  (Object.keys(contract) as DetailTypeName[]).map((detailType) => {
    const { area, controls, schema } = contract[detailType];
    const entry: RegistryEntry = {
      detailType,
      get version() {
        return (schema().shape.schemaVersion as $ZodLiteral<number>)._zod.def.values[0] as number;
      },
      area,
      controls,
      get description() {
        return globalRegistry.get(schema())?.description ?? detailType;
      },
      get schema() {
        return schema();
      },
    };
    return [detailType, entry];
  }),
);

/** Every detail-type, in registry order. Typed as plain strings so callers can test any input with `includes`. */
export const knownDetailTypes: readonly string[] = [...registry.keys()];

export function isKnownDetailType(detailType: string): detailType is DetailTypeName {
  return Object.hasOwn(contract, detailType);
}

export const detailTypesByArea: Readonly<Record<GuideArea, readonly DetailTypeName[]>> = Object.fromEntries(
  guideArea.options.map((area) => [area, [...registry.values()].filter((entry) => entry.area === area).map((entry) => entry.detailType)]),
) as Record<GuideArea, DetailTypeName[]>;

export type DetailValidation =
  | { ok: true; detail: unknown; entry: RegistryEntry }
  | { ok: false; reason: 'unknown-detail-type' | 'invalid-detail'; message: string; issues: { path: string; message: string }[] };

/** How many problems a refusal message spells out; the `issues` list always has them all. */
const MAX_PROBLEMS_IN_MESSAGE = 5;

/**
 * Checks a detail against the schema of its detail-type. On success `detail` is the parsed
 * value (ids trimmed, defaults applied, vendor fields kept). On failure `message` is one
 * sentence naming each field, its value and what is allowed.
 */
export function validateDetail(detailType: string, detail: unknown): DetailValidation {
  if (!isKnownDetailType(detailType)) {
    const message = `detail-type ${formatValue(detailType)} is not part of the event contract — known detail-types: ${knownDetailTypes.join(', ')}`;
    return { ok: false, reason: 'unknown-detail-type', message, issues: [{ path: 'detail-type', message }] };
  }
  const entry = registry.get(detailType) as RegistryEntry;
  const result = entry.schema.safeParse(detail, { reportInput: true });
  if (result.success) return { ok: true, detail: result.data, entry };

  const problems = describeIssues(result.error.issues, 'detail', entry.schema);
  const shown = problems.slice(0, MAX_PROBLEMS_IN_MESSAGE).map(formatProblem);
  const more = problems.length - shown.length;
  return {
    ok: false,
    reason: 'invalid-detail',
    message: shown.join('; ') + (more > 0 ? `; and ${more} more` : ''),
    issues: problems.map((problem) => ({ path: problem.path, message: `${formatValue(problem.value)} — ${problem.message}` })),
  };
}
