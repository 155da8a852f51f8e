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

/**
 * The key prefixes of the audit trail's seal intents (`SEALS#<arrival day>` / `BATCH#<batchId>`;
 * the layout is in `functions/shared/audit-trail/audit-trail-store.ts`), declared here, below both
 * the routing table, whose stream trigger filters the table's stream on them, and the store that
 * writes them. The seal pass's lock (`SEALS#PASS` / `LOCK`) shares the partition prefix only.
 */
export const SEAL_INTENT_KEY_PREFIXES = { [stateTable.partitionKey]: 'SEALS#', [stateTable.sortKey]: 'BATCH#' } as const;

/** Prefixes of the state table's partition and sort keys, by the keys' attribute names. */
export type StateKeyPrefixes = { readonly [K in StateTableDefinition['partitionKey'] | StateTableDefinition['sortKey']]: string };

/**
 * The table's keys and indexes as DynamoDB spells them (the same names in the SDK's CreateTable
 * and CloudFormation's AWS::DynamoDB::Table): the local runtime creates the table with them,
 * and the stack's test checks the synthesised table against them.
 */
export function keyDefinitions(table: StateTableDefinition) {
  const keySchema = (partitionKey: string, sortKey: string) => [
    { AttributeName: partitionKey, KeyType: 'HASH' as const },
    { AttributeName: sortKey, KeyType: 'RANGE' as const },
  ];
  const keyAttributes = new Set<string>([table.partitionKey, table.sortKey, ...table.globalSecondaryIndexes.flatMap((g) => [g.partitionKey, g.sortKey])]);
  return {
    AttributeDefinitions: [...keyAttributes].map((name) => ({ AttributeName: name, AttributeType: 'S' as const })),
    KeySchema: keySchema(table.partitionKey, table.sortKey),
    GlobalSecondaryIndexes: table.globalSecondaryIndexes.map((g) => ({ IndexName: g.indexName, KeySchema: keySchema(g.partitionKey, g.sortKey), Projection: { ProjectionType: 'ALL' as const } })),
  };
}
