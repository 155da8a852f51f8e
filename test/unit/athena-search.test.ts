import { describe, expect, it } from 'vitest';
import { athenaSearchSql } from '../../functions/shared/audit-trail/athena-search.ts';

describe('Athena search SQL', () => {
  it('turns the CLI filters into partition-pruned SQL', () => {
    const sql = athenaSearchSql({ from: '2026-11-01', to: '2026-11-29T12:00:00Z', actor: 'u1001', action: 'delete', module: 'orders', source: 'erp.sap', keyword: 'month-end', limit: 50 });
    expect(sql).toContain(`"date" BETWEEN '2026-11-01' AND '2026-11-29'`);
    expect(sql).toContain(`occurredat <= '2026-11-29T12:00:00Z'`);
    expect(sql).not.toContain('occurredat >=');
    expect(sql).toContain(`source = 'erp.sap'`);
    expect(sql).toContain(`lower(actor) = lower('u1001')`);
    expect(sql).toContain(`lower(module) = lower('orders')`);
    expect(sql).toContain(`strpos(lower(originalevent), lower('month-end')) > 0`);
    expect(sql).toMatch(/LIMIT 50$/);
  });

  it('quotes values so a filter cannot change the query', () => {
    const sql = athenaSearchSql({ from: '2026-11-01', to: '2026-11-02', actor: "x' OR '1'='1" });
    expect(sql).toContain(`lower(actor) = lower('x'' OR ''1''=''1')`);
  });
});
