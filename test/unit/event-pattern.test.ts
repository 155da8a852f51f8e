import { describe, expect, it } from 'vitest';
import { compileEventPattern, InvalidEventPatternError, matches } from '../../infra/event-pattern/index.ts';

/** An ERP event as it arrives on the bus. */
function erpEvent(detailType: string, detail: Record<string, unknown>, source = 'erp.sap') {
  return {
    version: '0',
    id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
    'detail-type': detailType,
    source,
    account: '111122223333',
    time: '2026-11-29T02:00:00Z',
    region: 'eu-central-1',
    resources: [`arn:aws:erp:eu-central-1:111122223333:system/${source}`],
    detail,
  };
}

/** The message the pattern is rejected with (fails the test if it is accepted). */
function rejection(pattern: unknown): string {
  try {
    compileEventPattern(pattern);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidEventPatternError);
    expect((err as Error).name).toBe('InvalidEventPatternError');
    return (err as Error).message;
  }
  throw new Error(`pattern was accepted: ${JSON.stringify(pattern)}`);
}

describe('exact values', () => {
  it('are JSON-typed and case-sensitive', () => {
    expect(matches({ qty: [5] }, { qty: 5 })).toBe(true);
    expect(matches({ qty: [5] }, { qty: '5' })).toBe(false);
    expect(matches({ qty: ['5'] }, { qty: 5 })).toBe(false);
    expect(matches({ plant: ['DE01'] }, { plant: 'de01' })).toBe(false);
    expect(matches({ posted: [true] }, { posted: true })).toBe(true);
    expect(matches({ posted: [true] }, { posted: 'true' })).toBe(false);
  });

  it('tell null, "" and a missing field apart', () => {
    expect(matches({ approver: [null] }, { approver: null })).toBe(true);
    expect(matches({ approver: [null] }, { approver: '' })).toBe(false);
    expect(matches({ approver: [null] }, {})).toBe(false);
    expect(matches({ approver: [''] }, { approver: '' })).toBe(true);
    expect(matches({ approver: [''] }, { approver: null })).toBe(false);
  });

  it('treat numbers equal to six decimal places, as EventBridge does', () => {
    expect(matches({ rate: [1.5] }, { rate: 1.5 })).toBe(true);
    expect(matches({ rate: [300] }, { rate: 3e2 })).toBe(true);
    expect(matches({ rate: [1.5] }, { rate: 1.5000001 })).toBe(true);
    expect(matches({ rate: [1.5] }, { rate: 1.50001 })).toBe(false);
  });

  it('OR the values of one field and AND the fields', () => {
    const pattern = { source: ['erp.sap', 'erp.oracle'], 'detail-type': ['Backup Failed'] };
    expect(matches(pattern, { source: 'erp.oracle', 'detail-type': 'Backup Failed' })).toBe(true);
    expect(matches(pattern, { source: 'erp.workday', 'detail-type': 'Backup Failed' })).toBe(false);
    expect(matches(pattern, { source: 'erp.sap' })).toBe(false);
  });
});

