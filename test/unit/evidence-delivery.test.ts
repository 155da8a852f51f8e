/**
 * The monthly evidence delivery over in-memory ports: the pack of the month before lands in
 * the archive under evidence/period=YYYY-MM/ with a manifest whose hashes and Ed25519 signature
 * hold; a second fire writes nothing; the controls without data become one finding each,
 * resolved by the first later month that has data; the export partitions are written.
 */
import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { createHash } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { controlsScope, controlWithoutEvidence, DETECTED_BY, missingEvidenceFindings } from '../../functions/evidence-delivery/evidence-findings.ts';
import { deliverMonthlyEvidence, type DeliveryPorts } from '../../functions/evidence-delivery/flows.ts';
import type { ArchiveStore } from '../../functions/shared/archive-store.ts';
import type { AuditRecord } from '../../functions/shared/audit-trail/audit-record.ts';
import { memoryAuditTrailStore } from '../../functions/shared/audit-trail/audit-trail-store.ts';
import { canonicalJson } from '../../schemas/canonical-json.ts';
import { memoryControlFeed } from '../../functions/shared/evidence/control-feed.ts';
import { buildEvidenceIndex } from '../../functions/shared/evidence/evidence-index.ts';
import { keyIdOf, localSigner, type PackManifest } from '../../functions/shared/evidence/pack-manifest.ts';
import { parsePeriod } from '../../functions/shared/evidence/period.ts';
import { memoryFindingsStore } from '../../functions/shared/findings/findings-store.ts';
import { findingLifecycle } from '../../functions/shared/findings/lifecycle.ts';
import { earliestData, endsBeforeAnyData } from '../../functions/shared/evidence/pack-sources.ts';
import { auditBatchKey } from '../../schemas/archive-layout.ts';
import type { OutgoingEvent } from '../../functions/shared/ports.ts';

function memoryArchive(): ArchiveStore & { readonly objects: Map<string, Uint8Array>; puts: number } {
  const objects = new Map<string, Uint8Array>();
  return {
    location: 'memory',
    objects,
    puts: 0,
    async put(key, body) {
      this.puts++;
      objects.set(key, body);
    },
    async get(key) {
      return objects.get(key);
    },
    async list(prefix) {
      return [...objects.keys()].filter((k) => k.startsWith(prefix)).sort();
    },
  };
}

const record = (detailType: string, occurredAt: string, detail: Record<string, unknown> = {}): AuditRecord => ({
  eventId: `${detailType}-${occurredAt}`, source: 'erp.sap', detailType, occurredAt, recordedAt: occurredAt, actor: 'u1', action: detailType, target: null, module: null, deviceId: null, recordCount: null, valid: true, invalidReason: null, originalEvent: JSON.stringify({ detail }),
});

const { privateKey } = generateKeyPairSync('ed25519');
const publicKey = createPublicKey(privateKey);
const signer = localSigner({ privateKey, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(), keyId: keyIdOf(publicKey) });
const text = (bytes: Uint8Array | undefined) => new TextDecoder().decode(bytes);

let archive: ReturnType<typeof memoryArchive>;
let ports: DeliveryPorts;
let published: OutgoingEvent[];
let trail: ReturnType<typeof memoryAuditTrailStore>;
let feed: ReturnType<typeof memoryControlFeed>;

beforeEach(() => {
  archive = memoryArchive();
  trail = memoryAuditTrailStore();
  feed = memoryControlFeed();
  published = [];
  const store = memoryFindingsStore();
  ports = {
    trail,
    archive,
    feed,
    findingsStore: store,
    findings: findingLifecycle({ store, publisher: { publish: async (events) => void published.push(...events) } }, DETECTED_BY),
    signer: async () => signer,
    retentionDays: 183,
    language: 'en',
    mode: 'enforce',
  };
});

