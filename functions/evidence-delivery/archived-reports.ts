/**
 * The areas' reports of a period as the areas wrote them to the archive
 * (`reports/<subject>/<YYYY-MM | YYYY-Qn>.json`, schemas/archive-layout.ts): this function
 * reads what they published instead of their stores, so no area's code or state is shared.
 * A report that is not there is named in `missing` (and the pack holds what there is).
 */
import { areaReportKey, type ReportSubject } from '../../schemas/archive-layout.ts';
import type { ArchiveStore } from '../shared/archive-store.ts';
import type { Period } from '../shared/evidence/period.ts';
import type { AreaReports, BackupReportView, ChangeReportView, OperationsReportView, PermissionReportView } from '../shared/evidence/report-views.ts';

export interface ArchivedReports extends AreaReports {
  /** Archive keys of the reports the period calls for that were not there. */
  readonly missing: string[];
}

export async function archivedReports(archive: ArchiveStore, period: Period): Promise<ArchivedReports> {
  const missing: string[] = [];
  const read = async <R>(subject: ReportSubject, periods: readonly string[]): Promise<R[]> => {
    const found: R[] = [];
    for (const p of periods) {
      const key = areaReportKey(subject, p);
      const body = await archive.get(key);
      if (body) found.push(JSON.parse(new TextDecoder().decode(body)) as R);
      else missing.push(key);
    }
    return found;
  };
  return {
    permissions: await read<PermissionReportView>('permissions', period.months),
    backups: await read<BackupReportView>('backups', period.months),
    changes: await read<ChangeReportView>('changes', period.months),
    operations: await read<OperationsReportView>('operations', period.quarters),
    missing,
  };
}
