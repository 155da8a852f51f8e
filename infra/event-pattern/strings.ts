/**
 * String tests for `equals-ignore-case` and `wildcard`, compiled once per pattern value.
 * Neither builds a RegExp from the pattern, so no escaping bugs and no backtracking blow-ups.
 */

/**
 * Case-insensitive comparison the way the engine does it: each UTF-16 unit of the pattern
 * matches itself, its lower-case form or its upper-case form, where that form is a single
 * unit. So Basic Multilingual Plane letters fold, while case mappings that change length
 * (ß → "SS", İ → "i̇") are not applied, and the event text must have the pattern's length.
 */
export class CaseInsensitiveText {
  readonly length: number;
  private readonly exact: Uint16Array;
  private readonly lower: Uint16Array;
  private readonly upper: Uint16Array;

  constructor(text: string) {
    this.length = text.length;
    this.exact = new Uint16Array(text.length);
    this.lower = new Uint16Array(text.length);
    this.upper = new Uint16Array(text.length);
    for (let i = 0; i < text.length; i++) {
      const unit = text[i] as string;
      this.exact[i] = unit.charCodeAt(0);
      this.lower[i] = singleUnitOr(unit.toLowerCase(), unit);
      this.upper[i] = singleUnitOr(unit.toUpperCase(), unit);
    }
  }

  equals(candidate: string): boolean {
    return candidate.length === this.length && this.matchesAt(candidate, 0);
  }

  isPrefixOf(candidate: string): boolean {
    return candidate.length >= this.length && this.matchesAt(candidate, 0);
  }

  isSuffixOf(candidate: string): boolean {
    return candidate.length >= this.length && this.matchesAt(candidate, candidate.length - this.length);
  }

  private matchesAt(candidate: string, offset: number): boolean {
    for (let i = 0; i < this.length; i++) {
      const unit = candidate.charCodeAt(offset + i);
      if (unit !== this.exact[i] && unit !== this.lower[i] && unit !== this.upper[i]) return false;
    }
    return true;
  }
}

function singleUnitOr(mapped: string, original: string): number {
  return (mapped.length === 1 ? mapped : original).charCodeAt(0);
}

/**
 * Check a `wildcard` value: `*` matches any run of characters (including none), `\*` is a
 * literal star and `\\` a literal backslash. Returns the reason it is invalid, or undefined.
 */
export function wildcardProblem(text: string): string | undefined {
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\\') {
      const next = text[i + 1];
      if (next !== '*' && next !== '\\') {
        return `invalid escape at position ${i} (only \\* and \\\\ may follow a backslash)`;
      }
      i++;
    } else if (ch === '*' && text[i + 1] === '*') {
      return `consecutive "*" at position ${i + 1} (one "*" already matches any run of characters)`;
    }
  }
  return undefined;
}

/** Compile a valid `wildcard` value (see {@link wildcardProblem}) into a string test. */
export function compileWildcard(text: string): (candidate: string) => boolean {
  const segments = splitOnUnescapedStars(text);
  if (segments.length === 1) {
    const literal = segments[0] as string;
    return (candidate) => candidate === literal;
  }
  // Literal text before the first star must start the value, after the last star end it;
  // the pieces between match left to right, each as early as possible (greedy is exact
  // here because `*` is the only wildcard).
  const first = segments[0] as string;
  const last = segments[segments.length - 1] as string;
  const middle = segments.slice(1, -1).filter((s) => s !== '');
  const minLength = first.length + last.length;
  return (candidate) => {
    if (candidate.length < minLength || !candidate.startsWith(first) || !candidate.endsWith(last)) return false;
    let from = first.length;
    const end = candidate.length - last.length;
    for (const piece of middle) {
      const at = candidate.indexOf(piece, from);
      if (at < 0 || at + piece.length > end) return false;
      from = at + piece.length;
    }
    return true;
  };
}

function splitOnUnescapedStars(text: string): string[] {
  const segments: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (ch === '\\') {
      current += text[i + 1] ?? '';
      i++;
    } else if (ch === '*') {
      segments.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  segments.push(current);
  return segments;
}