describe('deliverMonthlyEvidence', () => {
  it('writes the month before as a signed pack, the export partitions, and one finding per control without data', async () => {
    await trail.append(record('Login', '2026-10-10T08:00:00.000Z', { account: 'u1' }), new Date('2026-10-10T08:00:01Z'));
    archive.objects.set('reports/backups/2026-10.json', new TextEncoder().encode(JSON.stringify({ month: '2026-10', rows: [{ dataset: 'finance', lastGoodBackup: '2026-10-30T00:00:00Z', gapWithinCadence: true, offsite: 'yes', retention: 'ok', encryption: 'encrypted', restoreTestsRun: 1, restoreTestsPassed: 1 }] })));

    const outcome = await deliverMonthlyEvidence(ports, new Date('2026-11-01T06:00:00Z'));
    expect(outcome).toMatchObject({ month: '2026-10', delivered: true, manifestKey: 'evidence/period=2026-10/manifest.json', keyId: signer.keyId });
    if (!outcome.delivered) throw new Error('not delivered');
    expect(outcome.missingReports).toEqual(['reports/permissions/2026-10.json', 'reports/changes/2026-10.json', 'reports/operations/2026-Q4.json']);

    const manifest = JSON.parse(text(archive.objects.get(outcome.manifestKey))) as PackManifest;
    for (const entry of manifest.files) {
      const body = archive.objects.get(`evidence/period=2026-10/${entry.path}`);
      expect(body, entry.path).toBeDefined();
      expect(createHash('sha256').update(body as Uint8Array).digest('hex'), entry.path).toBe(entry.sha256);
    }
    const { signature, ...unsigned } = manifest;
    expect(verify(null, Buffer.from(canonicalJson(unsigned)), createPublicKey(signature.publicKey), Buffer.from(signature.value, 'base64'))).toBe(true);
    expect(manifest).toMatchObject({ period: { label: '2026-10' }, generatedAt: '2026-11-01T06:00:00.000Z' });

    // Login feeds 2.2, 6.1 and 6.4; the backup report 1.1, 1.2 (restore tests run) and 1.3; the records 6.3.
    const index = JSON.parse(text(archive.objects.get('evidence/period=2026-10/index.json'))) as ReturnType<typeof buildEvidenceIndex>;
    const withData = index.controls.filter((c) => c.hasData).map((c) => c.control);
    expect(withData).toEqual(expect.arrayContaining(['1.1', '1.3', '2.2', '6.1', '6.4']));
    expect(outcome.withoutData).toEqual(index.controls.filter((c) => !c.hasData).map((c) => c.control));
    expect(outcome.withoutData).toContain('5.3');
    expect(outcome.withoutData).not.toContain('2.2');
    expect(outcome.raised).toBe(outcome.withoutData.length);
    const raised = published.filter((e) => e.detailType === 'Finding Raised').map((e) => e.detail as { control: string; evidence: { facts: Record<string, unknown> } });
    expect(raised.map((f) => f.control).sort()).toEqual([...outcome.withoutData].sort());
    expect(raised.find((f) => f.control === '5.3')?.evidence.facts).toMatchObject({ control: '5.3', period: '2026-10' });

    expect(text(archive.objects.get('exports/backup_report/period=2026-10/rows.jsonl')).trim().split('\n').map((l) => JSON.parse(l))).toEqual([expect.objectContaining({ month: '2026-10', dataset: 'finance', restore_tests_run: 1 })]);
    expect(archive.objects.has('exports/findings/period=2026-10/rows.jsonl')).toBe(true);
  });

  it('writes nothing when fired again for a month already delivered', async () => {
    await trail.append(record('Login', '2026-10-10T08:00:00.000Z', { account: 'u1' }), new Date('2026-10-10T08:00:01Z'));
    await deliverMonthlyEvidence(ports, new Date('2026-11-01T06:00:00Z'));
    const puts = archive.puts;
    const events = published.length;
    expect(await deliverMonthlyEvidence(ports, new Date('2026-11-01T06:10:00Z'))).toEqual({ month: '2026-10', delivered: false, manifestKey: 'evidence/period=2026-10/manifest.json', reason: 'already-delivered' });
    expect(archive.puts).toBe(puts);
    expect(published).toHaveLength(events);
  });

  it('counts 3.1 as fed by a month of metric samples with no threshold breached (samples never enter the trail)', async () => {
    await trail.append(record('Login', '2026-10-10T08:00:00.000Z', { account: 'u1' }), new Date('2026-10-10T08:00:01Z'));
    const quiet = await deliverMonthlyEvidence(ports, new Date('2026-11-01T06:00:00Z'));
    if (!quiet.delivered) throw new Error('not delivered');
    expect(quiet.withoutData).toContain('3.1');
    await feed.markFed('3.1', new Date('2026-11-04T10:00:00Z'));
    const november = await deliverMonthlyEvidence(ports, new Date('2026-12-01T06:00:00Z'));
    if (!november.delivered) throw new Error('not delivered');
    expect(november.withoutData).not.toContain('3.1');
    const index = JSON.parse(text(archive.objects.get('evidence/period=2026-11/index.json'))) as { controls: { control: string; status: string; figures: Record<string, unknown> }[] };
    expect(index.controls.find((c) => c.control === '3.1')).toMatchObject({ figures: { metricSamplesTaken: 'yes' } });
  });

  it('delivers nothing and raises nothing for a month that ended before the pipeline had any data', async () => {
    // The pipeline's first event is on 3 November: October is before it, not a month of 22 controls without data.
    await trail.append(record('Login', '2026-11-03T08:00:00.000Z', { account: 'u1' }), new Date('2026-11-03T08:00:01Z'));
    expect(await deliverMonthlyEvidence(ports, new Date('2026-11-01T06:00:00Z'))).toEqual({ month: '2026-10', delivered: false, manifestKey: 'evidence/period=2026-10/manifest.json', reason: 'before-any-data' });
    expect(archive.puts).toBe(0);
    expect(published).toEqual([]);
    const november = await deliverMonthlyEvidence(ports, new Date('2026-12-01T06:00:00Z'));
    expect(november).toMatchObject({ month: '2026-11', delivered: true });
  });

  it('resolves a control\'s finding in the first later month that has data for it', async () => {
    await trail.append(record('Login', '2026-10-10T08:00:00.000Z', { account: 'u1' }), new Date('2026-10-10T08:00:01Z'));
    await deliverMonthlyEvidence(ports, new Date('2026-11-01T06:00:00Z'));
    await trail.append(record('Drill Completed', '2026-11-12T10:00:00.000Z', { drillId: 'D-1' }), new Date('2026-11-12T10:00:01Z'));
    const december = await deliverMonthlyEvidence(ports, new Date('2026-12-01T06:00:00Z'));
    if (!december.delivered) throw new Error('not delivered');
    expect(december.withoutData).not.toContain('5.3');
    const drill = (await ports.findings.findingsIn(controlsScope)).find((f) => f.raised.control === '5.3');
    expect(drill).toMatchObject({ state: 'resolved', resolvedAt: '2026-12-01T06:00:00.000Z' });
    // A control still without data keeps its one finding (its evidence names the later month).
    const backup = (await ports.findings.findingsIn(controlsScope)).filter((f) => f.raised.control === '1.2');
    expect(backup).toHaveLength(1);
    expect(backup[0]).toMatchObject({ state: 'open' });
  });
});

