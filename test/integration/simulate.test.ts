/**
 * `erpgov simulate` as a user runs it: a month of events across all six areas
 * (test/support/erp-month.ts) through the whole pipeline on a virtual clock, twice in two
 * processes, with byte-identical output, reproducing the outcomes of the access scenario tests
 * — the leaver found at the deadline, commanded and resolved by the revoke; the leaver never
 * cleaned up; the mover; the grant that expires with its revoke command and review; the shared
 * account; and the monthly permission audit, written for the month. The first run keeps its
 * data folder (--data-dir), and the auditor's evidence pack for the month is made from it
 * (`erpgov evidence`): all 22 controls with figures, a signature that verifies, and a pack that
 * no longer verifies once one byte of one file changed.
 *
 * A simulated month fires about 173,000 schedules (three every minute: the notifier's drain,
 * the threshold silence sweep and the incident SLA sweep; four 5-minute ones (three sweeps and the trail's seal pass), three hourly
 * jobs, the daily and monthly ones), each a real invocation against dynalite: many minutes of
 * CPU, about as many for this month as for the access-only one it replaced (the policy fits the
 * silence limits to the month's cadences). The two runs go in parallel.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliRun } from '../support/cli-process.ts';
import { erpMonth, MONTH, MONTH_START, PERIOD_END, SIMULATION_POLICY, toJsonl } from '../support/erp-month.ts';

const work = mkdtempSync(join(tmpdir(), 'erpgov-simulate-test-'));
const events = join(work, 'events.jsonl');
const policy = join(work, 'policy.json');
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A simulated month takes many minutes of CPU: each run may take as long as the hook that waits for it. */
const SIMULATE_MS = 2_400_000;
const EVIDENCE_MS = 300_000;

const simulate = (out: string, keep: string[] = []) => runCli(['simulate', '--events', events, '--policy', policy, '--out', out, '--from', MONTH_START.toISOString(), '--to', PERIOD_END.toISOString(), '--quiet', ...keep], SIMULATE_MS);

/** Every file under `dir`, by relative path, with its exact bytes. */
function filesOf(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else files.set(relative(dir, path), readFileSync(path));
    }
  };
  walk(dir);
  return files;
}

const jsonl = <T,>(file: string): T[] => readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as T);

interface FindingLine {
  at: string;
  change: string;
  findingId: string;
  control: string;
  title?: string;
  subject: { id: string };
}

