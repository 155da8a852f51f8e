/**
 * The two line shapes `erpgov replay` and `erpgov simulate` take, and AWS's own service
 * events (../shared/aws-native-events, when present) judged the way the admin channel judges
 * them: every one kept verbatim.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { completeEventToBusEvent } from '../../runtime/put-events.ts';
import { parseReplayFile, parseReplayLine, ReplayFileError } from '../../runtime/replay-lines.ts';

const bus = { eventBusName: 'erpgov-bus', account: '000000000000', region: 'us-east-1' };
const NATIVE = fileURLToPath(new URL('../../../shared/aws-native-events/', import.meta.url));
const haveNative = existsSync(NATIVE);
if (!haveNative) console.warn(`replay-lines.test: ${NATIVE} is absent; the AWS native events are skipped`);

describe('replay lines', () => {
  it('tells a PutEvents entry from a complete event, and keeps each line\'s time', () => {
    const lines = parseReplayFile(
      [
        JSON.stringify({ Source: 'erp.sap', DetailType: 'Login', Detail: { schemaVersion: 1 }, Time: '2026-03-01T08:00:00+08:00' }),
        '',
        JSON.stringify({ source: 'aws.backup', 'detail-type': 'Backup Job State Change', detail: {}, time: '2026-03-01T01:00:00Z' }),
        JSON.stringify({ Source: 'erp.sap', DetailType: 'Login', Detail: '{}', Time: 1772323200 }),
      ].join('\n'),
    );
    expect(lines.map((l) => [l.kind, l.line, l.time])).toEqual([
      ['entry', 1, '2026-03-01T00:00:00.000Z'],
      ['event', 3, '2026-03-01T01:00:00.000Z'],
      ['entry', 4, '2026-03-01T00:00:00.000Z'],
    ]);
    // A Detail given as an object is serialised; the bus is filled in.
    expect(lines[0]?.kind === 'entry' && lines[0].entry).toMatchObject({ Detail: '{"schemaVersion":1}', EventBusName: 'erpgov-bus' });
  });

  it('names the line and what is allowed when a line is neither shape', () => {
    expect(() => parseReplayFile('{"Source":"erp.sap"}\n', 'events.jsonl')).toThrow(ReplayFileError);
    expect(() => parseReplayFile('{"Source":"erp.sap"}\n', 'events.jsonl')).toThrow(/^events\.jsonl:1: .* is neither shape; allowed: a PutEvents entry/);
    expect(parseReplayLine('[1]', 2)).toMatchObject({ error: expect.stringContaining('not a JSON object') });
    expect(parseReplayLine('{oops', 3)).toMatchObject({ error: expect.stringContaining('not JSON') });
  });
});

describe.runIf(haveNative)('AWS service events exactly as AWS emits them', () => {
  const files = haveNative ? readdirSync(NATIVE).filter((f) => f.endsWith('.jsonl') && f !== 'index.jsonl') : [];

  it('are complete events, injected verbatim (odd ids, accounts, missing version or resources)', () => {
    let seen = 0;
    for (const file of files) {
      for (const line of parseReplayFile(readFileSync(join(NATIVE, file), 'utf8'), file)) {
        expect(line.kind, `${file}:${line.line}`).toBe('event');
        if (line.kind !== 'event') continue;
        const out = completeEventToBusEvent(line.event, 'fallback', new Date(), bus);
        expect(out.ok, `${file}:${line.line}`).toBe(true);
        if (out.ok && typeof line.event.id === 'string') expect(out.event).toEqual(line.event);
        seen++;
      }
    }
    expect(seen).toBeGreaterThanOrEqual(60);
  });
});