describe('string operators', () => {
  it('prefix and suffix match strings only', () => {
    expect(matches({ role: [{ prefix: 'ADMIN' }] }, { role: 'ADMIN_FI' })).toBe(true);
    expect(matches({ role: [{ prefix: 'ADMIN' }] }, { role: 'admin_fi' })).toBe(false);
    expect(matches({ doc: [{ suffix: '.pdf' }] }, { doc: 'invoice-42.pdf' })).toBe(true);
    expect(matches({ code: [{ prefix: '4' }] }, { code: 42 })).toBe(false);
  });

  it('equals-ignore-case folds letters, including non-ASCII ones, but does not expand ß', () => {
    expect(matches({ city: [{ 'equals-ignore-case': 'münchen' }] }, { city: 'MÜNCHEN' })).toBe(true);
    expect(matches({ city: [{ 'equals-ignore-case': 'straße' }] }, { city: 'STRASSE' })).toBe(false);
    expect(matches({ city: [{ 'equals-ignore-case': 'straße' }] }, { city: 'STRAßE' })).toBe(true);
    expect(matches({ city: [{ 'equals-ignore-case': 'berlin' }] }, { city: 'berlin ' })).toBe(false);
  });

  it('prefix and suffix combine with equals-ignore-case', () => {
    expect(matches({ role: [{ prefix: { 'equals-ignore-case': 'admin' } }] }, { role: 'Admin_HR' })).toBe(true);
    expect(matches({ role: [{ prefix: { 'equals-ignore-case': 'admin' } }] }, { role: 'SuperAdmin' })).toBe(false);
    expect(matches({ host: [{ suffix: { 'equals-ignore-case': '.CORP.EXAMPLE' } }] }, { host: 'erp01.corp.example' })).toBe(true);
  });

  it('wildcard matches any run of characters per *', () => {
    const pattern = { resource: [{ wildcard: 'arn:aws:erp:*:111122223333:system/*' }] };
    expect(matches(pattern, { resource: 'arn:aws:erp:eu-central-1:111122223333:system/erp.sap' })).toBe(true);
    expect(matches(pattern, { resource: 'arn:aws:erp:eu-central-1:999999999999:system/erp.sap' })).toBe(false);
    expect(matches({ x: [{ wildcard: 'a*b*a' }] }, { x: 'aba' })).toBe(true);
    expect(matches({ x: [{ wildcard: 'a*b*a' }] }, { x: 'ab' })).toBe(false);
    expect(matches({ x: [{ wildcard: '*' }] }, { x: '' })).toBe(true);
  });

  it('wildcard escapes a literal star and backslash', () => {
    expect(matches({ x: [{ wildcard: 'rate\\*' }] }, { x: 'rate*' })).toBe(true);
    expect(matches({ x: [{ wildcard: 'rate\\*' }] }, { x: 'rate10' })).toBe(false);
    expect(matches({ x: [{ wildcard: 'C:\\\\*' }] }, { x: 'C:\\temp' })).toBe(true);
  });
});

describe('anything-but', () => {
  it('excludes a value or a list, and needs the field present', () => {
    const pattern = { status: [{ 'anything-but': ['CLOSED', 'CANCELLED'] }] };
    expect(matches(pattern, { status: 'OPEN' })).toBe(true);
    expect(matches(pattern, { status: 'CLOSED' })).toBe(false);
    expect(matches(pattern, {})).toBe(false);
    expect(matches({ status: [{ 'anything-but': 'CLOSED' }] }, { status: 'OPEN' })).toBe(true);
  });

  it('matches null and values of another JSON type', () => {
    expect(matches({ code: [{ 'anything-but': '5' }] }, { code: 5 })).toBe(true);
    expect(matches({ code: [{ 'anything-but': [5, 6] }] }, { code: '5' })).toBe(true);
    expect(matches({ code: [{ 'anything-but': [5, 6] }] }, { code: 5 })).toBe(false);
    expect(matches({ code: [{ 'anything-but': 'x' }] }, { code: null })).toBe(true);
  });

  it('on an array matches when some element is not excluded', () => {
    const pattern = { tags: [{ 'anything-but': 'test' }] };
    expect(matches(pattern, { tags: ['test', 'prod'] })).toBe(true);
    expect(matches(pattern, { tags: ['test'] })).toBe(false);
    expect(matches(pattern, { tags: [] })).toBe(false);
  });

  it('takes prefix, suffix, equals-ignore-case and wildcard', () => {
    expect(matches({ user: [{ 'anything-but': { prefix: 'svc-' } }] }, { user: 'jdoe' })).toBe(true);
    expect(matches({ user: [{ 'anything-but': { prefix: 'svc-' } }] }, { user: 'svc-batch' })).toBe(false);
    expect(matches({ file: [{ 'anything-but': { suffix: '.tmp' } }] }, { file: 'a.tmp' })).toBe(false);
    expect(matches({ env: [{ 'anything-but': { 'equals-ignore-case': 'prod' } }] }, { env: 'PROD' })).toBe(false);
    expect(matches({ env: [{ 'anything-but': { 'equals-ignore-case': 'prod' } }] }, { env: 'QA' })).toBe(true);
    expect(matches({ path: [{ 'anything-but': { wildcard: '/scratch/*' } }] }, { path: '/scratch/x' })).toBe(false);
    expect(matches({ path: [{ 'anything-but': { wildcard: '/scratch/*' } }] }, { path: '/data/x' })).toBe(true);
  });
});