describe('erpgov simulate over a month of events across the six areas', () => {
  const first = join(work, 'first');
  const second = join(work, 'second');
  const kept = join(work, 'data');
  const lines = erpMonth();
  let runs: CliRun[];

  beforeAll(async () => {
    writeFileSync(events, toJsonl(lines));
    writeFileSync(policy, JSON.stringify(SIMULATION_POLICY));
    runs = await Promise.all([simulate(first, ['--data-dir', kept]), simulate(second)]);
  }, SIMULATE_MS);

  it('runs, twice, with byte-identical output', () => {
    for (const run of runs) {
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(`${lines.length} event(s) (${lines.length} accepted, 0 refused), `);
    }
    const a = filesOf(first);
    const b = filesOf(second);
    expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
    for (const [file, bytes] of a) expect(bytes.equals(b.get(file) as Buffer), file).toBe(true);
  });

  it('fired every schedule at each of its simulated times', () => {
    const summary = JSON.parse(readFileSync(join(first, 'summary.json'), 'utf8')) as { scheduleFires: Record<string, number>; deadLetters: number };
    expect(summary.deadLetters).toBe(0);
    // 2026-03-01T00:00 (--from) to 2026-04-01T02:30: 31 days and 150 minutes.
    const minutes = 31 * 24 * 60 + 150;
    expect(summary.scheduleFires).toMatchObject({ 'notifier-outbox-drain': minutes, 'threshold-silence-sweep': minutes, 'access-sweep': minutes / 5, 'audit-high-risk-sweep': minutes / 5, 'audit-behaviour-hourly': 31 * 24 + 2, 'access-permission-audit': 32, 'archive-audit-daily': 32 });
  });

  it('reproduces the leaver, mover, grant-expiry and shared-account outcomes', () => {
    const findings = jsonl<FindingLine>(join(first, 'findings.jsonl'));
    const commands = jsonl<{ at: string; command: string; account: string; findingId?: string; grantId?: string; permissions?: string[] }>(join(first, 'commands.jsonl'));
    const about = (account: string, control: string) => findings.filter((f) => f.subject.id === account && f.control === control);

    // The leaver: found at the 24-hour deadline, a revoke command, resolved when the ERP revoked.
    const leaver = about('u100', '2.3');
    expect(leaver.map((f) => [f.change, f.at])).toEqual([
      ['raised', '2026-03-03T10:00:00Z'],
      ['resolved', '2026-03-03T14:00:00Z'],
    ]);
    expect(commands.find((c) => c.account === 'u100')).toMatchObject({ command: 'revoke-role', findingId: leaver[0]?.findingId, at: '2026-03-03T10:00:00Z' });
    // The leaver never cleaned up, and the mover who kept the old role: open at the end.
    expect(about('u400', '2.3').map((f) => f.change)).toEqual(['raised']);
    expect(about('u500', '2.3').map((f) => [f.change, f.title])).toEqual([['raised', 'Mover still holds the old job\'s permissions']]);
    // The temporary grant: revoked at expiry, its operations listed for the approver.
    expect(commands.find((c) => c.grantId === 'G1')).toMatchObject({ command: 'revoke-permissions', account: 'u200', at: '2026-03-11T00:00:00Z' });
    expect(about('G1', '2.4').map((f) => f.title)).toEqual(['Temporary grant ended: operations for review']);
    // The shared account.
    expect(about('u300', '2.2').map((f) => f.title)).toEqual(['Shared account suspected']);
    // What the notifier would have sent: a message per finding change.
    expect(jsonl<{ about: string }>(join(first, 'notifications.jsonl')).map((n) => n.about)).toContain(leaver[0]?.findingId);
  });

  it('writes the month\'s permission audit, listing the leaver and the mover not cleaned up', () => {
    const report = JSON.parse(readFileSync(join(first, 'reports', 'permissions', `${MONTH}.json`), 'utf8')) as { items: { category: string; account: string }[] };
    const items = report.items.map((i) => [i.category, i.account]);
    expect(items).toContainEqual(['leaver-not-cleaned', 'u400']);
    expect(items).toContainEqual(['mover-not-adjusted', 'u500']);
    expect(items).not.toContainEqual(['leaver-not-cleaned', 'u100']);
    expect(readFileSync(join(first, 'reports', 'permissions', `${MONTH}.md`), 'utf8')).toContain(`# Permission audit ${MONTH}`);
  });

  describe('the auditor\'s evidence pack of the month, from the kept data folder', () => {
    const pack = join(work, 'pack');
    let made: CliRun;
    // The data folder alone, never a runtime that may be listening on the default port.
    const evidence = (args: string[]) => runCli(['evidence', ...args, '--data-dir', kept, '--endpoint', 'http://127.0.0.1:1'], EVIDENCE_MS);

    beforeAll(async () => {
      made = await evidence(['--period', MONTH, '--out', pack, '--policy', policy]);
    }, EVIDENCE_MS);

    it('covers all 22 controls, each with data and figures', () => {
      expect(made.stderr.split('\n').filter((l) => /error|warn/i.test(l))).toEqual([]);
      expect(made.code).toBe(0);
      const index = JSON.parse(readFileSync(join(pack, 'index.json'), 'utf8')) as { controls: { control: string; status: string; figures: Record<string, number | string | null> }[] };
      expect(index.controls).toHaveLength(22);
      const noData = index.controls.filter((c) => c.status === 'no-data').map((c) => c.control);
      expect(noData).toEqual([]);
      const withoutFigures = index.controls.filter((c) => !Object.values(c.figures).some((v) => (typeof v === 'number' ? v > 0 : v !== null))).map((c) => c.control);
      expect(withoutFigures).toEqual([]);
    });

    it('verifies, and names the one file whose byte changed (exit 1)', async () => {
      const ok = await runCli(['evidence', 'verify', pack]);
      expect(ok.code, ok.stdout + ok.stderr).toBe(0);
      expect(ok.stdout).toMatch(/^OK: /m);
      const file = join(pack, 'evidence', 'changes.json');
      const bytes = readFileSync(file);
      bytes.writeUInt8((bytes.readUInt8(bytes.length - 2) ^ 1), bytes.length - 2);
      writeFileSync(file, bytes);
      const tampered = await runCli(['evidence', 'verify', pack]);
      expect(tampered.code).toBe(1);
      expect(tampered.stdout).toContain('CHANGED evidence/changes.json');
    }, 60_000);
  });
});
