/**
 * Generates JSON Schema (draft 2020-12) files from the zod contract, for ERP integrators and
 * EventBridge's schema registry: one file per detail-type (`<kebab-detail-type>.v<version>.json`),
 * the envelope, the policy, and an index. The zod schemas stay the source of truth; a unit
 * test fails when the committed files differ from what this renders.
 *
 *   npm run schemas      (npx tsx scripts/generate-json-schemas.ts)
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as z from 'zod';
import { detailExamples } from '../schemas/examples.ts';
import { registry, type RegistryEntry } from '../schemas/registry.ts';
import { eventEnvelope } from '../schemas/envelope.ts';
import { policySchema } from '../schemas/policy.ts';

export const JSON_SCHEMA_DIR = fileURLToPath(new URL('../schemas/json/', import.meta.url));
const ID_PREFIX = 'urn:erpgov:schema:';

/** `Role Assigned` → `role-assigned`. */
export function kebabCase(detailType: string): string {
  return detailType
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

export function detailSchemaFileName(entry: Pick<RegistryEntry, 'detailType' | 'version'>): string {
  return `${kebabCase(entry.detailType)}.v${entry.version}.json`;
}

/** Every file of `schemas/json/`, by file name, with its exact content. Pure: writes nothing. */
export function renderJsonSchemas(): Map<string, string> {
  const files = new Map<string, string>();
  const index: Record<string, unknown>[] = [];

  for (const entry of registry.values()) {
    const file = detailSchemaFileName(entry);
    const $id = `${ID_PREFIX}detail:${kebabCase(entry.detailType)}:v${entry.version}`;
    const controls = entry.controls.length > 0 ? ` Guide controls: ${entry.controls.join(', ')}.` : '';
    files.set(
      file,
      render(entry.schema, {
        $id,
        title: entry.detailType,
        description: `${entry.description}${controls} The "detail" of an EventBridge event whose detail-type is "${entry.detailType}" (area: ${entry.area}). Fields not listed here are allowed and passed through.`,
        examples: [detailExamples[entry.detailType]],
      }),
    );
    index.push({ detailType: entry.detailType, version: entry.version, area: entry.area, controls: entry.controls, file, $id });
  }

  files.set('envelope.json', render(eventEnvelope, { $id: `${ID_PREFIX}envelope`, title: 'EventBridge event', description: z.globalRegistry.get(eventEnvelope)?.description ?? '' }));
  files.set(
    'policy.json',
    render(policySchema, {
      $id: `${ID_PREFIX}policy`,
      title: 'ERP governance policy',
      description: `${policySchema.description ?? ''} Every key is optional; an absent key takes its default.`,
    }),
  );

  files.set(
    'index.json',
    serialise({
      description: 'JSON Schemas generated from the zod contract in schemas/ (npm run schemas). Do not edit by hand.',
      envelope: 'envelope.json',
      policy: 'policy.json',
      details: index,
    }),
  );
  return files;
}

interface Header {
  $id: string;
  title: string;
  description: string;
  examples?: unknown[];
}

/** Fixed header keys first, then zod's output in its own (declaration) order, examples last. */
function render(schema: z.core.$ZodType, header: Header): string {
  // io "input": the schema of what a sender writes (fields with defaults are optional).
  const generated = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'throw' }) as Record<string, unknown>;
  const { $schema, description: _ignored, ...body } = generated;
  const { examples, ...head } = header;
  return serialise({ $schema, ...head, ...body, ...(examples ? { examples } : {}) });
}

function serialise(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** Writes the rendered files and removes any other `.json` file there (a renamed or dropped type). */
export function writeJsonSchemas(dir = JSON_SCHEMA_DIR): { written: string[]; removed: string[] } {
  const files = renderJsonSchemas();
  mkdirSync(dir, { recursive: true });
  const removed = readdirSync(dir).filter((name) => name.endsWith('.json') && !files.has(name));
  for (const name of removed) rmSync(join(dir, name));
  for (const [name, content] of files) writeFileSync(join(dir, name), content);
  return { written: [...files.keys()], removed };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { written, removed } = writeJsonSchemas();
  process.stdout.write(`schemas/json: wrote ${written.length} files${removed.length > 0 ? `, removed ${removed.join(', ')}` : ''}\n`);
}