describe('numeric', () => {
  it('matches ranges with open and closed bounds', () => {
    const pattern = { amount: [{ numeric: ['>', 0, '<=', 10000] }] };
    expect(matches(pattern, { amount: 10000 })).toBe(true);
    expect(matches(pattern, { amount: 0 })).toBe(false);
    expect(matches(pattern, { amount: 0.01 })).toBe(true);
    expect(matches(pattern, { amount: 10000.01 })).toBe(false);
  });

  it('supports = and single comparisons, and matches numbers only', () => {
    expect(matches({ n: [{ numeric: ['=', 3] }] }, { n: 3.0 })).toBe(true);
    expect(matches({ n: [{ numeric: ['>=', 3] }] }, { n: 3 })).toBe(true);
    expect(matches({ n: [{ numeric: ['<', 3] }] }, { n: 3 })).toBe(false);
    expect(matches({ n: [{ numeric: ['<', 3] }] }, { n: '2' })).toBe(false);
    expect(matches({ n: [{ numeric: ['<', 3] }] }, { n: [7, 2] })).toBe(true);
  });

  it('ORs several ranges in one list', () => {
    const pattern = { hour: [{ numeric: ['<', 6] }, { numeric: ['>=', 22] }] };
    expect(matches(pattern, { hour: 23 })).toBe(true);
    expect(matches(pattern, { hour: 12 })).toBe(false);
  });
});

describe('exists', () => {
  it('looks at leaves only', () => {
    expect(matches({ ticket: [{ exists: true }] }, { ticket: 'CHG-1' })).toBe(true);
    expect(matches({ ticket: [{ exists: true }] }, { ticket: null })).toBe(true);
    expect(matches({ ticket: [{ exists: true }] }, { ticket: {} })).toBe(false);
    expect(matches({ ticket: [{ exists: true }] }, { ticket: [] })).toBe(false);
    expect(matches({ ticket: [{ exists: false }] }, {})).toBe(true);
    expect(matches({ ticket: [{ exists: false }] }, { ticket: { id: 1 } })).toBe(true);
    expect(matches({ ticket: [{ exists: false }] }, { ticket: [] })).toBe(true);
    expect(matches({ ticket: [{ exists: false }] }, { ticket: null })).toBe(false);
  });

  it('exists: false holds for a nested field under a missing parent', () => {
    expect(matches({ detail: { approval: { by: [{ exists: false }] } } }, { detail: {} })).toBe(true);
    expect(matches({ detail: { approval: { by: [{ exists: false }] } } }, {})).toBe(true);
  });

  it('ignores inherited property names such as constructor', () => {
    expect(matches({ constructor: [{ exists: false }] }, {})).toBe(true);
    expect(matches({ toString: [{ exists: true }] }, {})).toBe(false);
    expect(matches({ toString: ['x'] }, { toString: 'x' })).toBe(true);
  });
});

