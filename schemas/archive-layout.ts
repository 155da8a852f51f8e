/**
 * Where the audit archive lives in the archive bucket. The archive function writes under this
 * prefix (`<prefix>/records/date=…`, `<prefix>/manifests/…`, `<prefix>/anchors/…`); the stack
 * scopes Object Lock retention, the lifecycle rules and the Athena table to it. Both read it
 * from here, so infra does not import a function's module for it.
 */
export const ARCHIVE_PREFIX = 'audit';
