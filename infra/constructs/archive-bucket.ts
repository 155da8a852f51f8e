/**
 * The archive: write-once storage for the audit log's daily batches and exported reports.
 * Object Lock with a default retention, versioning, SSE-KMS with the stack key, TLS only,
 * no public access, lifecycle to cold storage, and server access logs to a bucket of
 * their own. Retention figures come from the governance policy, so the bucket enforces
 * the same numbers the functions report against.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

export interface ArchiveBucketProps {
  readonly encryptionKey: kms.IKey;
  /** Object Lock default retention: no object version can be deleted or overwritten before it. */
  readonly lockDays: number;
  /** Audit batches move to Glacier after this many days. */
  readonly moveToColdAfterDays: number;
  /** Audit batches are deleted after this many days (at least `lockDays`). */
  readonly expireAfterDays: number;
  /** Key prefix of the audit-log batches, which the cold-storage rule applies to. */
  readonly auditPrefix: string;
}

/** Old versions of a rewritten report are kept this long, then removed (once no lock holds them). */
const NONCURRENT_VERSION_DAYS = 90;

export class ArchiveBucket extends Construct {
  readonly bucket: s3.Bucket;
  readonly accessLogs: s3.Bucket;

  constructor(scope: Construct, id: string, props: ArchiveBucketProps) {
    super(scope, id);
    if (props.expireAfterDays < props.lockDays) {
      throw new Error(`archive bucket: expireAfterDays (${props.expireAfterDays}) must be at least lockDays (${props.lockDays}), or lifecycle would try to expire locked objects`);
    }

    this.accessLogs = new s3.Bucket(this, 'AccessLogs', {
      // S3 delivers server access logs only to buckets encrypted with SSE-S3, not SSE-KMS.
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // Who read or wrote the archive is audit evidence too: kept as long as the archive.
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(props.expireAfterDays) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.bucket = new s3.Bucket(this, 'Bucket', {
      versioned: true,
      objectLockEnabled: true,
      // GOVERNANCE, not COMPLIANCE: nobody can shorten or remove a retention without the
      // explicit s3:BypassGovernanceRetention permission, which no role in this stack has.
      // COMPLIANCE cannot be lifted even by the account root, so a mistaken retention (or
      // a court order to erase personal data) could never be corrected; an organisation
      // whose regulator demands it can switch here, knowingly.
      objectLockDefaultRetention: s3.ObjectLockRetention.governance(Duration.days(props.lockDays)),
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: props.encryptionKey,
      // One data key per bucket instead of per object: far fewer KMS calls for many small batches.
      bucketKeyEnabled: true,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'archive/',
      lifecycleRules: [
        {
          id: 'audit-to-cold-storage',
          prefix: `${props.auditPrefix}/`,
          transitions: [{ storageClass: s3.StorageClass.GLACIER, transitionAfter: Duration.days(props.moveToColdAfterDays) }],
          expiration: Duration.days(props.expireAfterDays),
        },
        {
          id: 'bound-old-versions',
          noncurrentVersionExpiration: Duration.days(NONCURRENT_VERSION_DAYS),
          expiredObjectDeleteMarker: true,
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