describe('cidr', () => {
  it('matches IPv4 blocks and ignores host bits in the pattern', () => {
    expect(matches({ ip: [{ cidr: '10.20.0.0/16' }] }, { ip: '10.20.3.4' })).toBe(true);
    expect(matches({ ip: [{ cidr: '10.20.0.0/16' }] }, { ip: '10.21.3.4' })).toBe(false);
    expect(matches({ ip: [{ cidr: '10.20.99.99/16' }] }, { ip: '10.20.0.1' })).toBe(true);
    expect(matches({ ip: [{ cidr: '10.0.0.0/8' }] }, { ip: 'not an ip' })).toBe(false);
    expect(matches({ ip: [{ cidr: '10.0.0.0/8' }] }, { ip: '10.0.0.256' })).toBe(false);
  });

  it('matches IPv6 blocks in any spelling, and IPv4-mapped addresses as IPv4', () => {
    expect(matches({ ip: [{ cidr: '2001:db8::/32' }] }, { ip: '2001:0DB8:0:0:0:0:0:1' })).toBe(true);
    expect(matches({ ip: [{ cidr: '2001:db8::/32' }] }, { ip: '2001:db9::1' })).toBe(false);
    expect(matches({ ip: [{ cidr: '10.0.0.0/8' }] }, { ip: '::ffff:10.1.2.3' })).toBe(true);
    expect(matches({ ip: [{ cidr: '10.0.0.0/8' }] }, { ip: '2001:db8::1' })).toBe(false);
  });
});

describe('$or', () => {
  it('ORs branches, nested inside fields and inside each other', () => {
    const pattern = {
      source: ['erp.sap'],
      $or: [
        { detail: { severity: ['CRITICAL'] } },
        { detail: { $or: [{ 'privileged-role': [true] }, { amount: [{ numeric: ['>', 1e6] }] }] } },
      ],
    };
    expect(matches(pattern, { source: 'erp.sap', detail: { severity: 'CRITICAL' } })).toBe(true);
    expect(matches(pattern, { source: 'erp.sap', detail: { amount: 2e6 } })).toBe(true);
    expect(matches(pattern, { source: 'erp.sap', detail: { 'privileged-role': true } })).toBe(true);
    expect(matches(pattern, { source: 'erp.sap', detail: { amount: 10 } })).toBe(false);
    expect(matches(pattern, { source: 'erp.oracle', detail: { severity: 'CRITICAL' } })).toBe(false);
  });

  it('keeps a branch and its sibling fields within one array element', () => {
    const pattern = { lines: { account: ['4711'], $or: [{ amount: [{ numeric: ['>', 100] }] }, { flagged: [true] }] } };
    expect(matches(pattern, { lines: [{ account: '4711', amount: 5 }, { account: '1000', amount: 500 }] })).toBe(false);
    expect(matches(pattern, { lines: [{ account: '1000', amount: 5 }, { account: '4711', amount: 500 }] })).toBe(true);
  });
});

describe('arrays in events', () => {
  it('match when any element matches, with nested arrays flattened', () => {
    expect(matches({ tags: ['sox'] }, { tags: ['gdpr', 'sox'] })).toBe(true);
    expect(matches({ tags: ['sox'] }, { tags: [['gdpr'], ['sox']] })).toBe(true);
    expect(matches({ tags: ['sox'] }, { tags: [] })).toBe(false);
  });

  it('keep conditions on sibling fields inside one element of an array of objects', () => {
    const pattern = { detail: { assignments: { user: ['jdoe'], role: [{ prefix: 'ADMIN' }] } } };
    const split = { detail: { assignments: [{ user: 'jdoe', role: 'VIEWER' }, { user: 'asmith', role: 'ADMIN_FI' }] } };
    const together = { detail: { assignments: [{ user: 'asmith', role: 'VIEWER' }, { user: 'jdoe', role: 'ADMIN_FI' }] } };
    expect(matches(pattern, split)).toBe(false);
    expect(matches(pattern, together)).toBe(true);
  });

  it('let independent arrays choose their elements independently', () => {
    const pattern = { approvers: { level: [2] }, lines: { account: ['4711'] } };
    expect(matches(pattern, { approvers: [{ level: 1 }, { level: 2 }], lines: [{ account: '1000' }, { account: '4711' }] })).toBe(true);
  });
});

