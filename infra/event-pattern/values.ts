/**
 * One field's list of allowed values (`"state": ["running", {"prefix": "stop"}]`): validated
 * and compiled into a test of whatever the event holds at that field.
 *
 * The list is an OR. Exact values are JSON-typed ("5" is not 5); the string operators only
 * match strings and `numeric` only numbers. The event side may be missing, a leaf (string,
 * number, boolean, null), an object (not a leaf: only `exists: false` holds) or an array, whose
 * leaves, nested arrays flattened, are tried one by one.
 */
import { fail, show, type PatternPath } from './errors.ts';
import { isLeaf, isPlainObject, scanElements, type Leaf } from './event-arrays.ts';
import { parseCidr } from './ip.ts';
import { CaseInsensitiveText, compileWildcard, wildcardProblem } from './strings.ts';

type LeafTest = (value: Leaf) => boolean;

/** Tests what the event has at one field: `undefined` when the field is missing. */
export type FieldTest = (fieldValue: unknown) => boolean;

/** Operator names, for "unknown operator" messages. */
const OPERATORS = ['prefix', 'suffix', 'equals-ignore-case', 'anything-but', 'numeric', 'exists', 'cidr', 'wildcard'] as const;

// EventBridge compares numbers within ±5e9 to six decimal places (documented limits).
const NUMERIC_LIMIT = 5e9;
const MICROS = 1e6;

/** Numbers that EventBridge treats as equal get the same key (six decimal places in range). */
function numberKey(n: number): number | string {
  return Math.abs(n) <= NUMERIC_LIMIT ? Math.round(n * MICROS) : `big:${n}`;
}

/** Order-preserving scale for numeric ranges; rounding only where EventBridge is precise. */
function comparable(n: number): number {
  return Math.abs(n) <= NUMERIC_LIMIT ? Math.round(n * MICROS) : n * MICROS;
}

/** Validate and compile the array a pattern gives for one field. */
export function compileFieldValues(list: readonly unknown[], path: PatternPath): FieldTest {
  if (list.length === 0) fail(path, 'an empty list matches nothing; give at least one value or operator');
  const exactStrings = new Set<string>();
  const exactNumbers = new Set<number | string>();
  const exactOther = new Set<boolean | null>();
  const operatorTests: LeafTest[] = [];
  let existsTrue = false;
  let existsFalse = false;

  list.forEach((item, i) => {
    const at = [...path, i];
    if (typeof item === 'string') exactStrings.add(item);
    else if (typeof item === 'number') exactNumbers.add(numberKey(finiteNumber(item, at)));
    else if (typeof item === 'boolean' || item === null) exactOther.add(item);
    else if (Array.isArray(item)) fail(at, `nested arrays are not allowed, got ${show(item)}; list the values directly`);
    else if (isPlainObject(item)) {
      const [operator, operand] = singleOperator(item, at);
      if (operator === 'exists') {
        if (typeof operand !== 'boolean') fail([...at, operator], `"exists" takes true or false, got ${show(operand)}`);
        if (operand) existsTrue = true;
        else existsFalse = true;
      } else {
        operatorTests.push(compileOperator(operator, operand, [...at, operator]));
      }
    } else fail(at, `a value must be a string, number, boolean, null or operator object, got ${show(item)}`);
  });

  const test = combineTests(exactStrings, exactNumbers, exactOther, operatorTests);
  return (fieldValue) => {
    if (Array.isArray(fieldValue)) {
      // Objects in an array are not leaves.
      const found = scanElements(fieldValue, isLeaf, test);
      return found === 'matched' || (found === 'none' ? existsFalse : existsTrue);
    }
    // Missing, objects and non-JSON values have no leaf here: only `exists: false` holds.
    if (!isLeaf(fieldValue)) return existsFalse;
    return existsTrue || test(fieldValue);
  };
}

function combineTests(
  exactStrings: ReadonlySet<string>,
  exactNumbers: ReadonlySet<number | string>,
  exactOther: ReadonlySet<boolean | null>,
  operatorTests: readonly LeafTest[],
): LeafTest {
  return (value) => {
    if (typeof value === 'string') {
      if (exactStrings.has(value)) return true;
    } else if (typeof value === 'number') {
      if (exactNumbers.size > 0 && exactNumbers.has(numberKey(value))) return true;
    } else if (exactOther.has(value)) {
      return true;
    }
    for (const test of operatorTests) if (test(value)) return true;
    return false;
  };
}

function singleOperator(item: Record<string, unknown>, path: PatternPath, allowed: readonly string[] = OPERATORS): [string, unknown] {
  const keys = Object.keys(item);
  if (keys.length !== 1) {
    fail(path, `an operator object needs exactly one key (one of ${allowed.join(', ')}), got ${show(item)}; put alternatives in separate list items`);
  }
  const operator = keys[0] as string;
  return [operator, item[operator]];
}

