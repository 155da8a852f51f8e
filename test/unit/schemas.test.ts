import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  detailExamples,
  detailTypesByArea,
  eventEnvelope,
  exampleEvent,
  knownDetailTypes,
  putEventsRequestEntry,
  registry,
  validateDetail,
  type RegistryEntry,
} from '../../schemas/index.ts';
import { detailSchemaFileName, JSON_SCHEMA_DIR, renderJsonSchemas } from '../../scripts/generate-json-schemas.ts';

const entries = [...registry.values()];

/** The example of `detailType` with some fields changed (`undefined` removes a field). */
function exampleWith(detailType: string, changes: Record<string, unknown>): Record<string, unknown> {
  const detail: Record<string, unknown> = { ...detailExamples[detailType as RegistryEntry['detailType']] };
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined) delete detail[key];
    else detail[key] = value;
  }
  return detail;
}

function refusal(detailType: string, detail: unknown) {
  const result = validateDetail(detailType, detail);
  if (result.ok) throw new Error(`expected "${detailType}" detail to be refused: ${JSON.stringify(detail)}`);
  return result;
}

describe('event contract registry', () => {
  it('covers exactly the detail-types of the guide areas and the pipeline', () => {
    expect([...knownDetailTypes].sort()).toEqual(
      [
        'Role Assigned', 'Role Revoked', 'Temporary Grant Issued', 'Employee Departed', 'Employee Transferred', 'Login', 'Permission Review Signed Off',
        'Backup Completed', 'Backup Failed', 'Replication Status', 'Restore Test Result',
        'Metric Sample', 'Slow Query', 'Module Error',
        'Change Requested', 'Change Approved', 'Change Rejected', 'Change Tested', 'Change Deployed', 'Change Rolled Back', 'Configuration Modified',
        'Incident Opened', 'Incident Acknowledged', 'Incident Resolved', 'Drill Completed',
        'Operation Audited', 'Operation Verified',
        'Finding Raised', 'Finding Resolved', 'Command Issued', 'Entry Rejected', 'Finding Acknowledged', 'Finding Exception Granted',
      ].sort(),
    );
    expect(Object.values(detailTypesByArea).flat().sort()).toEqual([...knownDetailTypes].sort());
    expect(detailTypesByArea.audit).toEqual(['Operation Audited', 'Operation Verified']);
    expect(detailTypesByArea.pipeline).toEqual(['Finding Raised', 'Finding Resolved', 'Command Issued', 'Entry Rejected', 'Finding Acknowledged', 'Finding Exception Granted']);
  });

  it.each(entries.map((entry) => [entry.detailType, entry] as const))('%s: the example validates and carries its schema version', (_type, entry) => {
    const result = validateDetail(entry.detailType, detailExamples[entry.detailType]);
    expect(result.ok ? 'valid' : result.message).toBe('valid');
    expect(detailExamples[entry.detailType].schemaVersion).toBe(entry.version);
    expect(entry.version).toBe(1);
    expect(entry.description.length).toBeGreaterThan(10);
  });

  it('builds complete PutEvents entries from the examples', () => {
    for (const detailType of knownDetailTypes) {
      const entry = exampleEvent(detailType, 'erp.odoo');
      expect(putEventsRequestEntry.safeParse(entry).success).toBe(true);
      expect(entry).toMatchObject({ Source: 'erp.odoo', DetailType: detailType, EventBusName: 'erpgov-bus' });
      expect(validateDetail(detailType, JSON.parse(entry.Detail)).ok).toBe(true);
    }
    expect(exampleEvent('Login').Source).toBe('erp.sap');
    expect(() => exampleEvent('Coffee Brewed')).toThrow(/no example for detail-type "Coffee Brewed"; known detail-types: .*Role Assigned/);
  });
});

