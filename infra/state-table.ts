/**
 * The one DynamoDB table that holds the pipeline's state (single-table design).
 * The CDK stack and the local runtime both create the table from this definition, so the
 * key schema, indexes and TTL attribute are declared once.
 */
export const stateTable = {
  /** Logical name; the local runtime uses it as the table name, the stack lets CloudFormation name it. */
  name: 'erpgov-state',
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Epoch seconds. On AWS, TTL removes expired items; code never trusts TTL and checks `expiresAt > now` itself. */
  ttlAttribute: 'expiresAt',
  globalSecondaryIndexes: [
    { indexName: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
  ],
} as const;

export type StateTableDefinition = typeof stateTable;
