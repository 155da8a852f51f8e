/**
 * `erpgov evidence`: the pack for a month of seeded data (all 22 controls, figures, findings as
 * CSV/JSONL, the period on every file), and its refusals (bad, future and data-less periods, a
 * non-empty --out) — one line, exit 2, nothing written.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ajv } from 'ajv';
import { runCli } from '../../cli/main.ts';
import { COMMAND_HELP } from '../../cli/usage.ts';
import { fixedClock, installClock } from '../../functions/shared/clock.ts';
import { captureOutput, captureStdout } from '../support/capture-stdout.ts';
import { seedEvidenceMonth } from '../support/evidence-data.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';

const NOW = '2026-11-15T00:00:00.000Z';
let root = '';
let dataDir = '';
let uninstall: () => void = () => {};

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'erpgov-evidence-'));
  dataDir = join(root, 'data');
  await seedEvidenceMonth(dataDir);
  uninstall = installClock(fixedClock(NOW));
}, 60_000);
afterAll(() => {
  uninstall();
  rmSync(root, { recursive: true, force: true });
});

function evidence(...args: string[]): Promise<{ code: number; output: string; errors: string }> {
  return captureOutput(() => runCli(['evidence', ...args, '--data-dir', dataDir, '--endpoint', 'http://127.0.0.1:1']));
}

describe('erpgov evidence', () => {
  it('writes the pack for all 22 controls with statuses, figures and the findings', async () => {
    const out = join(root, 'pack');
    const { code, output } = await evidence('--period', '2026-10', '--out', out);
    expect(code).toBe(0);
    expect(output).toMatch(/evidence 2026-10: 22 controls/);
    const index = JSON.parse(readFileSync(join(out, 'index.json'), 'utf8'));
    expect(index.controls.map((c: { control: string }) => c.control)).toHaveLength(22);
    const byControl = Object.fromEntries(index.controls.map((c: { control: string }) => [c.control, c]));
    expect(byControl['2.3'].status).toBe('findings-resolved');
    expect(byControl['2.3'].figures).toMatchObject({ leavers: 1, medianHoursToRevocation: 20, worstHoursToRevocation: 20, leaversNotRevoked: 0 });
    expect(byControl['2.2'].status).toBe('findings-open');
    expect(byControl['6.1'].status).toBe('met');
    expect(byControl['6.1'].figures).toMatchObject({ records: 4, chainsBroken: 0, retentionDays: 183 });
    expect(byControl['5.3'].status).toBe('no-data');
    expect(byControl['2.3'].title.zh).toMatch(/24小时/);
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    expect(html).toContain('data-control="6.4"');
    // No network: nothing loaded from elsewhere (uPlot's licence comment names its home page, nothing fetches it).
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]|<img[^>]+src="?http|url\(\s*["']?http|fetch\(|XMLHttpRequest/);
    expect(html).toContain("default-src 'none'");
    const csv = readFileSync(join(out, 'evidence/findings.csv'), 'utf8').trim().split('\n');
    expect(csv).toHaveLength(3);
    expect(csv[1]).toMatch(/^2026-10,2026-11-15T00:00:00.000Z,/);
    const jsonl = readFileSync(join(out, 'evidence/findings.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(jsonl.every((f: { period: string; generatedAt: string }) => f.period === '2026-10' && f.generatedAt === NOW)).toBe(true);
    for (const file of ['permissions', 'backups', 'changes', 'operations', 'audit-trail-verification', 'archive-manifests']) {
      const wrapped = JSON.parse(readFileSync(join(out, `evidence/${file}.json`), 'utf8'));
      expect(wrapped.period.label).toBe('2026-10');
      expect(wrapped.generatedAt).toBe(NOW);
    }
    expect(readdirSync(root).filter((n) => n.includes('.partial-'))).toEqual([]);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    expect(manifest.period.label).toBe('2026-10');
    expect(manifest.signature).toMatchObject({ algorithm: 'Ed25519', keyId: expect.stringMatching(/^[0-9a-f]{32}$/) });
    expect(manifest.files.map((f: { path: string }) => f.path)).toEqual(expect.arrayContaining(['index.html', 'index.json', 'evidence/findings.csv']));
    expect(existsSync(join(dataDir, 'evidence-signing-key.pem'))).toBe(true);
  }, 60_000);

  it('evidence verify passes on the pack, and names the file after one byte of it changes, one is added or removed', async () => {
    const out = join(root, 'pack');
    expect(await captureStdout(() => runCli(['evidence', 'verify', out]))).toMatchObject({ code: 0, output: expect.stringMatching(/^OK: \d+ files of the 2026-10 pack/m) });
    const file = join(out, 'evidence/findings.csv');
    const bytes = readFileSync(file);
    bytes[0] = (bytes[0] as number) ^ 1;
    writeFileSync(file, bytes);
    writeFileSync(join(out, 'extra.txt'), 'x');
    rmSync(join(out, 'evidence/changes.json'));
    const tampered = await captureStdout(() => runCli(['evidence', 'verify', out]));
    expect(tampered.code).toBe(1);
    expect(tampered.output).toMatch(/^CHANGED evidence\/findings\.csv$/m);
    expect(tampered.output).toMatch(/^ADDED   extra\.txt$/m);
    expect(tampered.output).toMatch(/^REMOVED evidence\/changes\.json$/m);
  });

  it('evidence verify refuses a pack whose manifest was re-written without the key', async () => {
    const out = join(root, 'pack-forged');
    expect((await evidence('--period', '2026-10', '--out', out)).code).toBe(0);
    const manifestFile = join(out, 'manifest.json');
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
    manifest.period.label = '2026-09';
    writeFileSync(manifestFile, JSON.stringify(manifest));
    const verdict = await captureStdout(() => runCli(['evidence', 'verify', out]));
    expect(verdict.code).toBe(1);
    expect(verdict.output).toMatch(/signature INVALID/);
  }, 60_000);

  it('writes the HTML in Chinese with --lang zh', async () => {
    const out = join(root, 'pack-zh');
    expect((await evidence('--period', '2026-10-01..2026-10-31', '--out', out, '--lang', 'zh')).code).toBe(0);
    expect(readFileSync(join(out, 'index.html'), 'utf8')).toContain('控制项');
  }, 60_000);

  it.each([
    [['--period', '2026-13', '--out', 'x'], /--period: "2026-13" is not a period/],
    [['--period', '2027-01', '--out', 'x'], /is in the future/],
    [['--period', '2025-Q1', '--out', 'x'], /is before any data/],
    [['--period', '2026-10', '--out', 'x', '--lang', 'fr'], /--lang: "fr"/],
  ])('refuses %j: one line, exit 2, nothing written', async (args, message) => {
    const out = join(root, `refused-${Math.random().toString(36).slice(2)}`);
    const { code, errors } = await evidence(...args.map((a) => (a === 'x' ? out : a)));
    expect(code).toBe(2);
    expect(errors.trim().split('\n')).toHaveLength(1);
    expect(errors).toMatch(message);
    expect(existsSync(out)).toBe(false);
  }, 60_000);

  it('refuses an --out folder that is not empty, and leaves it as it was', async () => {
    const out = join(root, 'busy');
    mkdirSync(out);
    writeFileSync(join(out, 'keep.txt'), 'mine');
    const { code, errors } = await evidence('--period', '2026-10', '--out', out);
    expect(code).toBe(2);
    expect(errors).toMatch(/is not empty/);
    expect(readdirSync(out)).toEqual(['keep.txt']);
  });

  it('erpgov sql runs a query over the data folder, and refuses a bad one with one line, exit 2', async () => {
    const ok = await captureStdout(() => runCli(['sql', 'SELECT control, state FROM findings ORDER BY control', '--format', 'csv', '--data-dir', dataDir, '--endpoint', 'http://127.0.0.1:1']));
    expect(ok).toEqual({ code: 0, output: 'control,state\n2.2,open\n2.3,resolved\n' });
    const named = await captureStdout(() => runCli(['sql', '--query', 'leavers-not-cleaned', '--period', '2026-10', '--athena']));
    expect(named.output).toMatch(/FROM permission_report\nWHERE month = '2026-10'/);
    for (const bad of ['SELEC 1', 'SELECT * FROM nowhere']) {
      const { code, errors } = await captureOutput(() => runCli(['sql', bad, '--data-dir', dataDir, '--endpoint', 'http://127.0.0.1:1']));
      expect(code).toBe(2);
      expect(errors.trim().split('\n')).toHaveLength(1);
    }
  }, 60_000);

  it('erpgov export ocsf writes the period as OCSF events that validate against the schema of the classes used (ajv)', async () => {
    const out = join(root, 'ocsf');
    const { code, output } = await captureStdout(() => runCli(['export', 'ocsf', '--period', '2026-10', '--out', out, '--data-dir', dataDir, '--endpoint', 'http://127.0.0.1:1']));
    expect(code).toBe(0);
    expect(output).toMatch(/1 Authentication \(3002\), 2 Account Change \(3001\), 1 API Activity \(6003\), 2 Compliance Finding \(2003\)/);
    const ajv = new Ajv({ allErrors: true, strict: false });
    const validate = ajv.compile(JSON.parse(readFileSync(new URL('../../cli/ocsf/ocsf-classes.schema.json', import.meta.url), 'utf8')));
    const events = readdirSync(out).flatMap((file) => readFileSync(join(out, file), 'utf8').trim().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l)));
    expect(events).toHaveLength(6);
    for (const event of events) expect(validate(event) ? 'valid' : ajv.errorsText(validate.errors)).toBe('valid');
    const finding = events.find((e) => e.class_uid === 2003 && e.compliance.control === '2.3');
    expect(finding).toMatchObject({ activity_id: 3, type_uid: 200303, status: 'Resolved', compliance: { status: 'Pass' }, finding_info: { title: 'Leaver not revoked within 24 h' } });
    // The schema has teeth: a Compliance Finding without finding_info, an API Activity without its api, a wrong type_uid.
    const { finding_info: _info, ...withoutInfo } = finding;
    expect(validate(withoutInfo)).toBe(false);
    const api = events.find((e) => e.class_uid === 6003);
    expect(validate({ ...api, api: undefined })).toBe(false);
    expect(validate({ ...api, type_uid: 300201 })).toBe(false);
  }, 60_000);

  it('every new command and subcommand answers --help', async () => {
    for (const line of [['evidence'], ['evidence', 'verify'], ['sql'], ['export', 'ocsf']]) {
      const help = await captureStdout(() => runCli([...line, '--help']));
      expect(help, line.join(' ')).toEqual({ code: 0, output: COMMAND_HELP[line[0] as string] });
    }
  });
});