/** October's index with no data at all: every control no-data. */
const indexWithoutData = () => buildEvidenceIndex({ period: parsePeriod('2026-10', new Date('2026-11-01T00:00:00Z')), generatedAt: '2026-11-01T00:00:00.000Z', findings: [], records: [], verify: { chains: 0, records: 0, anchored: 0, broken: [] }, archiveManifests: [], permissions: [], backups: [], changes: [], operations: [], retentionDays: 183, fedControls: [] });

describe('missingEvidenceFindings', () => {
  it('is one finding per control without data, with a stable id per control and the period in its facts', () => {
    const index = indexWithoutData();
    const found = missingEvidenceFindings(index, 'enforce');
    expect(found).toHaveLength(22);
    expect(new Set(found.map((f) => f.findingId)).size).toBe(22);
    expect(controlWithoutEvidence('2.3', '2026-11', 'enforce').findingId).toBe(found.find((f) => f.control === '2.3')?.findingId);
    expect(found[0]).toMatchObject({ rule: 'control-without-evidence', facts: { control: '1.1', period: '2026-10' }, subject: { type: 'guide-control', id: '1.1' } });
  });
});

describe('the evidence index\'s areas', () => {
  it('labels each control with its guide area and lists the area\'s evidence files', () => {
    const index = indexWithoutData();
    const byArea = new Map(index.controls.map((c) => [c.control.split('.')[0], c]));
    expect([...byArea.values()].map((c) => `${c.area.en} / ${c.area.zh}`)).toEqual([
      'Data security and backup / 数据安全与备份',
      'User permissions and access control / 用户权限与访问控制',
      'Performance and resource monitoring / 性能与资源监控',
      'Change management and version control / 变更管理与版本控制',
      'Incident response and business continuity / 故障响应与业务连续性',
      'Compliance audit and log management / 合规审计与日志管理',
    ]);
    expect(byArea.get('6')?.evidenceFiles).toEqual(['evidence/audit-trail-verification.json', 'evidence/archive-manifests.json', 'evidence/findings.csv', 'evidence/findings.jsonl']);
    expect(byArea.get('5')?.evidenceFiles[0]).toBe('evidence/operations.json');
  });
});

describe('the period before any data (the CLI refuses it, the delivery skips it)', () => {
  const october = parsePeriod('2026-10', new Date('2026-11-01T00:00:00Z'));

  it('is a period with no data at all, or one that ends at or before the earliest data', () => {
    expect(endsBeforeAnyData(october, undefined)).toBe(true);
    expect(endsBeforeAnyData(october, '2026-11-03T08:00:00.000Z')).toBe(true);
    expect(endsBeforeAnyData(october, october.to)).toBe(true);
    expect(endsBeforeAnyData(october, '2026-10-31T23:59:59.999Z')).toBe(false);
    expect(endsBeforeAnyData(october, '2025-01-01T00:00:00.000Z')).toBe(false);
  });

  it('finds the earliest data in the findings and records, and in the archived days only when they show none before the period ends', async () => {
    const archived = memoryArchive();
    await archived.put(auditBatchKey('2026-09-14', 'erp.sap', '0'), new Uint8Array(), 'application/gzip');
    expect(await earliestData(archived, [], [], october.to)).toBe('2026-09-14T00:00:00.000Z');
    expect(await earliestData(archived, [{ firstRaisedAt: '2026-10-02T00:00:00.000Z' }], [record('Login', '2026-10-05T00:00:00.000Z')], october.to)).toBe('2026-10-02T00:00:00.000Z');
    expect(await earliestData(memoryArchive(), [], [record('Login', '2026-11-05T00:00:00.000Z')], october.to)).toBe('2026-11-05T00:00:00.000Z');
    expect(await earliestData(memoryArchive(), [], [], october.to)).toBeUndefined();
  });
});
