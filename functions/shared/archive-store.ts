/**
 * Where archived batches and exported reports go: an S3 bucket (Object Lock, on AWS) or a
 * local folder (local mode). Same port, two adapters; the function picks one from its
 * environment once at start.
 */
import { ConfigurationError, PermanentError } from '../../schemas/errors.ts';
import { mkdir, readFile, readdir, writeFile, rename } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, NoSuchKey, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

export interface ArchiveStore {
  readonly location: string;
  put(key: string, body: Uint8Array, contentType: string): Promise<void>;
  /** undefined when the key does not exist. */
  get(key: string): Promise<Uint8Array | undefined>;
  list(prefix: string): Promise<string[]>;
}

export class ArchiveKeyError extends PermanentError {}

/** Keys are relative, slash-separated, without `..`: the same key is valid in S3 and on disk. */
function checkKey(key: string): string {
  if (key === '' || key.startsWith('/') || key.split('/').some((part) => part === '..' || part === '')) {
    throw new ArchiveKeyError(`archive key "${key}" is not allowed: use a relative path of non-empty segments without ".."`);
  }
  return key;
}

export function folderArchiveStore(root: string): ArchiveStore {
  const base = resolve(root);
  const pathOf = (key: string) => join(base, ...checkKey(key).split('/'));
  return {
    location: base,
    async put(key, body) {
      const file = pathOf(key);
      await mkdir(dirname(file), { recursive: true });
      // Write then rename, so a reader never sees half a batch.
      await writeFile(`${file}.partial`, body);
      await rename(`${file}.partial`, file);
    },
    async get(key) {
      try {
        return new Uint8Array(await readFile(pathOf(key)));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw err;
      }
    },
    async list(prefix) {
      // Walk only below the prefix's folder, not the whole archive.
      const folder = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
      const entries = await readdir(folder === '' ? base : pathOf(folder), { recursive: true, withFileTypes: true }).catch(() => []);
      return entries
        .filter((entry) => entry.isFile())
        .map((entry) => relative(base, join(entry.parentPath, entry.name)).split(sep).join('/'))
        .filter((k) => k.startsWith(prefix) && !k.endsWith('.partial'))
        .sort();
    },
  };
}

export function s3ArchiveStore(client: S3Client, bucket: string): ArchiveStore {
  return {
    location: `s3://${bucket}`,
    async put(key, body, contentType) {
      // A checksum is required on buckets with Object Lock; the SDK's default CRC32 satisfies it.
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: checkKey(key), Body: body, ContentType: contentType }));
    },
    async get(key) {
      try {
        const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: checkKey(key) }));
        return out.Body ? await out.Body.transformToByteArray() : new Uint8Array();
      } catch (err) {
        if (err instanceof NoSuchKey || (err as Error).name === 'NoSuchKey') return undefined;
        throw err;
      }
    },
    async list(prefix) {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
        for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
        token = page.NextContinuationToken;
      } while (token);
      return keys.sort();
    },
  };
}

/** ARCHIVE_BUCKET_NAME (set by the stack) → S3; otherwise the local data folder's `archive/`. */
export function archiveStoreFromEnv(env: NodeJS.ProcessEnv = process.env): ArchiveStore {
  if (env.ARCHIVE_BUCKET_NAME) return s3ArchiveStore(new S3Client({}), env.ARCHIVE_BUCKET_NAME);
  if (env.ERPGOV_DATA_DIR) return folderArchiveStore(join(env.ERPGOV_DATA_DIR, 'archive'));
  throw new ConfigurationError('neither ARCHIVE_BUCKET_NAME (AWS) nor ERPGOV_DATA_DIR (local) is set: the archive has nowhere to go');
}
