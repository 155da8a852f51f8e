/**
 * The evidence signer on AWS: an Ed25519 key that never leaves KMS (key spec
 * ECC_NIST_EDWARDS25519, usage SIGN_VERIFY). `Sign` with ED25519_SHA_512 over the raw message
 * is plain Ed25519 (RFC 8032), so `erpgov evidence verify` checks it offline with the public
 * key the manifest carries, like a locally signed pack; the manifest also records the key's
 * ARN and KMS's algorithm name. KMS signs raw messages of up to 4096 bytes: a pack's manifest
 * (a dozen entries) is far below that, and a larger one is refused rather than pre-hashed.
 */
import { createPublicKey } from 'node:crypto';
import { GetPublicKeyCommand, KMSClient, SignCommand } from '@aws-sdk/client-kms';
import { ConfigurationError, PermanentError } from '../../../schemas/errors.ts';
import { keyIdOf, localSigner, signingKey, type PackSigner } from './pack-manifest.ts';

export const KMS_KEY_SPEC = 'ECC_NIST_EDWARDS25519';
export const KMS_SIGNING_ALGORITHM = 'ED25519_SHA_512';
const KMS_RAW_MESSAGE_LIMIT = 4096;

export async function kmsSigner(client: KMSClient, keyArn: string): Promise<PackSigner> {
  const key = await client.send(new GetPublicKeyCommand({ KeyId: keyArn }));
  if (key.KeySpec !== KMS_KEY_SPEC || !key.PublicKey) throw new ConfigurationError(`KMS key ${keyArn} is ${key.KeySpec ?? 'unknown'}, not an ${KMS_KEY_SPEC} signing key`);
  const publicKey = createPublicKey({ key: Buffer.from(key.PublicKey), format: 'der', type: 'spki' });
  const arn = key.KeyId ?? keyArn;
  return {
    keyId: keyIdOf(publicKey),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    kms: { keyArn: arn, signingAlgorithm: KMS_SIGNING_ALGORITHM },
    async sign(message) {
      if (message.length > KMS_RAW_MESSAGE_LIMIT) throw new PermanentError(`the manifest is ${message.length} bytes; KMS signs raw messages of at most ${KMS_RAW_MESSAGE_LIMIT}`);
      const out = await client.send(new SignCommand({ KeyId: arn, Message: message, MessageType: 'RAW', SigningAlgorithm: KMS_SIGNING_ALGORITHM }));
      if (!out.Signature) throw new Error(`KMS returned no signature for key ${arn}`);
      return out.Signature;
    },
  };
}

/**
 * EVIDENCE_SIGNING_KEY_ARN (set by the stack) → the KMS key; otherwise the local data folder's
 * key file, the one `erpgov evidence` signs with.
 */
export async function evidenceSignerFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<PackSigner> {
  if (env.EVIDENCE_SIGNING_KEY_ARN) return kmsSigner(new KMSClient({}), env.EVIDENCE_SIGNING_KEY_ARN);
  if (env.ERPGOV_DATA_DIR) return localSigner(await signingKey(env.ERPGOV_DATA_DIR));
  throw new ConfigurationError(`neither EVIDENCE_SIGNING_KEY_ARN (AWS) nor ERPGOV_DATA_DIR (local) is set: evidence packs cannot be signed`);
}
