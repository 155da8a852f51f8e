/**
 * The shape of a pattern (fields are AND, `$or` branches are OR, objects nest) and how it
 * meets the event's objects and arrays.
 *
 * `$or` is multiplied out at compile time into alternative conjunctions, as the engine does.
 * That matters for arrays: every condition of one alternative that reaches into an array of
 * objects must hold inside ONE element of it, whether the condition came from a `$or` branch
 * or from the fields around it. Matching is then a walk of the event guided by the
 * conjunction: at an array of objects, some element must satisfy the whole sub-pattern.
 */
import { fail, show, type PatternPath } from './errors.ts';
import { isLeaf, isPlainObject, scanElements } from './event-arrays.ts';
import { compileFieldValues, type FieldTest } from './values.ts';

/** Conditions that must all hold on one object of the event. */
interface Conjunction {
  readonly fields: ReadonlyMap<string, FieldConditions>;
}

interface FieldConditions {
  /** One test per value list given for the field; usually one, more after merging `$or`. */
  readonly valueTests: readonly FieldTest[];
  /** Some value list of the field is only `{"exists": false}`: the path must have no leaf anywhere. */
  readonly absent?: boolean;
  /** Conditions on the object(s) found at the field. */
  readonly nested: Conjunction | undefined;
}

/** Tests the event node a conjunction applies to (normally an object). */
export type NodeTest = (node: unknown) => boolean;

// Multiplying out `$or` can grow quickly; refuse patterns whose alternatives explode.
const MAX_ALTERNATIVES = 1000;

/** Validate a whole pattern and compile it into one test of an event. */
export function compilePattern(pattern: unknown): NodeTest {
  if (!isPlainObject(pattern)) fail([], `an event pattern must be a JSON object such as {"source": ["erp.sap"]}, got ${show(pattern)}`);
  const alternatives = parseObject(pattern, []).map(compileConjunction);
  if (alternatives.length === 1) return alternatives[0] as NodeTest;
  return (event) => {
    for (const alternative of alternatives) if (alternative(event)) return true;
    return false;
  };
}

/** The alternative conjunctions an object of the pattern stands for (one unless it has `$or`). */
function parseObject(pattern: Record<string, unknown>, path: PatternPath): Conjunction[] {
  const keys = Object.keys(pattern);
  if (keys.length === 0) fail(path, 'an empty object is not allowed; give at least one field');
  let alternatives: Conjunction[] = [{ fields: new Map() }];
  for (const key of keys) {
    const value = pattern[key];
    const at = [...path, key];
    let options: Conjunction[];
    if (key === '$or') {
      options = parseOr(value, at);
    } else if (Array.isArray(value)) {
      const absent = value.length > 0 && value.every((v) => isPlainObject(v) && Object.keys(v).length === 1 && v.exists === false);
      options = [onlyField(key, { valueTests: [compileFieldValues(value, at)], nested: undefined, absent })];
    } else if (isPlainObject(value)) {
      options = parseObject(value, at).map((nested) => onlyField(key, { valueTests: [], nested }));
    } else {
      fail(at, `a field takes a list of values such as ["a", 1] or a nested object, got ${show(value)}`);
    }
    alternatives = multiply(alternatives, options, at);
  }
  return alternatives;
}

function parseOr(value: unknown, path: PatternPath): Conjunction[] {
  if (!Array.isArray(value) || value.length < 2) {
    fail(path, `"$or" takes a list of at least two pattern objects, got ${show(value)}`);
  }
  return value.flatMap((branch, i) => {
    if (!isPlainObject(branch)) fail([...path, i], `each "$or" branch must be a pattern object, got ${show(branch)}`);
    return parseObject(branch, [...path, i]);
  });
}

function onlyField(key: string, conditions: FieldConditions): Conjunction {
  return { fields: new Map([[key, conditions]]) };
}

/** Every combination of one conjunction from each side. */
function multiply(left: readonly Conjunction[], right: readonly Conjunction[], path: PatternPath): Conjunction[] {
  if (left.length * right.length > MAX_ALTERNATIVES) {
    fail(path, `the pattern's "$or" branches combine into more than ${MAX_ALTERNATIVES} alternatives; simplify it`);
  }
  return left.flatMap((a) => right.map((b) => merge(a, b)));
}

/**
 * Both conjunctions at once. A field constrained on both sides must satisfy both (the Java
 * engine lets the later one silently replace the earlier, depending on key order; AND is
 * what the pattern says).
 */
function merge(a: Conjunction, b: Conjunction): Conjunction {
  const fields = new Map(a.fields);
  for (const [key, fromB] of b.fields) {
    const fromA = fields.get(key);
    if (fromA === undefined) {
      fields.set(key, fromB);
      continue;
    }
    fields.set(key, {
      valueTests: [...fromA.valueTests, ...fromB.valueTests],
      absent: fromA.absent === true || fromB.absent === true,
      nested: fromA.nested && fromB.nested ? merge(fromA.nested, fromB.nested) : (fromA.nested ?? fromB.nested),
    });
  }
  return { fields };
}

