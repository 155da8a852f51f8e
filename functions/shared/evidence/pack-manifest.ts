/**
 * The evidence pack's `manifest.json`: every file of the pack with its SHA-256 and size, the
 * period, and an Ed25519 signature (node:crypto) over the manifest's canonical JSON without
 * the signature. The signing key is a PKCS#8 PEM file in the data folder
 * (`<data>/evidence-signing-key.pem`, created on first use, mode 0600); the manifest records
 * the algorithm, the key id (SHA-256 of the public key's SPKI DER, first 16 bytes in hex) and
 * the public key itself, so `verify` needs nothing but the folder. On AWS the key lives in KMS
 * (an ECC_NIST_EDWARDS25519 key, `Sign` with ED25519_SHA_512 over the raw message: the same
 * Ed25519 signature): the signature then also records KMS's key ARN and signing algorithm
 * (`kms-signer.ts`). Signing goes through the `PackSigner` port, so the manifest is sealed the
 * same way from a folder (the CLI) or from files in memory (the evidence-delivery function).
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { canonicalJson } from '../../../schemas/canonical-json.ts';
import type { Period } from './period.ts';

export const MANIFEST_FILE = 'manifest.json';
export const SIGNING_KEY_FILE = 'evidence-signing-key.pem';
export const SIGNATURE_ALGORITHM = 'Ed25519';

/** One file of the pack: its path inside the pack, SHA-256 (hex) and size in bytes. */
export type ManifestEntry = Readonly<{ path: string; sha256: string; bytes: number }>;

export interface PackManifest {
  readonly kind: 'erpgov-evidence-manifest';
  readonly version: 1;
  readonly period: { readonly label: string; readonly from: string; readonly to: string };
  readonly generatedAt: string;
  readonly files: readonly ManifestEntry[];
  readonly signature: { readonly algorithm: string; readonly keyId: string; readonly publicKey: string; readonly value: string; readonly kms?: KmsSignature };
}

/** Where a KMS-held key signed: the key's ARN and KMS's name for the algorithm. */
export type KmsSignature = Readonly<{ keyArn: string; signingAlgorithm: string }>;

/** Signs a manifest: an Ed25519 key in this process, or one that never leaves KMS. */
export interface PackSigner {
  readonly keyId: string;
  readonly publicKeyPem: string;
  readonly kms?: KmsSignature;
  sign(message: Uint8Array): Promise<Uint8Array>;
}

export interface SigningKey {
  readonly privateKey: KeyObject;
  readonly publicKeyPem: string;
  readonly keyId: string;
}

const sha256 = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex');

export function keyIdOf(publicKey: KeyObject): string {
  return sha256(publicKey.export({ type: 'spki', format: 'der' })).slice(0, 32);
}

/** The data folder's signing key, created (Ed25519, PKCS#8 PEM, 0600) on first use. */
export async function signingKey(dataDir: string): Promise<SigningKey> {
  const file = join(dataDir, SIGNING_KEY_FILE);
  if (!existsSync(file)) {
    const { privateKey } = generateKeyPairSync('ed25519');
    await mkdir(dataDir, { recursive: true });
    await writeFile(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' }).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err; // another process made it first: use theirs
    });
  }
  const privateKey = createPrivateKey(await readFile(file));
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error(`${file} is not an Ed25519 private key`);
  const publicKey = createPublicKey(privateKey);
  return { privateKey, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(), keyId: keyIdOf(publicKey) };
}

/** A signer over a key held in this process (the CLI's and the local runtime's key file). */
export function localSigner(key: SigningKey): PackSigner {
  return { keyId: key.keyId, publicKeyPem: key.publicKeyPem, sign: async (message) => sign(null, message, key.privateKey) };
}

/** Every file below `folder` (slash-separated relative paths), the manifest excepted. */
export async function packFiles(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(folder, join(e.parentPath, e.name)).split(sep).join('/'))
    .filter((p) => p !== MANIFEST_FILE)
    .sort();
}

const unsigned = (m: Omit<PackManifest, 'signature'> | PackManifest) => canonicalJson({ kind: m.kind, version: m.version, period: m.period, generatedAt: m.generatedAt, files: m.files });

/**
 * The signed manifest of a pack's files (any order; the manifest itself excluded). Pure but
 * for the signer: the same files, period, time and key give the same manifest.
 */
