/**
 * What goes into each Lambda bundle, built with the stack's esbuild options (bench/bundles.ts
 * times them). Guards the lean-bundle choices that one import line can undo:
 *  - zod/mini only, through schemas/zod-mini.ts (which configures the English locale): classic
 *    zod (~96 KB, and slower to import) stays with the CLI and synth (the policy schema);
 *  - zod imported as a namespace (`import * as z from ...`): `import { z } from 'zod/mini'` makes
 *    esbuild keep every export of zod, all ~50 locales included (~370 KB a bundle);
 *  - the calendar parser (ical.js) only where freeze calendars are used (schemas/policy-checks.ts);
 *  - the SMTP library in no bundle: it is shipped beside the notifier's (infra/constructs);
 *  - the policy schema in no bundle: a function reads the policy baked at synth
 *    (`functionPolicy` in schemas/policy-loader.ts), which needs `"sideEffects"` in
 *    package.json to name no other file than schemas/zod-mini.ts (it configures zod's locale)
 *    for esbuild to leave an unused module out;
 *  - the SQL export tables only in the evidence delivery, the one function that writes them;
 *  - the routing table's prose in no bundle: a handler reads its own routing facts baked at synth
 *    (`routingOf` in infra/function-routes.ts), and a bundle built this way still routes.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it, vi } from 'vitest';
import { esbuildLambdaOptions } from '../../infra/lambda-bundling.ts';
import { shippedPolicy } from '../../schemas/policy-loader.ts';
import { routingTable, type RoutedFunction } from '../../infra/routes.ts';
import { REPO_ROOT } from '../../runtime/local-runtime.ts';

const CALENDAR_USERS = new Set(['change-approvals']);
const EXPORT_WRITERS = new Set(['evidence-delivery']);

async function bundled(fn: RoutedFunction, policy: unknown = {}): Promise<{ inputs: string[]; text: string }> {
  const result = await build({ ...esbuildLambdaOptions(fn, policy), entryPoints: [resolve(REPO_ROOT, fn.entry)], write: false, outfile: 'bundle.mjs', metafile: true, logLevel: 'silent' });
  return { inputs: Object.keys(result.metafile.outputs['bundle.mjs']?.inputs ?? {}), text: result.outputFiles[0]?.text ?? '' };
}

describe('Lambda bundle contents', () => {
  it.each(routingTable.map((fn) => [fn.name, fn] as const))('%s: zod/mini, not classic zod, with no locale but English, ical.js only where calendars are used, no SMTP library, no policy schema, no routing-table prose', async (name, fn) => {
    const { inputs, text } = await bundled(fn);
    expect(inputs.some((p) => /node_modules\/zod\/v4\/mini\//.test(p))).toBe(true);
    expect(inputs.filter((p) => /node_modules\/zod\/v4\/classic\//.test(p))).toEqual([]);
    expect(inputs.filter((p) => /node_modules\/zod\/v4\/locales\//.test(p))).toEqual(['node_modules/zod/v4/locales/en.js']);
    expect(inputs.some((p) => /node_modules\/ical\.js\//.test(p))).toBe(CALENDAR_USERS.has(name));
    expect(inputs.filter((p) => /node_modules\/nodemailer\//.test(p))).toEqual([]);
    expect(inputs.filter((p) => /^schemas\/policy\.ts$/.test(p))).toEqual([]);
    expect(inputs.includes('schemas/export-tables.ts')).toBe(EXPORT_WRITERS.has(name));
    // No function's description, nor any rule's or schedule's, is in the bundle.
    const prose = routingTable.flatMap((f) => [f.description, ...f.rules.map((r) => r.description), ...f.schedules.map((x) => x.description)]);
    expect(prose.filter((p) => text.includes(p))).toEqual([]);
  }, 60_000);

  it('a bundle routes with the facts baked in: a schedule it does not have is refused, naming the ones it has', async () => {
    const fn = routingTable.find((f) => f.name === 'audit-archive');
    if (!fn) throw new Error('audit-archive is not in the routing table');
    const dir = mkdtempSync(join(tmpdir(), 'erpgov-bundle-'));
    try {
      const file = join(dir, 'bundle.mjs');
      writeFileSync(file, (await bundled(fn, shippedPolicy())).text);
      const env = { STATE_TABLE_NAME: 'erpgov-state', EVENT_BUS_NAME: 'erpgov', ARCHIVE_BUCKET_NAME: 'archive', AWS_REGION: 'us-east-1', POWERTOOLS_METRICS_DISABLED: 'true', POWERTOOLS_LOG_LEVEL: 'SILENT' };
      for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
      try {
        const { handler } = (await import(pathToFileURL(file).href)) as { handler: (event: unknown, context: unknown) => Promise<unknown> };
        const scheduled = { version: '0', id: 'e1', 'detail-type': 'Scheduled Event', source: 'aws.events', account: '123456789012', time: '2026-11-30T10:00:00Z', region: 'us-east-1', resources: ['arn:aws:events:us-east-1:123456789012:rule/erpgov-no-such-schedule'], detail: {} };
        const context = { functionName: fn.name, awsRequestId: 'r1', getRemainingTimeInMillis: () => 60_000 };
        await expect(handler(scheduled, context)).rejects.toThrow(fn.schedules.map((s) => s.id).join(', '));
      } finally {
        vi.unstubAllEnvs();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