describe('validateDetail refusals name the field, the value and what is allowed', () => {
  it('refuses an unknown detail-type and lists the known ones', () => {
    const result = refusal('Coffee Brewed', {});
    expect(result.reason).toBe('unknown-detail-type');
    expect(result.message).toContain('"Coffee Brewed"');
    expect(result.message).toContain('Role Assigned');
    expect(result.message).toContain('Operation Audited');
  });

  it('names a missing field', () => {
    const result = refusal('Role Assigned', exampleWith('Role Assigned', { account: undefined }));
    expect(result.reason).toBe('invalid-detail');
    expect(result.issues).toEqual([{ path: 'detail.account', message: 'missing — required (text)' }]);
    expect(result.message).toBe('detail.account: missing — required (text)');
  });

  it('names a field of the wrong type with its value', () => {
    const result = refusal('Backup Completed', exampleWith('Backup Completed', { sizeBytes: '12 GB' }));
    expect(result.message).toBe('detail.sizeBytes: "12 GB" — must be a number, not text');
  });

  it('names a bad date and shows the allowed form', () => {
    const result = refusal('Temporary Grant Issued', exampleWith('Temporary Grant Issued', { expiresAt: 'tomorrow' }));
    expect(result.message).toBe('detail.expiresAt: "tomorrow" — must be an ISO-8601 date-time with offset, e.g. 2026-03-01T09:30:00+08:00');
    // A local time without an offset is ambiguous across the company's sites.
    expect(refusal('Temporary Grant Issued', exampleWith('Temporary Grant Issued', { expiresAt: '2026-03-16T18:00:00' })).issues[0]?.path).toBe('detail.expiresAt');
  });

  it('lists the allowed values of an enumeration', () => {
    expect(refusal('Incident Opened', exampleWith('Incident Opened', { severity: 'P9' })).message).toBe('detail.severity: "P9" — must be one of "P1", "P2", "P3", "P4"');
  });

  it('refuses a blank id (ids are trimmed) and an empty required list, with array paths', () => {
    expect(refusal('Login', exampleWith('Login', { account: '   ' })).message).toBe('detail.account: "" — must be non-empty text');
    expect(refusal('Role Assigned', exampleWith('Role Assigned', { modules: [] })).message).toBe('detail.modules: [] — must list at least 1 item');
    expect(refusal('Role Assigned', exampleWith('Role Assigned', { modules: ['orders', 7] })).issues[0]?.path).toBe('detail.modules[1]');
  });

  it('refuses another schema version and says which one is accepted', () => {
    expect(refusal('Login', exampleWith('Login', { schemaVersion: 2 })).message).toBe('detail.schemaVersion: 2 — must be 1');
    expect(refusal('Login', exampleWith('Login', { schemaVersion: undefined })).issues[0]?.path).toBe('detail.schemaVersion');
  });

  it('applies cross-field rules', () => {
    expect(refusal('Backup Completed', exampleWith('Backup Completed', { finishedAt: '2026-03-01T00:30:00+08:00' })).message).toBe(
      'detail.finishedAt: "2026-03-01T00:30:00+08:00" — must be at or after startedAt (2026-03-01T01:00:00+08:00)',
    );
    expect(refusal('Temporary Grant Issued', exampleWith('Temporary Grant Issued', { expiresAt: '2026-03-02T09:00:00+08:00' })).issues[0]?.path).toBe('detail.expiresAt');
    expect(refusal('Metric Sample', exampleWith('Metric Sample', { metric: 'order-latency', unit: 'percent' })).message).toBe(
      'detail.unit: "percent" — must be "seconds" for metric "order-latency"',
    );
    expect(refusal('Metric Sample', exampleWith('Metric Sample', { value: 140 })).issues[0]?.path).toBe('detail.value');
    expect(refusal('Command Issued', exampleWith('Command Issued', { role: undefined })).message).toBe('detail.role: missing — must be given for command "revoke-role"');
    expect(refusal('Restore Test Result', exampleWith('Restore Test Result', { outcome: 'failed' })).issues[0]?.path).toBe('detail.failureReason');
    expect(refusal('Finding Resolved', exampleWith('Finding Resolved', { resolution: 'exception' })).issues[0]?.path).toBe('detail.exception');
  });

  it('refuses a detail that is not an object', () => {
    expect(refusal('Login', null).message).toBe('detail: null — must be an object, not null');
    expect(refusal('Login', [1]).message).toBe('detail: [1] — must be an object, not a list');
  });

  it('lists every problem in issues and the first five in the message', () => {
    const result = refusal('Change Requested', { schemaVersion: 1 });
    expect(result.issues.map((issue) => issue.path)).toEqual([
      'detail.changeId',
      'detail.title',
      'detail.kind',
      'detail.requestedBy',
      'detail.modules',
      'detail.targetEnvironment',
    ]);
    expect(result.message.split('; ')).toHaveLength(6);
    expect(result.message).toMatch(/; and 1 more$/);
  });

  it('truncates long values in messages', () => {
    const result = refusal('Login', exampleWith('Login', { outcome: 'x'.repeat(500) }));
    expect(result.message.length).toBeLessThan(150);
    expect(result.message).toContain('…');
  });
});

