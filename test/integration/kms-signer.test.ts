/**
 * The AWS evidence signer with the real KMS client against a loopback KMS (the JSON protocol's
 * GetPublicKey and Sign, an Ed25519 key held by the fake): the pack it seals passes `verifyPack`
 * offline, the manifest names the KMS key and algorithm, Sign is called with the raw message and
 * ED25519_SHA_512, and a key of another spec is refused.
 */
import { createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { KMSClient } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KMS_SIGNING_ALGORITHM, kmsSigner } from '../../functions/shared/evidence/kms-signer.ts';
import { sealPack, verifyPack } from '../../functions/shared/evidence/pack-manifest.ts';
import { parsePeriod } from '../../functions/shared/evidence/period.ts';
import { tempDirPerTest } from '../support/temp-dir.ts';

const KEY_ARN = 'arn:aws:kms:eu-central-1:111122223333:key/0f1e2d3c-aaaa-bbbb-cccc-123456789012';
const { privateKey } = generateKeyPairSync('ed25519');
const spki = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
let keySpec = 'ECC_NIST_EDWARDS25519';
const signCalls: { MessageType?: string; SigningAlgorithm?: string; KeyId?: string }[] = [];
let server: Server;
let client: KMSClient;
const folder = tempDirPerTest('kms-signer');

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      const input = JSON.parse(body) as { KeyId: string; Message?: string; MessageType?: string; SigningAlgorithm?: string };
      const target = String(req.headers['x-amz-target']);
      const reply = target.endsWith('.GetPublicKey')
        ? { KeyId: KEY_ARN, KeySpec: keySpec, KeyUsage: 'SIGN_VERIFY', PublicKey: spki.toString('base64'), SigningAlgorithms: [KMS_SIGNING_ALGORITHM] }
        : (signCalls.push(input), { KeyId: KEY_ARN, SigningAlgorithm: input.SigningAlgorithm, Signature: sign(null, Buffer.from(input.Message ?? '', 'base64'), privateKey).toString('base64') });
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(reply));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  client = new KMSClient({ endpoint: `http://127.0.0.1:${port}`, region: 'eu-central-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 });
});
afterAll(async () => {
  client?.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('kmsSigner', () => {
  it('seals a pack that verifies offline, recording the KMS key and algorithm', async () => {
    mkdirSync(join(folder.path, 'evidence'));
    writeFileSync(join(folder.path, 'index.json'), '{"controls":[]}\n');
    writeFileSync(join(folder.path, 'evidence', 'findings.csv'), 'period,finding_id\n');
    const signer = await kmsSigner(client, KEY_ARN);
    const manifest = await sealPack(folder.path, parsePeriod('2026-10', new Date('2026-11-01T00:00:00Z')), '2026-11-01T06:00:00.000Z', signer);
    expect(manifest.signature).toMatchObject({ algorithm: 'Ed25519', keyId: signer.keyId, kms: { keyArn: KEY_ARN, signingAlgorithm: 'ED25519_SHA_512' } });
    expect(signCalls.at(-1)).toMatchObject({ KeyId: KEY_ARN, MessageType: 'RAW', SigningAlgorithm: 'ED25519_SHA_512' });
    expect(await verifyPack(folder.path, signer.keyId)).toMatchObject({ ok: true, signatureValid: true, files: 2, kms: { keyArn: KEY_ARN } });
  });

  it('refuses a key that is not an Ed25519 signing key', async () => {
    keySpec = 'ECC_NIST_P256';
    try {
      await expect(kmsSigner(client, KEY_ARN)).rejects.toThrow(/ECC_NIST_P256, not an ECC_NIST_EDWARDS25519 signing key/);
    } finally {
      keySpec = 'ECC_NIST_EDWARDS25519';
    }
  });
});
