/**
 * `erpgov report operations --quarter YYYY-Qn [--format json|csv|md] [--out DIR]`: threshold
 * episodes, incidents with MTTA/MTTR against the targets, drills with the RTO trend, standby
 * readiness (guide 3.1–3.2, 5.1–5.3). Without --out it prints one format (Markdown by
 * default); with --out it writes DIR/reports/operations/YYYY-Qn.<format> (every format unless
 * --format names one).
 */
import { parseArgs } from 'node:util';
import { dynamoDrillStore } from '../functions/incident-response/drill-store.ts';
import { dynamoIncidentStore } from '../functions/incident-response/incident-store.ts';
import { buildOperationsReport, OPERATIONS_FORMATS, QUARTER_PATTERN, quarterOf, type OperationsFormat } from '../functions/incident-response/operations-report.ts';
import { folderArchiveStore } from '../functions/shared/archive-store.ts';
import { dynamoFindingsStore } from '../functions/shared/findings/findings-store.ts';
import { loadPolicy } from '../schemas/policy-loader.ts';
import { dataDirFrom } from './options.ts';
import { withStateTable } from './state-access.ts';

export async function runOperationsReport(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { quarter: { type: 'string' }, format: { type: 'string' }, out: { type: 'string' }, 'data-dir': { type: 'string' }, endpoint: { type: 'string' }, policy: { type: 'string' } },
  });
  const quarter = values.quarter ?? quarterOf(new Date());
  if (!QUARTER_PATTERN.test(quarter)) throw new Error(`--quarter: "${quarter}" is not a quarter YYYY-Qn, e.g. 2026-Q1`);
  const format = values.format;
  if (format !== undefined && !(format in OPERATIONS_FORMATS)) throw new Error(`--format: "${format}" is not one of ${Object.keys(OPERATIONS_FORMATS).join(', ')}`);
  const policy = loadPolicy(values.policy ? { file: values.policy } : {});
  const access = { dataDir: dataDirFrom(values['data-dir']), ...(values.endpoint ? { endpoint: values.endpoint } : {}) };
  return withStateTable(access, async ({ docs, tableName }) => {
    const report = await buildOperationsReport({ findings: dynamoFindingsStore(docs, tableName), incidents: dynamoIncidentStore(docs, tableName), drills: dynamoDrillStore(docs, tableName) }, policy, quarter);
    if (values.out !== undefined) {
      const archive = folderArchiveStore(values.out);
      const keys: string[] = [];
      for (const name of format ? [format as OperationsFormat] : (Object.keys(OPERATIONS_FORMATS) as OperationsFormat[])) {
        const { extension, contentType, render } = OPERATIONS_FORMATS[name];
        const key = `reports/operations/${quarter}.${extension}`;
        await archive.put(key, new TextEncoder().encode(render(report)), contentType);
        keys.push(`${archive.location}/${key}`);
      }
      process.stdout.write(`operations report ${quarter}: ${report.episodes.length} episode(s), ${report.incidents.reduce((n, s) => n + s.incidents, 0)} incident(s), ${report.drills.length} drill(s) → ${keys.join(', ')}\n`);
    } else {
      process.stdout.write(OPERATIONS_FORMATS[(format as OperationsFormat | undefined) ?? 'md'].render(report));
    }
    return 0;
  });
}
