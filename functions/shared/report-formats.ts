/**
 * How every area's report is written: the same three formats (JSON for tools, CSV for a
 * spreadsheet, Markdown to read), one archive key per format under `reports/<subject>/`.
 */
import type { ArchiveStore } from './archive-store.ts';

export type ReportFormatName = 'json' | 'csv' | 'md';
export const ALL_REPORT_FORMATS: readonly ReportFormatName[] = ['json', 'csv', 'md'];

export type ReportRenderers<R> = { readonly [F in ReportFormatName]: { readonly render: (report: R) => string; readonly contentType: string } };

/** The renderers of a report, each with its content type. */
export function reportRenderers<R>(render: { readonly [F in ReportFormatName]: (report: R) => string }): ReportRenderers<R> {
  return {
    json: { render: render.json, contentType: 'application/json' },
    csv: { render: render.csv, contentType: 'text/csv' },
    md: { render: render.md, contentType: 'text/markdown' },
  };
}

/** Writes `report` in each format to `reports/<subject>/<period>.<format>`; returns the keys written. */
export async function writeReportFormats<R>(archive: ArchiveStore, keyOf: (format: ReportFormatName) => string, renderers: ReportRenderers<R>, report: R, formats: readonly ReportFormatName[] = ALL_REPORT_FORMATS): Promise<string[]> {
  const keys: string[] = [];
  for (const format of formats) {
    const { render, contentType } = renderers[format];
    const key = keyOf(format);
    await archive.put(key, new TextEncoder().encode(render(report)), contentType);
    keys.push(key);
  }
  return keys;
}
