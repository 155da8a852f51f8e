/**
 * The monthly evidence delivery through the local runtime, as an operator sees it: `schedule
 * list` shows it; after a few October facts, `schedule run evidence-monthly --at
 * 2026-11-01T00:05:00Z` writes the October pack to the archive folder, `evidence verify`
 * passes on it, the controls nobody fed are findings in `findings list`, and a second fire
 * writes nothing.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../cli/main.ts';
import { startLocalRuntime, type LocalRuntime } from '../../runtime/local-runtime.ts';
import { detailExamples } from '../../schemas/examples.ts';
import { captureOutput } from '../support/capture-stdout.ts';
import { quietFunctions } from '../support/quiet-functions.ts';

let dataDir = '';
let runtime: LocalRuntime | undefined;
let loud: () => void = () => {};

const erpgov = (...args: string[]) => captureOutput(() => runCli([...args, '--data-dir', dataDir]));

beforeAll(async () => {
  loud = quietFunctions();
  dataDir = mkdtempSync(join(tmpdir(), 'erpgov-evidence-delivery-'));
  runtime = await startLocalRuntime({ dataDir, armSchedules: false, retry: { maxAttempts: 2, baseDelayMs: 5, maxDelayMs: 20 } });
}, 60_000);
afterAll(async () => {
  await runtime?.stop();
  rmSync(dataDir, { recursive: true, force: true });
  loud();
});

describe('evidence-delivery through the local runtime', () => {
  it('schedule list shows the monthly delivery', async () => {
    const { code, output } = await erpgov('schedule', 'list');
    expect(code).toBe(0);
    expect(output).toMatch(/^evidence-monthly\s+evidence-delivery\s+cron\(0 6 1 \* \? \*\)/m);
  });

  it('writes the month before to the archive, signed and verifiable; the controls not fed are findings; a second fire writes nothing', async () => {
    const entry = (detailType: 'Login' | 'Employee Departed', time: string) => ({ Source: 'erp.sap', DetailType: detailType, Detail: JSON.stringify(detailExamples[detailType]), Time: time });
    const file = join(dataDir, 'october.jsonl');
    writeFileSync(file, `${[entry('Login', '2026-10-05T08:00:00Z'), entry('Employee Departed', '2026-10-12T10:00:00Z')].map((e) => JSON.stringify(e)).join('\n')}\n`);
    expect((await erpgov('replay', file)).code).toBe(0);
    await runtime?.bus.whenIdle();

    // The areas' own monthly reports of October, as their schedules write them to the archive.
    for (const [schedule, at] of [['access-permission-audit', '2026-11-01T02:00:00Z'], ['backup-monthly-report', '2026-11-01T03:00:00Z'], ['change-report-monthly', '2026-11-01T03:00:00Z']]) {
      expect((await erpgov('schedule', 'run', schedule as string, '--at', at as string)).code, schedule).toBe(0);
    }

    const first = await erpgov('schedule', 'run', 'evidence-monthly', '--at', '2026-11-01T00:05:00Z', '--json');
    expect(first.code, first.errors).toBe(0);
    const result = (JSON.parse(first.output) as { delivery: { result: { month: string; delivered: boolean; withoutData: string[]; missingReports: string[] } } }).delivery.result;
    expect(result).toMatchObject({ month: '2026-10', delivered: true, missingReports: ['reports/operations/2026-Q4.json'] });

    const pack = join(dataDir, 'archive', 'evidence', 'period=2026-10');
    const manifestFile = join(pack, 'manifest.json');
    expect(existsSync(join(pack, 'index.html'))).toBe(true);
    const verified = await captureOutput(() => runCli(['evidence', 'verify', pack])); // offline: no data folder, no runtime
    expect(verified.code, verified.output).toBe(0);
    expect(verified.output).toMatch(/^OK: \d+ files of the 2026-10 pack match the manifest/m);
    // Signed with the same key the CLI uses: the data folder's.
    expect(existsSync(join(dataDir, 'evidence-signing-key.pem'))).toBe(true);

    const index = JSON.parse(readFileSync(join(pack, 'index.json'), 'utf8')) as { controls: { control: string; status: string }[] };
    const byControl = Object.fromEntries(index.controls.map((c) => [c.control, c.status]));
    expect(byControl['1.2']).toBe('no-data');
    expect(byControl['2.2']).not.toBe('no-data');
    // The permission report the area archived is the pack's evidence file, as the CLI would build it.
    const permissions = JSON.parse(readFileSync(join(pack, 'evidence', 'permissions.json'), 'utf8')) as { content: { month: string }[] };
    expect(permissions.content.map((r) => r.month)).toEqual(['2026-10']);

    const listed = await erpgov('findings', 'list', '--json');
    expect(listed.code).toBe(0);
    const noData = (JSON.parse(listed.output) as { state: string; raised: { control: string; subject: { type: string } } }[]).filter((f) => f.raised.subject.type === 'guide-control');
    expect(noData.map((f) => f.raised.control).sort()).toEqual([...result.withoutData].sort());
    expect(noData.map((f) => f.raised.control)).toEqual(expect.arrayContaining(['1.2', '5.3']));
    expect(noData.map((f) => f.raised.control)).not.toContain('2.2');
    expect(noData.every((f) => f.state === 'open')).toBe(true);

    const written = statSync(manifestFile).mtimeMs;
    const again = await erpgov('schedule', 'run', 'evidence-monthly', '--at', '2026-11-01T00:05:00Z', '--json');
    expect(again.code).toBe(0);
    expect((JSON.parse(again.output) as { delivery: { result: { delivered: boolean } } }).delivery.result.delivered).toBe(false);
    expect(statSync(manifestFile).mtimeMs).toBe(written);
    expect(existsSync(join(dataDir, 'archive', 'exports', 'findings', 'period=2026-10', 'rows.jsonl'))).toBe(true);
  }, 60_000);
});
