/**
 * SQL over the exports with DuckDB: every named auditor query runs on the tables loaded from an
 * archive folder (audit lines, the areas' report JSON) and the findings, and finds what it is
 * named for; bad queries are the user's error.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAuditCommand } from '../../cli/audit.ts';
import { AUDITOR_QUERIES, auditorQuery, auditorSql, auditSearchSql, type AuditorQuery } from '../../cli/sql/auditor-queries.ts';
import { loadTables, renderResult, runSqlCommand } from '../../cli/sql/sql-command.ts';
import { openSqlEngine, SqlQueryError, type SqlEngine } from '../../cli/sql/sql-engine.ts';
import { folderArchiveStore } from '../../functions/shared/archive-store.ts';
import type { StoredFinding } from '../../functions/shared/findings/finding.ts';
import { SQL_TABLES } from '../../schemas/export-tables.ts';
import { auditBatchKey } from '../../schemas/archive-layout.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { captureStdout } from '../support/capture-stdout.ts';
import { UsageError } from '../../cli/usage.ts';

let root = '';
let engine: SqlEngine;

const line = (seq: number, detailType: string, fields: Record<string, unknown>, detail: Record<string, unknown>) =>
  JSON.stringify({ chain_id: 'erp.sap/2026-11-03/0', seq, prev_hash: 'p', hash: 'h', eventId: `e${seq}`, source: 'erp.sap', detailType, occurredAt: `2026-11-03T0${seq}:00:00.000Z`, recordedAt: `2026-11-03T0${seq}:00:01.000Z`, actor: null, action: detailType, target: null, module: null, deviceId: null, recordCount: null, valid: true, invalidReason: null, originalEvent: JSON.stringify({ detail }), ...fields });

const finding = (id: string, control: string, state: StoredFinding['state'], exception?: StoredFinding['exception']): StoredFinding =>
  ({
    findingId: id,
    detectedBy: 'access-governance',
    rule: 'r',
    sticky: false,
    state,
    raised: { schemaVersion: 1, findingId: id, control, rule: 'r', title: `finding ${id}`, severity: 'high', mode: 'enforce', subject: { type: 'account', id: 'u1' }, evidence: { summary: 's', eventIds: [] }, detectedAt: '2026-11-02T00:00:00.000Z' },
    firstRaisedAt: '2026-11-02T00:00:00.000Z',
    updatedAt: '2026-11-02T00:00:00.000Z',
    history: [],
    ...(exception ? { exception } : {}),
  }) as unknown as StoredFinding;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'erpgov-sql-test-'));
  const dir = (p: string) => {
    mkdirSync(join(root, p), { recursive: true });
    return join(root, p);
  };
  const batch = auditBatchKey('2026-11-03', 'erp.sap', '0');
  dir(dirname(batch));
  writeFileSync(
    join(root, batch),
    gzipSync(
      [
        line(1, 'Operation Audited', { actor: 'u9', action: 'delete', module: 'sales', target: 'orders', recordCount: 500 }, { actor: 'u9', action: 'delete' }),
        line(2, 'Operation Audited', { actor: 'u8', action: 'delete', module: 'sales', target: 'orders', recordCount: 700 }, { actor: 'u8', verifiedBy: 'u7' }),
        line(3, 'Login', { actor: 'u5' }, { account: 'u5', outcome: 'failure' }),
      ].join('\n') + '\n',
    ),
  );
  writeFileSync(join(dir('reports/permissions'), '2026-11.json'), JSON.stringify({ month: '2026-11', asOf: 'x', accountsReviewed: 3, counts: {}, signOffs: [], items: [{ category: 'leaver-not-cleaned', account: 'u100', person: 'E-100', what: 'SALES', detail: 'left 2026-10-01' }, { category: 'mover-not-adjusted', account: 'u200', person: 'E-200', what: 'FIN', detail: 'moved' }] }));
  writeFileSync(join(dir('reports/backups'), '2026-11.json'), JSON.stringify({ month: '2026-11', asOf: 'x', rows: [{ dataset: 'orders', system: 'erp', tier: 'hot', lastGoodBackup: null, worstGapHours: 2.5, cadenceHours: 1, gapWithinCadence: false, offsite: 'yes', retention: 'n/a', encryption: 'encrypted', restoreTestsRun: 0, restoreTestsPassed: 0, restoreTests: [], openFindings: [] }] }));
  writeFileSync(join(dir('reports/changes'), '2026-11.json'), JSON.stringify({ month: '2026-11', unmatchedProductionEdits: [], changes: [{ changeId: 'CR-1', title: 't', requestedBy: 'a', requestedAt: 'x', approvers: 'b', rejected: null, tests: 'passed', approvedVersion: '1.2', deployedVersions: '1.3', versionMatches: false, rollbackPlan: true, emergency: false, freeze: null }] }));
  writeFileSync(join(dir('reports/operations'), '2026-Q4.json'), JSON.stringify({ quarter: '2026-Q4', incidents: [{ severity: 'P1', incidents: 2, acknowledged: 2, resolved: 2, mttaMinutes: 20, mttrMinutes: 300, respondTargetMinutes: 15, resolveTargetMinutes: 240, acknowledgeBreaches: 1, resolveBreaches: 1 }] }));
  const findings = [finding('f1', '2.3', 'open'), finding('f2', '6.2', 'excepted', { owner: 'cfo', until: '2027-01-31T00:00:00.000Z', reason: 'migration' }), finding('f3', '2.3', 'resolved')];
  engine = await openSqlEngine(await loadTables(folderArchiveStore(root), findings, new Date('2026-12-01T00:00:00.000Z')));
}, 60_000);
afterAll(async () => {
  await engine?.close();
  rmSync(root, { recursive: true, force: true });
});

const params = { period: '2026-11', quarter: '2026-Q4', firstDay: '2026-11-01', lastDay: '2026-11-30' };

describe('SQL over the exports (DuckDB)', () => {
  it('has every table, with its declared columns even when empty', async () => {
    for (const table of SQL_TABLES) {
      const result = await engine.query(`SELECT * FROM ${table.name} LIMIT 0`);
      expect(result.columns).toEqual(table.columns.map(([name]) => name));
    }
  });

  it.each(AUDITOR_QUERIES.map((q) => [q.name, q] as const))('runs the named query %s', async (_name, query) => {
    const result = await engine.query(auditorSql(query, params));
    expect(result.columns.length).toBeGreaterThan(0);
  });

  it('finds what the queries are named for', async () => {
    const run = async (name: string) => (await engine.query(auditorSql(AUDITOR_QUERIES.find((q) => q.name === name)!, params))).rows;
    expect(await run('leavers-not-cleaned')).toEqual([['u100', 'E-100', 'SALES', 'left 2026-10-01']]);
    expect(await run('movers-not-adjusted')).toEqual([['u200', 'E-200', 'FIN', 'moved']]);
    expect(await run('open-findings-by-control')).toEqual([['2.3', 'high', 1], ['6.2', 'high', 1]]);
    expect((await run('exceptions'))[0]).toEqual(['f2', '6.2', 'finding f2', 'cfo', '2027-01-31T00:00:00.000Z', 'migration']);
    expect(await run('restore-tests-missing-or-failed')).toEqual([['orders', 'hot', 0, 0]]);
    expect((await run('changes-without-safeguards')).map((r) => r[0])).toEqual(['CR-1']);
    expect((await run('incident-response-breaches')).map((r) => r[0])).toEqual(['P1']);
    expect((await run('unverified-bulk-deletes')).map((r) => r[1])).toEqual(['u9']);
    expect(await run('failed-logins-by-account')).toEqual([['u5', 1]]);
    expect(await run('records-per-day')).toEqual([['2026-11-03', 'erp.sap', 3]]);
  });

  it('fills every column of the report tables from the report JSON', async () => {
    const all = async (table: string) => (await engine.query(`SELECT * FROM ${table}`)).rows;
    expect(await all('permission_report')).toEqual([['2026-11', 'leaver-not-cleaned', 'u100', 'E-100', 'SALES', 'left 2026-10-01'], ['2026-11', 'mover-not-adjusted', 'u200', 'E-200', 'FIN', 'moved']]);
    expect(await all('backup_report')).toEqual([['2026-11', 'orders', 'erp', 'hot', null, 2.5, false, 'yes', 'n/a', 'encrypted', 0, 0]]);
    expect(await all('change_report')).toEqual([['2026-11', 'CR-1', 't', 'a', 'x', 'b', null, 'passed', '1.2', '1.3', false, true, false, null]]);
    expect(await all('operations_report')).toEqual([['2026-Q4', 'P1', 2, 2, 2, 20, 300, 15, 240, 1, 1]]);
  });

  it('refuses a syntax error and an unknown table as the query\'s fault', async () => {
    await expect(engine.query('SELEC 1')).rejects.toBeInstanceOf(SqlQueryError);
    await expect(engine.query('SELECT * FROM nowhere')).rejects.toThrow(/nowhere/);
  });

  it('renders table, csv and json', async () => {
    const result = await engine.query("SELECT account, person FROM permission_report WHERE category = 'leaver-not-cleaned'");
    expect(renderResult(result, 'csv')).toBe('account,person\nu100,E-100\n');
    expect(JSON.parse(renderResult(result, 'json'))).toEqual([{ account: 'u100', person: 'E-100' }]);
    expect(renderResult(result, 'table')).toMatch(/^account\s+person\n-+\s+-+\nu100\s+E-100\n\(1 row\)\n$/);
  });

  describe('audit-search: the named query `audit search --athena` prints', () => {
    const search = auditorQuery('audit-search') as AuditorQuery;
    const filters = ['--actor', 'U9', '--action', 'delete', '--module', 'sales', '--source', 'erp.sap', '--limit', '50'];

    it('prints, for `audit search --athena`, the named query\'s text for the same filters', async () => {
      const audit = await captureStdout(() => runAuditCommand(['search', 'orders', '--from', '2026-11-01', '--to', '2026-11-30', ...filters, '--athena']));
      const named = await captureStdout(() => runSqlCommand(['--query', 'audit-search', '--period', '2026-11', '--keyword', 'orders', ...filters, '--athena']));
      expect(audit.code).toBe(0);
      expect(named.code).toBe(0);
      expect(audit.output).toBe(named.output);
      expect(audit.output).toContain(auditorSql(search, { ...params, filters: { from: '2026-11-01', actor: 'U9', action: 'delete', module: 'sales', source: 'erp.sap', keyword: 'orders', limit: 50 } }));
    });

    it('refuses a bad --limit the same way in both commands: a usage error naming the flag, the value and what is allowed', async () => {
      for (const limit of ['0', '-3', '2.5', 'ten']) {
        const refusal = `--limit: "${limit}" is not allowed; give a whole number, 1 or more`;
        for (const refused of [runAuditCommand(['search', '--from', '2026-11-01', '--to', '2026-11-30', `--limit=${limit}`, '--athena']), runSqlCommand(['--query', 'audit-search', '--period', '2026-11', `--limit=${limit}`, '--athena'])]) {
          await expect(refused).rejects.toBeInstanceOf(UsageError);
          await expect(refused).rejects.toThrow(refusal);
        }
      }
    });

    it('runs on DuckDB and finds what `audit search` finds', async () => {
      const rows = async (f: Parameters<typeof auditSearchSql>[0]) => (await engine.query(auditSearchSql(f))).rows;
      expect((await rows({ from: '2026-11-01', to: '2026-11-30', actor: 'U9', action: 'DELETE' })).map((r) => [r[3], r[4], r[7]])).toEqual([['u9', 'delete', 500]]);
      expect((await rows({ from: '2026-11-01', to: '2026-11-30', keyword: 'VERIFIEDBY' })).map((r) => r[3])).toEqual(['u8']);
      expect(await rows({ from: '2026-11-01', to: '2026-11-03T01:30:00.000Z' })).toHaveLength(1);
      expect(await rows({ from: '2026-11-03T02:00:00.000Z', to: '2026-11-30', limit: 1 })).toHaveLength(1);
      expect(await rows({ from: '2026-11-04', to: '2026-11-30' })).toEqual([]);
    });

    it('quotes every filter, so none can change the query', async () => {
      const sql = auditSearchSql({ from: '2026-11-01', to: '2026-11-30', actor: "x' OR '1'='1", keyword: '{module}' });
      expect(sql).toContain(`lower(actor) = lower('x'' OR ''1''=''1')`);
      expect(sql).toContain(`lower('{module}')`);
      expect(await engine.query(sql)).toMatchObject({ rows: [] });
    });
  });
});