describe('vendor fields (documented choice: allowed and passed through)', () => {
  it('accepts unknown fields at the top level and in nested objects, and keeps them', () => {
    const detail = exampleWith('Finding Raised', {
      sapClient: '100',
      subject: { type: 'account', id: 'u1001', kingdeeOrgUnit: 'SH-01' },
    });
    const result = validateDetail('Finding Raised', detail);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.detail).toMatchObject({ sapClient: '100', subject: { kingdeeOrgUnit: 'SH-01' } });
  });

  it('still checks the named fields when vendor fields are present', () => {
    expect(refusal('Login', exampleWith('Login', { vendorScore: 3, outcome: 'maybe' })).issues.map((issue) => issue.path)).toEqual(['detail.outcome']);
  });

  it('applies defaults and trims ids in the parsed detail', () => {
    const result = validateDetail('Operation Audited', { schemaVersion: 1, actor: ' u1001 ', action: 'delete', target: 'sales-order', module: 'sales', recordCount: 250 });
    expect(result.ok && result.detail).toMatchObject({ actor: 'u1001', outcome: 'success' });
  });

  it('says so in the generated JSON Schema', () => {
    const roleAssigned = JSON.parse(renderJsonSchemas().get('role-assigned.v1.json') ?? '{}');
    expect(roleAssigned.additionalProperties).toEqual({});
  });
});

describe('EventBridge envelope and PutEvents entry', () => {
  const event = {
    version: '0',
    id: '6a7e2f1c-0c1d-4b8e-9f00-2d3c4b5a6978',
    'detail-type': 'Login',
    source: 'erp.sap',
    account: '000000000000',
    time: '2026-03-01T01:00:00Z',
    region: 'us-east-1',
    resources: [],
    detail: detailExamples.Login,
  };

  it('accepts the event as EventBridge delivers it, replay fields included', () => {
    expect(eventEnvelope.safeParse(event).success).toBe(true);
    expect(eventEnvelope.safeParse({ ...event, 'replay-name': 'replay-1' }).success).toBe(true);
    expect(eventEnvelope.safeParse({ ...event, account: '42' }).success).toBe(false);
    expect(eventEnvelope.safeParse({ ...event, version: '1' }).success).toBe(false);
  });

  it('applies the documented PutEvents limits', () => {
    const good = exampleEvent('Login');
    const fails = (entry: unknown) => !putEventsRequestEntry.safeParse(entry).success;
    expect(fails(good)).toBe(false);
    expect(fails({ ...good, DetailType: 'x'.repeat(128) })).toBe(false);
    expect(fails({ ...good, DetailType: 'x'.repeat(129) })).toBe(true);
    expect(fails({ ...good, Detail: '[1]' })).toBe(true);
    expect(fails({ ...good, Detail: '{' })).toBe(true);
    expect(fails({ ...good, Source: 'aws.ec2' })).toBe(true);
    expect(fails({ ...good, EventBusName: 'arn:aws:events:us-east-1:000000000000:event-bus/erpgov-bus' })).toBe(false);
    expect(fails({ ...good, EventBusName: 'my bus' })).toBe(true);
    expect(fails({ ...good, TraceHeader: 'x'.repeat(501) })).toBe(true);
    expect(fails({ ...good, Resources: ['x'.repeat(2049)] })).toBe(true);
    expect(fails({ ...good, Time: new Date() })).toBe(false);
    expect(fails({ ...good, Detailtype: 'Login' })).toBe(true);
    expect(fails({ ...good, Detail: JSON.stringify({ pad: 'x'.repeat(256 * 1024) }) })).toBe(true);
  });
});

