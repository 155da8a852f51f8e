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
 *  - the SQL export tables only in the evidence delivery, the one function that writes them.
 */
import { resolve } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { esbuildLambdaOptions } from '../../infra/lambda-bundling.ts';
import { routingTable } from '../../infra/routes.ts';
import { REPO_ROOT } from '../../runtime/local-runtime.ts';

const CALENDAR_USERS = new Set(['change-approvals']);
const EXPORT_WRITERS = new Set(['evidence-delivery']);

async function bundledPackages(entry: string): Promise<string[]> {
  const result = await build({ ...esbuildLambdaOptions({}), entryPoints: [resolve(REPO_ROOT, entry)], write: false, outfile: 'bundle.mjs', metafile: true, logLevel: 'silent' });
  return Object.keys(result.metafile.outputs['bundle.mjs']?.inputs ?? {});
}

describe('Lambda bundle contents', () => {
  it.each(routingTable.map((fn) => [fn.name, fn.entry]))('%s: zod/mini, not classic zod, with no locale but English, ical.js only where calendars are used, no SMTP library, no policy schema', async (name, entry) => {
    const inputs = await bundledPackages(entry);
    expect(inputs.some((p) => /node_modules\/zod\/v4\/mini\//.test(p))).toBe(true);
    expect(inputs.filter((p) => /node_modules\/zod\/v4\/classic\//.test(p))).toEqual([]);
    expect(inputs.filter((p) => /node_modules\/zod\/v4\/locales\//.test(p))).toEqual(['node_modules/zod/v4/locales/en.js']);
    expect(inputs.some((p) => /node_modules\/ical\.js\//.test(p))).toBe(CALENDAR_USERS.has(name));
    expect(inputs.filter((p) => /node_modules\/nodemailer\//.test(p))).toEqual([]);
    expect(inputs.filter((p) => /^schemas\/policy\.ts$/.test(p))).toEqual([]);
    expect(inputs.includes('schemas/export-tables.ts')).toBe(EXPORT_WRITERS.has(name));
  }, 60_000);
});