function compileOperator(operator: string, operand: unknown, path: PatternPath): LeafTest {
  switch (operator) {
    case 'prefix':
      return compilePrefixOrSuffix('prefix', operand, path);
    case 'suffix':
      return compilePrefixOrSuffix('suffix', operand, path);
    case 'equals-ignore-case': {
      const text = new CaseInsensitiveText(requireString(operand, path, '"equals-ignore-case" takes a string'));
      return (value) => typeof value === 'string' && text.equals(value);
    }
    case 'wildcard': {
      const matchesWildcard = compileWildcardOperand(operand, path);
      return (value) => typeof value === 'string' && matchesWildcard(value);
    }
    case 'cidr': {
      const block = parseCidr(requireString(operand, path, '"cidr" takes a string like "10.0.0.0/24" or "2001:db8::/32"'));
      if (typeof block === 'string') fail(path, `${block}, got ${show(operand)}`);
      return (value) => typeof value === 'string' && block.contains(value);
    }
    case 'numeric':
      return compileNumeric(operand, path);
    case 'anything-but':
      return compileAnythingBut(operand, path);
    default:
      fail(path.slice(0, -1), `unknown operator "${operator}"; allowed: ${OPERATORS.join(', ')}`);
  }
}

/** `{"prefix": "ADMIN"}` or `{"prefix": {"equals-ignore-case": "admin"}}` (likewise suffix). */
function compilePrefixOrSuffix(operator: 'prefix' | 'suffix', operand: unknown, path: PatternPath): LeafTest {
  const expects = `"${operator}" takes a string or {"equals-ignore-case": string}`;
  if (isPlainObject(operand)) {
    const keys = Object.keys(operand);
    if (keys.length !== 1 || keys[0] !== 'equals-ignore-case') fail(path, `${expects}, got ${show(operand)}`);
    const text = new CaseInsensitiveText(requireString(operand['equals-ignore-case'], [...path, 'equals-ignore-case'], expects));
    return operator === 'prefix'
      ? (value) => typeof value === 'string' && text.isPrefixOf(value)
      : (value) => typeof value === 'string' && text.isSuffixOf(value);
  }
  const text = requireString(operand, path, expects);
  return operator === 'prefix'
    ? (value) => typeof value === 'string' && value.startsWith(text)
    : (value) => typeof value === 'string' && value.endsWith(text);
}

function compileWildcardOperand(operand: unknown, path: PatternPath): (text: string) => boolean {
  const text = requireString(operand, path, '"wildcard" takes a string such as "arn:aws:*:us-east-1:*"');
  const problem = wildcardProblem(text);
  if (problem !== undefined) fail(path, `${problem}, got ${show(text)}`);
  return compileWildcard(text);
}

const RANGE_OPERATORS = ['=', '<', '<=', '>', '>='];
const NUMERIC_FORMS = '[op, n] with op one of =, <, <=, >, >=, or [">" or ">=", low, "<" or "<=", high]';

/** `{"numeric": [">", 0, "<=", 5]}`: one comparison, or a lower then an upper bound. */
function compileNumeric(operand: unknown, path: PatternPath): LeafTest {
  if (!Array.isArray(operand) || (operand.length !== 2 && operand.length !== 4)) {
    fail(path, `"numeric" expects ${NUMERIC_FORMS}, got ${show(operand)}`);
  }
  for (let i = 0; i < operand.length; i += 2) {
    if (typeof operand[i] !== 'string' || typeof operand[i + 1] !== 'number') {
      fail(path, `"numeric" expects pairs of operator and number, got ${show(operand)}`);
    }
    if (!RANGE_OPERATORS.includes(operand[i])) {
      fail([...path, i], `unknown numeric operator ${show(operand[i])}; allowed: ${RANGE_OPERATORS.join(', ')}`);
    }
    const n = finiteNumber(operand[i + 1], [...path, i + 1]);
    if (Math.abs(n) > NUMERIC_LIMIT) {
      fail([...path, i + 1], `numeric matching works on numbers from -5e9 to 5e9, got ${show(n)}`);
    }
  }
  const comparisons = operand as (string | number)[];
  if (comparisons.length === 2) {
    const [op, n] = comparisons as [string, number];
    return numericTest(op, comparable(n));
  }
  const [lowOp, low, highOp, high] = comparisons as [string, number, string, number];
  if (lowOp === '=' || highOp === '=') fail(path, `"=" cannot be combined with another comparison, got ${show(operand)}`);
  if ((lowOp !== '>' && lowOp !== '>=') || (highOp !== '<' && highOp !== '<=')) {
    fail(path, `a numeric range is a lower bound (">" or ">=") followed by an upper bound ("<" or "<="), got ${show(operand)}`);
  }
  if (!(low < high)) fail(path, `the lower bound ${low} must be less than the upper bound ${high}, got ${show(operand)}`);
  const above = numericTest(lowOp, comparable(low));
  const below = numericTest(highOp, comparable(high));
  return (value) => above(value) && below(value);
}

