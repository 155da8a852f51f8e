/**
 * The evidence pack's index.html in headless Chromium (Debian's `chromium` with playwright-core):
 * it opens from disk with the network cut off, draws its charts with the inlined uPlot, raises
 * no script error, and the control table read from the page holds all 22 controls with the
 * statuses of index.json. Skips, saying why, when no chromium is installed.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium } from 'playwright-core';
import { writePack } from '../../cli/evidence/evidence-command.ts';
import { parsePeriod } from '../../functions/shared/evidence/period.ts';
import type { StoredFinding } from '../../functions/shared/findings/finding.ts';

const CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].filter((p): p is string => p !== undefined && p !== '');
const executablePath = CANDIDATES.find((p) => existsSync(p));
if (!executablePath) console.warn(`evidence-html: no chromium found (looked at ${CANDIDATES.join(', ')}); skipping the browser test — apt-get install chromium`);

let root = '';
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'erpgov-evidence-html-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const finding = {
  findingId: 'f-open',
  detectedBy: 'access-governance',
  rule: 'shared-account',
  sticky: false,
  state: 'open',
  raised: { schemaVersion: 1, findingId: 'f-open', control: '2.2', rule: 'shared-account', title: 'Shared account', severity: 'high', mode: 'enforce', subject: { type: 'account', id: 'u3' }, evidence: { summary: 'two people', eventIds: [] }, detectedAt: '2026-10-10T00:00:00.000Z' },
  firstRaisedAt: '2026-10-10T00:00:00.000Z',
  updatedAt: '2026-10-10T00:00:00.000Z',
  history: [{ at: '2026-10-10T00:00:00.000Z', state: 'open', by: 'access-governance' }],
} as unknown as StoredFinding;

const record = (detailType: string, occurredAt: string, detail: Record<string, unknown>) => ({ eventId: `${detailType}-${occurredAt}`, source: 'erp.sap', detailType, occurredAt, recordedAt: occurredAt, actor: null, action: detailType, target: null, module: null, deviceId: null, recordCount: null, valid: true, invalidReason: null, originalEvent: JSON.stringify({ detail }) });

describe.skipIf(!executablePath)('the evidence pack in headless Chromium', () => {
  it('opens from disk without the network, draws the charts and shows the 22 controls of index.json', async () => {
    const out = join(root, 'pack');
    const period = parsePeriod('2026-10', new Date('2026-11-15T00:00:00Z'));
    await writePack(
      out,
      {
        period,
        generatedAt: '2026-11-15T00:00:00.000Z',
        fedControls: ['3.1'],
        findings: [finding],
        records: [record('Employee Departed', '2026-10-05T08:00:00.000Z', { person: 'E-1', departedAt: '2026-10-05T08:00:00.000Z' }), record('Role Revoked', '2026-10-06T02:00:00.000Z', { person: 'E-1' }), record('Login', '2026-10-07T00:00:00.000Z', { account: 'u1' })],
        verify: { chains: 1, records: 3, anchored: 0, broken: [] },
        permissions: [],
        backups: [],
        changes: [],
        operations: [],
        archiveManifests: [],
        retentionDays: 183,
      },
      'zh',
    );
    const index = JSON.parse(readFileSync(join(out, 'index.json'), 'utf8'));
    const browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
    try {
      const context = await browser.newContext({ offline: true });
      const requests: string[] = [];
      context.on('request', (r) => {
        if (!r.url().startsWith('file:') && !r.url().startsWith('data:')) requests.push(r.url());
      });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(pathToFileURL(join(out, 'index.html')).href);
      const rows = await page.$$eval('#controls tbody tr', (trs) => trs.map((tr) => ({ control: tr.getAttribute('data-control'), status: tr.getAttribute('data-status'), cells: Array.from(tr.querySelectorAll('td')).map((td) => (td as { textContent: string | null }).textContent ?? '') })));
      expect(rows.map((r) => r.control)).toEqual(index.controls.map((c: { control: string }) => c.control));
      expect(rows).toHaveLength(22);
      expect(rows.map((r) => r.status)).toEqual(index.controls.map((c: { status: string }) => c.status));
      const shared = rows.find((r) => r.control === '2.2');
      expect(shared?.cells[3]).toContain('有未关闭问题');
      expect(shared?.cells[5]).toContain('Shared account');
      // uPlot drew the leaver chart (a canvas); the charts without data say so.
      expect(await page.locator('#chart-leavers canvas').count()).toBeGreaterThan(0);
      expect(await page.locator('#chart-rto').textContent()).toContain('本期无数据');
      expect(errors).toEqual([]);
      expect(requests).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 60_000);
});