describe('ERP routing patterns', () => {
  const adminGrants = compileEventPattern({
    source: ['erp.sap'],
    'detail-type': ['Role Assigned'],
    detail: { role: [{ prefix: 'ADMIN' }] },
  });

  it('routes privileged role assignments', () => {
    expect(adminGrants.matches(erpEvent('Role Assigned', { user: 'jdoe', role: 'ADMIN_BASIS' }))).toBe(true);
    expect(adminGrants.matches(erpEvent('Role Assigned', { user: 'jdoe', role: 'DISPLAY_ONLY' }))).toBe(false);
    expect(adminGrants.matches(erpEvent('Role Revoked', { user: 'jdoe', role: 'ADMIN_BASIS' }))).toBe(false);
    expect(adminGrants.matches(erpEvent('Role Assigned', { user: 'jdoe', role: 'ADMIN_BASIS' }, 'erp.oracle'))).toBe(false);
  });

  it('routes failed or late backups of production systems', () => {
    const pattern = {
      'detail-type': ['Backup Completed', 'Backup Failed'],
      detail: {
        environment: [{ 'equals-ignore-case': 'production' }],
        $or: [{ status: ['FAILED'] }, { 'duration-minutes': [{ numeric: ['>', 240] }] }],
      },
    };
    expect(matches(pattern, erpEvent('Backup Failed', { environment: 'PRODUCTION', status: 'FAILED' }))).toBe(true);
    expect(matches(pattern, erpEvent('Backup Completed', { environment: 'Production', status: 'OK', 'duration-minutes': 300 }))).toBe(true);
    expect(matches(pattern, erpEvent('Backup Completed', { environment: 'Production', status: 'OK', 'duration-minutes': 30 }))).toBe(false);
    expect(matches(pattern, erpEvent('Backup Failed', { environment: 'QA', status: 'FAILED' }))).toBe(false);
  });

  it('routes emergency changes without an approved ticket', () => {
    const pattern = {
      'detail-type': ['Transport Imported'],
      detail: { 'change-type': ['EMERGENCY'], 'ticket-id': [{ exists: false }] },
    };
    expect(matches(pattern, erpEvent('Transport Imported', { 'change-type': 'EMERGENCY' }))).toBe(true);
    expect(matches(pattern, erpEvent('Transport Imported', { 'change-type': 'EMERGENCY', 'ticket-id': 'CHG-7' }))).toBe(false);
  });

  it('does not match events that are not objects', () => {
    expect(adminGrants.matches(null)).toBe(false);
    expect(adminGrants.matches('Role Assigned')).toBe(false);
    expect(matches({ x: [{ exists: false }] }, 42)).toBe(true);
  });
});

