/**
 * A restart in the middle of a threshold episode: a new local runtime on the same data dir
 * (own file: the handlers are loaded once per process and keep the first runtime's ports).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { stateTable } from '../../infra/state-table.ts';
import { dynamoFindingsStore } from '../../functions/shared/findings/findings-store.ts';
import { startLocalRuntime } from '../../runtime/local-runtime.ts';
import { LOCAL_CREDENTIALS } from '../../runtime/http-server.ts';
import { series } from '../support/series.ts';

const ISSUE_SERIES = '70 80 82 85 79 81 60 55 50 50 50';

describe('a restart in the middle of an episode', () => {
  it('neither re-fires nor forgets the episode', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'erpgov-threshold-restart-'));
    const start = Date.parse('2026-03-02T09:00:00Z');
    const events = series(ISSUE_SERIES, new Date(start).toISOString()).map((p) => ({
      version: '0', id: randomUUID(), 'detail-type': 'Metric Sample', source: 'erp.sap', account: '000000000000', time: p.at, region: 'us-east-1', resources: [],
      detail: { schemaVersion: 1, host: 'erp-app-09', metric: 'cpu', value: p.value, unit: 'percent' },
    }));
    try {
      let runtime = await startLocalRuntime({ dataDir, armSchedules: false });
      for (const event of events.slice(0, 5)) {
        runtime.bus.accept([event] as never);
        await runtime.bus.whenIdle();
      }
      // Same ports: the handlers (loaded once per process, as a warm Lambda) keep their clients.
      const ports = { dynamoDbPort: Number(new URL(runtime.dynamoDbUrl).port), eventBridgePort: Number(new URL(runtime.eventBridgeUrl).port) };
      await runtime.stop();
      runtime = await startLocalRuntime({ dataDir, armSchedules: false, ...ports });
      for (const event of events.slice(5)) {
        runtime.bus.accept([event] as never);
        await runtime.bus.whenIdle();
      }
      const docs = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: runtime.dynamoDbUrl, region: 'us-east-1', credentials: LOCAL_CREDENTIALS }));
      const findings = (await dynamoFindingsStore(docs, stateTable.name).list()).filter((r) => r.finding.detectedBy === 'threshold-alerts');
      expect(findings.map((r) => [r.finding.rule, r.finding.state, r.finding.history.map((e) => e.state)])).toEqual([['threshold-breach', 'resolved', ['open', 'resolved']]]);
      docs.destroy();
      await runtime.stop();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
