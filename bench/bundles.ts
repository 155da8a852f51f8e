/**
 * Lean bundles: each function's Lambda bundle as the stack builds it (esbuild, ESM, minified,
 * the AWS SDK inside), beside an SDK-only bundle that imports the same AWS clients and does
 * nothing else — the floor a function bundle cannot go below. Prints bytes and the cold import
 * time (a fresh Node process per import, several times, median), each as a ratio to its
 * SDK-only twin. Targets: ≤ 1.15× the bytes, ≤ 1.25× the import time. The SDK-only entry imports
 * each client package whole (every command), so its SDK part is larger than a function's, which
 * keeps only the commands it sends: the byte ratio is against the clients, not a lower floor.
 *   npx tsx bench/bundles.ts [--runs 9] [--only log-archiving,notifier]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { build, type Metafile } from 'esbuild';
import { esbuildLambdaOptions } from '../infra/lambda-bundling.ts';
import { routingTable, type RoutedFunction } from '../infra/routes.ts';
import { REPO_ROOT } from '../runtime/local-runtime.ts';
import { shippedPolicy } from '../schemas/policy-loader.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '9' }, only: { type: 'string' } } });
const runs = Number(values.runs);
const only = values.only ? new Set(values.only.split(',')) : undefined;
const dir = mkdtempSync(join(tmpdir(), 'erpgov-bundles-'));
// The stack's default: the shipped policy, validated with its defaults applied, as synth bakes it.
const bakedPolicy = shippedPolicy();

/** The options the stack gives esbuild (infra/lambda-bundling.ts), with the metafile for the weights. */
const common = (fn: RoutedFunction) => ({ ...esbuildLambdaOptions(fn, bakedPolicy), metafile: true, logLevel: 'silent' as const });

async function bundle(fn: RoutedFunction, entry: string, outfile: string): Promise<{ bytes: number; metafile: Metafile }> {
  const result = await build({ ...common(fn), entryPoints: [entry], outfile });
  return { bytes: statSync(outfile).size, metafile: result.metafile as Metafile };
}

/** The AWS SDK packages a bundle pulled in (clients and the document client). */
function sdkPackages(metafile: Metafile): string[] {
  const found = new Set<string>();
  for (const input of Object.keys(metafile.inputs)) {
    const m = /node_modules\/(@aws-sdk\/(?:client-[a-z0-9-]+|lib-dynamodb))\//.exec(input);
    if (m) found.add(m[1] as string);
  }
  return [...found].sort();
}

/** An entry that imports the same SDK clients and constructs each once, as a function's wiring would. */
function sdkOnlyEntry(packages: readonly string[]): string {
  const lines = packages.map((p, i) => `import * as m${i} from '${p}';`);
  lines.push(`const made = [${packages.map((_, i) => `m${i}`).join(', ')}].map((m) => Object.entries(m).find(([k, v]) => /Client$/.test(k) && typeof v === 'function' && k !== 'DynamoDBDocumentClient')?.[1]).filter(Boolean).map((C) => new C({ region: 'us-east-1' }));`);
  lines.push('export const handler = async () => made.length;');
  return lines.join('\n');
}

const env = { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', STATE_TABLE_NAME: 'erpgov-state', EVENT_BUS_NAME: 'erpgov', AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x', POWERTOOLS_METRICS_DISABLED: 'true', ARCHIVE_BUCKET_NAME: 'archive', ERPGOV_DATA_DIR: dir };

const importScript = (file: string) => `const t = performance.now(); await import(${JSON.stringify(`file://${file}`)}); process.stdout.write(String(performance.now() - t));`;
const importOnceMs = (file: string) => Number(execFileSync(process.execPath, ['--input-type=module', '-e', importScript(file)], { env, cwd: dir, encoding: 'utf8' }));
const median = (times: number[]) => [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)] as number;

/**
 * Median milliseconds to import each bundle in a fresh process, `runs` processes each. The two
 * bundles take turns (function, SDK-only, function, ...), so a burst of load on a shared machine
 * lands on both rather than on whichever ran during it; one unmeasured import of each first
 * warms the file cache.
 */
function coldImportMs(fnFile: string, sdkFile: string): [number, number] {
  importOnceMs(fnFile);
  importOnceMs(sdkFile);
  const fnTimes: number[] = [];
  const sdkTimes: number[] = [];
  for (let i = 0; i < runs; i++) {
    fnTimes.push(importOnceMs(fnFile));
    sdkTimes.push(importOnceMs(sdkFile));
  }
  return [median(fnTimes), median(sdkTimes)];
}

const row = (cells: string[]) => console.log(cells.map((c, i) => (i === 0 ? c.padEnd(20) : c.padStart(13))).join(' '));
console.log(`bundles as the stack builds them, beside an SDK-only bundle with the same clients; cold import = median of ${runs} fresh processes each, function and SDK-only taking turns`);
row(['function', 'bytes', 'SDK-only', 'bytes ratio', 'import ms', 'SDK-only ms', 'import ratio']);
/** Per function: the packages (or the repository's own code) that weigh most in the output, SDK aside. */
const bySize = new Map<string, string>();
function heaviestOutsideSdk(metafile: Metafile): string {
  const weight = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input)?.[1] ?? '(own code)';
      if (/^@(aws-sdk|smithy|aws-crypto)\//.test(pkg)) continue;
      weight.set(pkg, (weight.get(pkg) ?? 0) + bytesInOutput);
    }
  }
  return [...weight].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([p, b]) => `${p} ${(b / 1024).toFixed(0)} KB`).join(', ');
}
let worstBytes = 0;
let worstImport = 0;
for (const fn of routingTable) {
  if (only && !only.has(fn.name)) continue;
  const out = join(dir, `${fn.name}.mjs`);
  const fnBundle = await bundle(fn, resolve(REPO_ROOT, fn.entry), out);
  const packages = sdkPackages(fnBundle.metafile);
  const sdkEntry = join(dir, `${fn.name}.sdk-entry.mjs`);
  writeFileSync(sdkEntry, sdkOnlyEntry(packages));
  const sdkOut = join(dir, `${fn.name}.sdk.mjs`);
  const sdkBundle = await build({ ...common(fn), entryPoints: [sdkEntry], outfile: sdkOut, nodePaths: [join(REPO_ROOT, 'node_modules')] }).then(() => statSync(sdkOut).size);
  const [fnMs, sdkMs] = coldImportMs(out, sdkOut);
  worstBytes = Math.max(worstBytes, fnBundle.bytes / sdkBundle);
  worstImport = Math.max(worstImport, fnMs / sdkMs);
  bySize.set(fn.name, heaviestOutsideSdk(fnBundle.metafile));
  row([fn.name, String(fnBundle.bytes), String(sdkBundle), `${(fnBundle.bytes / sdkBundle).toFixed(2)}x`, fnMs.toFixed(1), sdkMs.toFixed(1), `${(fnMs / sdkMs).toFixed(2)}x`]);
}
console.log('heaviest beside the SDK:');
for (const [name, heavy] of bySize) console.log(`  ${name.padEnd(20)} ${heavy}`);
console.log(`worst: ${worstBytes.toFixed(2)}x bytes (target <= 1.15), ${worstImport.toFixed(2)}x import time (target <= 1.25)`);
rmSync(dir, { recursive: true, force: true });
