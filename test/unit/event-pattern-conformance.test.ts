/**
 * The shared EventBridge conformance corpus (cases verified against aws/event-ruler), read
 * from ../shared/eventbridge-patterns/ next to the repository as CI lays it out, or from
 * $EVENTBRIDGE_PATTERN_CASES_DIR. The corpus is not part of this repository; where it is
 * absent (a user's machine) the suite is skipped with a message saying where it looked.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compileEventPattern, InvalidEventPatternError } from '../../infra/event-pattern/index.ts';

interface MatchCase {
  id: string;
  pattern: unknown;
  event: unknown;
  match: boolean;
  engine: 'eventbridge' | 'event-ruler-only';
  note?: string;
}

interface InvalidCase {
  id: string;
  pattern: Record<string, unknown>;
  error: string;
}

const casesDir =
  process.env.EVENTBRIDGE_PATTERN_CASES_DIR ?? fileURLToPath(new URL('../../../shared/eventbridge-patterns/', import.meta.url));
const casesFile = join(casesDir, 'cases.jsonl');
const invalidFile = join(casesDir, 'invalid-patterns.jsonl');
const corpusPresent = existsSync(casesFile) && existsSync(invalidFile);

function readJsonLines<T>(file: string): T[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);
}

if (!corpusPresent) {
  describe.skip(`EventBridge pattern conformance (corpus not found in ${casesDir}; set EVENTBRIDGE_PATTERN_CASES_DIR to run it)`, () => {
    it.skip('needs cases.jsonl and invalid-patterns.jsonl', () => {});
  });
} else {
  const cases = readJsonLines<MatchCase>(casesFile);
  const invalid = readJsonLines<InvalidCase>(invalidFile);
  const documented = cases.filter((c) => c.engine === 'eventbridge');
  // Engine features EventBridge does not document (anything-but with a list inside
  // prefix/suffix/equals-ignore-case/wildcard); the matcher supports them, so they run too.
  const rulerOnly = cases.filter((c) => c.engine !== 'eventbridge');

  const expectCase = (c: MatchCase) => {
    const compiled = compileEventPattern(c.pattern);
    expect(compiled.matches(c.event), `${c.id}${c.note ? ` (${c.note})` : ''}`).toBe(c.match);
  };

  describe('EventBridge pattern conformance', () => {
    it('loaded the corpus', () => {
      expect(documented.length).toBeGreaterThan(0);
      expect(invalid.length).toBeGreaterThan(0);
    });

    describe('documented EventBridge behaviour', () => {
      it.each(documented)('$id', expectCase);
    });

    describe('event-ruler-only extensions', () => {
      it.each(rulerOnly)('$id', expectCase);
    });

    describe('patterns EventBridge refuses', () => {
      it.each(invalid)('$id', (c) => {
        let thrown: unknown;
        try {
          compileEventPattern(c.pattern);
        } catch (err) {
          thrown = err;
        }
        expect(thrown, `accepted ${JSON.stringify(c.pattern)} (engine says: ${c.error})`).toBeInstanceOf(InvalidEventPatternError);
        // Messages start with the path of the offending part, which begins at a top-level key.
        const firstKey = Object.keys(c.pattern)[0] ?? 'pattern';
        expect((thrown as Error).message.startsWith(firstKey)).toBe(true);
      });
    });
  });
}