describe('generated JSON Schemas (schemas/json)', () => {
  const rendered = renderJsonSchemas();

  it('has one draft 2020-12 schema per detail-type, titled and identified', () => {
    for (const entry of entries) {
      const file = detailSchemaFileName(entry);
      const schema = JSON.parse(rendered.get(file) ?? 'null');
      expect(schema, `${file} is missing`).not.toBeNull();
      expect(schema).toMatchObject({
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        $id: expect.stringMatching(/^urn:erpgov:schema:detail:[a-z0-9-]+:v1$/),
        title: entry.detailType,
        description: expect.stringContaining(entry.description),
        type: 'object',
        examples: [detailExamples[entry.detailType]],
      });
      expect(schema.required).toContain('schemaVersion');
    }
    expect(detailSchemaFileName({ detailType: 'Temporary Grant Issued', version: 1 })).toBe('temporary-grant-issued.v1.json');
    expect([...rendered.keys()]).toEqual(expect.arrayContaining(['envelope.json', 'policy.json', 'index.json']));
    expect(JSON.parse(rendered.get('index.json') ?? '{}').details).toHaveLength(entries.length);
  });

  it('documents required fields and descriptions', () => {
    const grant = JSON.parse(rendered.get('temporary-grant-issued.v1.json') ?? '{}');
    expect(grant.required).toEqual(expect.arrayContaining(['grantId', 'grantee', 'permissions', 'reason', 'approver', 'expiresAt']));
    expect(grant.properties.expiresAt).toMatchObject({ type: 'string', format: 'date-time', description: expect.stringContaining('ISO-8601') });
    // Fields with defaults are optional for the sender: the schemas describe input.
    const audited = JSON.parse(rendered.get('operation-audited.v1.json') ?? '{}');
    expect(audited.required).not.toContain('outcome');
    expect(audited.properties.outcome.default).toBe('success');
  });

  it('renders deterministically: 2-space JSON with a trailing newline', () => {
    const again = renderJsonSchemas();
    expect([...again.entries()]).toEqual([...rendered.entries()]);
    for (const content of rendered.values()) {
      expect(content.endsWith('}\n')).toBe(true);
      expect(content).toBe(`${JSON.stringify(JSON.parse(content), null, 2)}\n`);
    }
  });

  it('matches the committed files (stale files fail: run npm run schemas)', () => {
    const committed = new Map(
      readdirSync(JSON_SCHEMA_DIR)
        .filter((name) => name.endsWith('.json'))
        .map((name) => [name, readFileSync(join(JSON_SCHEMA_DIR, name), 'utf8')] as const),
    );
    const stale = 'schemas/json is out of date with the zod schemas: run npm run schemas';
    expect([...committed.keys()].sort(), stale).toEqual([...rendered.keys()].sort());
    for (const [name, content] of rendered) expect(committed.get(name), `${name}: ${stale}`).toBe(content);
  });
});