function numericTest(op: string, bound: number): LeafTest {
  switch (op) {
    case '=': return (v) => typeof v === 'number' && comparable(v) === bound;
    case '<': return (v) => typeof v === 'number' && comparable(v) < bound;
    case '<=': return (v) => typeof v === 'number' && comparable(v) <= bound;
    case '>': return (v) => typeof v === 'number' && comparable(v) > bound;
    default: return (v) => typeof v === 'number' && comparable(v) >= bound;
  }
}

const EXCLUDING_OPERATORS = ['prefix', 'suffix', 'equals-ignore-case', 'wildcard'];
const ANYTHING_BUT_FORMS = 'a string, a number, a list of strings or of numbers, or one of {"prefix"|"suffix"|"equals-ignore-case"|"wildcard": string}';

/**
 * `anything-but` holds for a present leaf that is not excluded, including null and values of
 * another JSON type (anything-but "5" matches the number 5).
 */
function compileAnythingBut(operand: unknown, path: PatternPath): LeafTest {
  if (typeof operand === 'string') return (v) => v !== operand;
  if (typeof operand === 'number') {
    const key = numberKey(finiteNumber(operand, path));
    return (v) => typeof v !== 'number' || numberKey(v) !== key;
  }
  if (Array.isArray(operand)) return compileAnythingButList(operand, path);
  if (isPlainObject(operand)) {
    const [operator, inner] = singleOperator(operand, path, EXCLUDING_OPERATORS);
    const at = [...path, operator];
    const excluded = compileExcludedStrings(operator, inner, at);
    return (v) => typeof v !== 'string' || !excluded(v);
  }
  fail(path, `"anything-but" takes ${ANYTHING_BUT_FORMS}, got ${show(operand)}`);
}

function compileAnythingButList(list: readonly unknown[], path: PatternPath): LeafTest {
  const allStrings = list.every((v) => typeof v === 'string');
  const allNumbers = list.every((v) => typeof v === 'number');
  if (list.length === 0 || (!allStrings && !allNumbers)) {
    fail(path, `an "anything-but" list must be non-empty and all strings or all numbers, got ${show(list)}`);
  }
  if (allStrings) {
    const excluded = new Set(list as string[]);
    return (v) => typeof v !== 'string' || !excluded.has(v);
  }
  const excluded = new Set((list as number[]).map((n, i) => numberKey(finiteNumber(n, [...path, i]))));
  return (v) => typeof v !== 'number' || !excluded.has(numberKey(v));
}

/**
 * The strings an `anything-but` object excludes. EventBridge documents one value per
 * operator; the engine also takes a list (any listed value excludes), which costs nothing here.
 */
function compileExcludedStrings(operator: string, operand: unknown, path: PatternPath): (text: string) => boolean {
  if (!EXCLUDING_OPERATORS.includes(operator)) {
    fail(path.slice(0, -1), `"anything-but" takes ${ANYTHING_BUT_FORMS}; "${operator}" is not one of them`);
  }
  const values = Array.isArray(operand) ? operand : [operand];
  const expects = `"anything-but" / "${operator}" takes a string (or a non-empty list of strings)`;
  if (values.length === 0) fail(path, `${expects}, got []`);
  const tests = values.map((value, i): ((text: string) => boolean) => {
    const at = Array.isArray(operand) ? [...path, i] : path;
    const text = requireString(value, at, expects);
    switch (operator) {
      case 'prefix':
      case 'suffix':
        if (text === '') fail(at, `an empty "${operator}" would exclude every string; give at least one character`);
        return operator === 'prefix' ? (s) => s.startsWith(text) : (s) => s.endsWith(text);
      case 'equals-ignore-case': {
        const folded = new CaseInsensitiveText(text);
        return (s) => folded.equals(s);
      }
      default:
        return compileWildcardOperand(text, at);
    }
  });
  return tests.length === 1 ? (tests[0] as (text: string) => boolean) : (s) => tests.some((t) => t(s));
}

function requireString(value: unknown, path: PatternPath, expects: string): string {
  if (typeof value !== 'string') fail(path, `${expects}, got ${show(value)}`);
  return value;
}

function finiteNumber(value: number, path: PatternPath): number {
  if (!Number.isFinite(value)) fail(path, `numbers must be finite JSON numbers, got ${show(value)}`);
  return value;
}