function compileConjunction(conjunction: Conjunction): NodeTest {
  // Plain value tests are cheap; run them before descending into nested objects and arrays.
  const checks = [...conjunction.fields]
    .sort(([, x], [, y]) => Number(x.nested !== undefined) - Number(y.nested !== undefined))
    .map(([key, conditions]) => compileField(key, conditions));
  if (checks.length === 1) return checks[0] as NodeTest;
  return (node) => {
    for (const check of checks) if (!check(node)) return false;
    return true;
  };
}

function compileField(key: string, { valueTests, nested }: FieldConditions): NodeTest {
  const read = fieldReader(key);
  const nestedTest = nested === undefined ? undefined : withAbsences(nested, compileConjunction(nested));
  if (valueTests.length === 1 && nestedTest === undefined) {
    const test = valueTests[0] as FieldTest;
    return (node) => test(read(node));
  }
  return (node) => {
    const value = read(node);
    for (const test of valueTests) if (!test(value)) return false;
    return nestedTest === undefined || matchNested(value, nestedTest);
  };
}

/** What an object of the event has at `key`; undefined when missing or not an object. */
function fieldReader(key: string): (node: unknown) => unknown {
  // Plain objects inherit a few names (toString, constructor, __proto__...); only for those
  // does a lookup need the own-property check, so the common case stays a single property read.
  const inheritable = key in Object.prototype;
  return (node) => {
    if (typeof node !== 'object' || node === null || Array.isArray(node)) return undefined;
    const value = (node as Record<string, unknown>)[key];
    return inheritable && !Object.hasOwn(node, key) ? undefined : value;
  };
}

/**
 * `exists: false` is about the path, not one element: AWS's engine holds it only when no leaf
 * at the path is consistent with the rest of the match. Elements of one array are consistent
 * with each other only when no other condition of the pattern picks one of them; so a nested
 * pattern made only of `exists: false` conditions, met by an array of objects, needs its paths
 * to have no leaf in ANY element (with a sibling condition, the element it picks decides, as
 * before: `{"firstName": ["Anna"], "ids": [{"exists": false}]}` holds for Anna without ids).
 */
function withAbsences(nested: Conjunction, test: NodeTest): NodeTest {
  if (!onlyAbsences(nested)) return test;
  const paths = absentPaths(nested, []);
  if (paths.length === 0) return test;
  const isAbsentEverywhere = (value: unknown) => paths.every((path) => !hasLeafAt(value, path));
  const tested: NodeTest = (node) => test(node);
  absenceChecks.set(tested, isAbsentEverywhere);
  return tested;
}

function onlyAbsences(conjunction: Conjunction): boolean {
  for (const conditions of conjunction.fields.values()) {
    if (conditions.nested !== undefined) {
      if (conditions.valueTests.length > 0 || !onlyAbsences(conditions.nested)) return false;
    } else if (conditions.absent !== true || conditions.valueTests.length !== 1) return false;
  }
  return true;
}

const absenceChecks = new WeakMap<NodeTest, (value: unknown) => boolean>();

function absentPaths(conjunction: Conjunction, prefix: readonly string[]): string[][] {
  const paths: string[][] = [];
  for (const [key, conditions] of conjunction.fields) {
    if (conditions.absent === true) paths.push([...prefix, key]);
    if (conditions.nested !== undefined) paths.push(...absentPaths(conditions.nested, [...prefix, key]));
  }
  return paths;
}

/** Whether the event has a leaf at `path` below `value`, through any arrays (iteratively). */
function hasLeafAt(value: unknown, path: readonly string[]): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop() as [unknown, number];
    if (Array.isArray(v)) {
      for (const element of v) stack.push([element, depth]);
    } else if (depth === path.length) {
      if (isLeaf(v)) return true;
    } else if (isPlainObject(v) && Object.hasOwn(v, path[depth] as string)) {
      stack.push([v[path[depth] as string], depth + 1]);
    }
  }
  return false;
}

/**
 * A nested pattern against what the event has at its field. Against an array (nested arrays
 * flattened), some object element must satisfy it on its own; an array without objects is
 * treated like a missing field, so only conditions such as `exists: false` can hold.
 */
function matchNested(value: unknown, test: NodeTest): boolean {
  if (!Array.isArray(value)) return test(value);
  const absentEverywhere = absenceChecks.get(test);
  if (absentEverywhere !== undefined && !absentEverywhere(value)) return false;
  const found = scanElements(value, isPlainObject, test);
  return found === 'none' ? test(undefined) : found === 'matched';
}
