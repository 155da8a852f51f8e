/**
 * What the evidence pack and the export tables read of each area's report: the fields only,
 * declared here so that shared code never imports an area. Each area's full report type
 * (`PermissionReport`, `BackupReport`, `ChangeReport`, `OperationsReport`) is assignable to its
 * view, which the compiler checks where the CLI passes them in (cli/evidence/evidence-command.ts).
 * In a Lambda the reports are read back from the archive,
 * where each area writes its JSON (`reportKeys` in schemas/archive-layout.ts); the whole object
 * travels into the pack's evidence files, not only these fields.
 */

export interface PermissionReportView {
  readonly month: string;
  readonly accountsReviewed: number;
  readonly items: readonly { readonly category: string }[];
  readonly signOffs: readonly unknown[];
}

export interface BackupReportView {
  readonly month: string;
  readonly rows: readonly {
    readonly dataset: string;
    readonly lastGoodBackup: string | null;
    readonly gapWithinCadence: boolean | null;
    readonly offsite: string;
    readonly retention: string;
    readonly encryption: string;
    readonly restoreTestsRun: number;
    readonly restoreTestsPassed: number;
  }[];
}

export interface ChangeReportView {
  readonly month: string;
  readonly changes: readonly { readonly rejected: unknown; readonly emergency: boolean; readonly rollbackPlan: boolean; readonly tests: string; readonly versionMatches: boolean | null }[];
  readonly unmatchedProductionEdits: readonly unknown[];
}

export interface OperationsReportView {
  readonly quarter: string;
  readonly episodes: readonly { readonly findingId: string; readonly host: string; readonly metric: string; readonly startedAt: string; readonly clearedAt: string | null; readonly minutesOverThreshold: number }[];
  readonly incidents: readonly { readonly severity: string; readonly incidents: number; readonly acknowledgeBreaches: number; readonly resolveBreaches: number; readonly mttaMinutes: number | null; readonly mttrMinutes: number | null }[];
  readonly drills: readonly { readonly finishedAt: string; readonly rtoMinutes: number }[];
  readonly rtoTrend: readonly { readonly quarter: string; readonly bestRtoMinutes: number | null; readonly averageRtoMinutes: number | null; readonly rtoTargetMinutes: number }[];
  readonly standby: readonly { readonly service: string; readonly ready: boolean }[];
  readonly offlineMode: { readonly ready: boolean };
}

/** The areas' reports a period calls for: one per month (permissions, backups, changes) or quarter (operations). */
export interface AreaReports {
  readonly permissions: readonly PermissionReportView[];
  readonly backups: readonly BackupReportView[];
  readonly changes: readonly ChangeReportView[];
  readonly operations: readonly OperationsReportView[];
}