export async function sealManifest(files: readonly { path: string; bytes: Uint8Array }[], period: Period, generatedAt: string, signer: PackSigner): Promise<PackManifest> {
  const entries: ManifestEntry[] = files
    .filter((f) => f.path !== MANIFEST_FILE)
    .map((f) => ({ path: f.path, sha256: sha256(f.bytes), bytes: f.bytes.length }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const body = { kind: 'erpgov-evidence-manifest' as const, version: 1 as const, period: { label: period.label, from: period.from, to: period.to }, generatedAt, files: entries };
  const value = Buffer.from(await signer.sign(Buffer.from(unsigned(body)))).toString('base64');
  return { ...body, signature: { algorithm: SIGNATURE_ALGORITHM, keyId: signer.keyId, publicKey: signer.publicKeyPem, value, ...(signer.kms ? { kms: signer.kms } : {}) } };
}

export const manifestText = (manifest: PackManifest) => `${JSON.stringify(manifest, null, 2)}\n`;

/** Hashes every file of the folder and writes the signed manifest.json into it. */
export async function sealPack(folder: string, period: Period, generatedAt: string, signer: PackSigner): Promise<PackManifest> {
  const files: { path: string; bytes: Uint8Array }[] = [];
  for (const path of await packFiles(folder)) files.push({ path, bytes: await readFile(join(folder, ...path.split('/'))) });
  const manifest = await sealManifest(files, period, generatedAt, signer);
  await mkdir(dirname(join(folder, MANIFEST_FILE)), { recursive: true });
  await writeFile(join(folder, MANIFEST_FILE), manifestText(manifest));
  return manifest;
}

export interface PackVerdict {
  readonly ok: boolean;
  readonly signatureValid: boolean;
  readonly keyId: string | null;
  /** Where the key lives when KMS signed (as the manifest says; the signature is checked with its public key either way). */
  readonly kms?: KmsSignature;
  readonly period: string | null;
  readonly files: number;
  readonly changed: readonly string[];
  readonly added: readonly string[];
  readonly removed: readonly string[];
  /** Why the manifest itself could not be used (missing, not JSON, wrong algorithm). */
  readonly problem?: string;
}

/** Checks every file's hash and the manifest's signature, offline. `expectedKeyId` pins the signer. */
export async function verifyPack(folder: string, expectedKeyId?: string): Promise<PackVerdict> {
  const broken = (problem: string): PackVerdict => ({ ok: false, signatureValid: false, keyId: null, period: null, files: 0, changed: [], added: [], removed: [], problem });
  const raw = await readFile(join(folder, MANIFEST_FILE), 'utf8').catch(() => undefined);
  if (raw === undefined) return broken(`${MANIFEST_FILE} is missing`);
  let manifest: PackManifest;
  try {
    manifest = JSON.parse(raw) as PackManifest;
  } catch {
    return broken(`${MANIFEST_FILE} is not JSON`);
  }
  if (manifest.kind !== 'erpgov-evidence-manifest' || !Array.isArray(manifest.files) || !manifest.signature) return broken(`${MANIFEST_FILE} is not an evidence manifest`);
  let signatureValid = false;
  let problem: string | undefined;
  if (manifest.signature.algorithm !== SIGNATURE_ALGORITHM) problem = `signature algorithm "${manifest.signature.algorithm}" is not ${SIGNATURE_ALGORITHM}`;
  else {
    try {
      const publicKey = createPublicKey(manifest.signature.publicKey);
      const keyMatches = keyIdOf(publicKey) === manifest.signature.keyId;
      signatureValid = keyMatches && verify(null, Buffer.from(unsigned(manifest)), publicKey, Buffer.from(manifest.signature.value, 'base64'));
      if (!keyMatches) problem = 'the key id does not match the public key';
      else if (expectedKeyId !== undefined && manifest.signature.keyId !== expectedKeyId) {
        signatureValid = false;
        problem = `signed by key ${manifest.signature.keyId}, not the expected ${expectedKeyId}`;
      }
    } catch (err) {
      problem = `the signature cannot be checked: ${(err as Error).message}`;
    }
  }
  const listed = new Map(manifest.files.map((f) => [f.path, f]));
  const present = await packFiles(folder);
  const changed: string[] = [];
  for (const path of present) {
    const entry = listed.get(path);
    if (!entry) continue;
    const bytes = await readFile(join(folder, ...path.split('/')));
    if (sha256(bytes) !== entry.sha256) changed.push(path);
  }
  const presentSet = new Set(present);
  const added = present.filter((p) => !listed.has(p));
  const removed = [...listed.keys()].filter((p) => !presentSet.has(p)).sort();
  return {
    ok: signatureValid && changed.length === 0 && added.length === 0 && removed.length === 0,
    signatureValid,
    keyId: manifest.signature.keyId ?? null,
    ...(manifest.signature.kms ? { kms: manifest.signature.kms } : {}),
    period: manifest.period?.label ?? null,
    files: manifest.files.length,
    changed,
    added,
    removed,
    ...(problem ? { problem } : {}),
  };
}