describe('compiling', () => {
  it('accepts the pattern as JSON text and keeps a frozen copy', () => {
    const source = { source: ['erp.sap'] };
    const compiled = compileEventPattern(JSON.stringify(source));
    expect(compiled.pattern).toEqual(source);
    expect(Object.isFrozen(compiled.pattern)).toBe(true);
    expect(compiled.matches({ source: 'erp.sap' })).toBe(true);
    const fromObject = compileEventPattern(source);
    source.source.push('erp.oracle');
    expect(fromObject.pattern).toEqual({ source: ['erp.sap'] });
    expect(fromObject.matches({ source: 'erp.oracle' })).toBe(false);
  });

  it('rejects text that is not JSON', () => {
    expect(rejection('{"source": [')).toMatch(/^pattern: not valid JSON/);
  });

  it('names the path, the bad value and what is allowed', () => {
    expect(rejection({ detail: { amount: [{ numeric: ['>', 'x'] }] } })).toBe(
      'detail.amount[0].numeric: "numeric" expects pairs of operator and number, got [">", "x"]',
    );
    expect(rejection({ detail: { amount: [{ numeric: ['>', 10, '<', 5] }] } })).toMatch(
      /^detail\.amount\[0\]\.numeric: the lower bound 10 must be less than the upper bound 5/,
    );
    expect(rejection({ detail: { amount: [{ numeric: ['<', 5, '>', 1] }] } })).toMatch(/lower bound \(">" or ">="\) followed by an upper bound/);
    expect(rejection({ detail: { amount: [{ numeric: ['!=', 5] }] } })).toBe(
      'detail.amount[0].numeric[0]: unknown numeric operator "!="; allowed: =, <, <=, >, >=',
    );
    expect(rejection({ detail: { amount: [{ numeric: ['>', 6e9] }] } })).toMatch(/numeric\[1\]: .*-5e9 to 5e9, got 6000000000/);
    expect(rejection({ detail: { role: [{ contains: 'ADMIN' }] } })).toBe(
      'detail.role[0]: unknown operator "contains"; allowed: prefix, suffix, equals-ignore-case, anything-but, numeric, exists, cidr, wildcard',
    );
  });

  it('brackets keys that would not read well after a dot', () => {
    expect(rejection({ detail: { 'c.count': ['a', ['b']] } })).toMatch(/^detail\["c\.count"\]\[1\]: nested arrays are not allowed, got \["b"\]/);
    expect(rejection({ $or: [{ a: ['x'] }, { b: [{ exists: 'yes' }] }] })).toMatch(/^\$or\[1\]\.b\[0\]\.exists: "exists" takes true or false, got "yes"/);
  });

  it('rejects structural mistakes', () => {
    expect(rejection({})).toMatch(/^pattern: an empty object/);
    expect(rejection([])).toMatch(/^pattern: an event pattern must be a JSON object/);
    expect(rejection({ source: 'erp.sap' })).toMatch(/^source: a field takes a list of values .*got "erp\.sap"/);
    expect(rejection({ source: [] })).toMatch(/^source: an empty list/);
    expect(rejection({ detail: {} })).toMatch(/^detail: an empty object/);
    expect(rejection({ $or: [{ a: ['x'] }] })).toMatch(/^\$or: "\$or" takes a list of at least two pattern objects/);
    expect(rejection({ a: [{ prefix: 'x', suffix: 'y' }] })).toMatch(/^a\[0\]: an operator object needs exactly one key/);
    expect(rejection({ a: [Number.NaN] })).toMatch(/^a\[0\]: numbers must be finite/);
  });

  it('rejects bad operator values', () => {
    expect(rejection({ a: [{ wildcard: 'a**b' }] })).toMatch(/^a\[0\]\.wildcard: consecutive "\*"/);
    expect(rejection({ a: [{ wildcard: 'a\\b' }] })).toMatch(/^a\[0\]\.wildcard: invalid escape/);
    expect(rejection({ ip: [{ cidr: '10.0.0.1/32' }] })).toMatch(/^ip\[0\]\.cidr: an IPv4 mask must be at most \/31.*got "10\.0\.0\.1\/32"/);
    expect(rejection({ ip: [{ cidr: '2001:db8::1/128' }] })).toMatch(/IPv6 mask must be at most \/127/);
    expect(rejection({ ip: [{ cidr: '10.0.0.0' }] })).toMatch(/exactly one "\/"/);
    expect(rejection({ a: [{ 'anything-but': ['x', 1] }] })).toMatch(/all strings or all numbers, got \["x", 1\]/);
    expect(rejection({ a: [{ 'anything-but': { prefix: '' } }] })).toMatch(/^a\[0\]\.anything-but\.prefix: an empty "prefix"/);
    expect(rejection({ a: [{ 'anything-but': { numeric: ['>', 1] } }] })).toMatch(/"numeric" is not one of them/);
    expect(rejection({ a: [{ 'anything-but': null }] })).toMatch(/^a\[0\]\.anything-but: "anything-but" takes/);
    expect(rejection({ a: [{ prefix: { 'equals-ignore-case': 1 } }] })).toMatch(/^a\[0\]\.prefix\.equals-ignore-case: /);
  });

  it('caches compiled patterns in matches() without mixing them up', () => {
    for (let i = 0; i < 3; i++) {
      expect(matches({ n: [i] }, { n: i })).toBe(true);
      expect(matches({ n: [i] }, { n: i + 1 })).toBe(false);
    }
    expect(() => matches({ n: 'bad' }, { n: 1 })).toThrow(InvalidEventPatternError);
  });
});
