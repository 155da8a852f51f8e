/**
 * A Glue table over the archived audit trail, so auditors query it with Athena using the same
 * filters as `erpgov audit search` (`erpgov audit search --athena` prints the SQL). The
 * `date` partition is projected (no crawler, no partition maintenance); every other field is
 * a column of the JSON lines the archive writes (functions/audit-archive/archive-batches.ts).
 */
import { Stack } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { datePartition } from '../../schemas/archive-layout.ts';

/** Columns of one archived line: the chain fields, then the audit record's fields. */
const AUDIT_COLUMNS: readonly [name: string, type: string, comment: string][] = [
  ['chain_id', 'string', 'Block chain (source/arrival day/shard)'],
  ['seq', 'bigint', 'The sealing block: its position in the chain, from 1'],
  ['prev_hash', 'string', 'SHA-256 of the previous block'],
  ['hash', 'string', 'SHA-256 of the sealing block'],
  ['record_hash', 'string', 'SHA-256 of this record as sealed'],
  ['eventid', 'string', 'EventBridge event id'],
  ['source', 'string', 'Emitting system, e.g. erp.sap'],
  ['detailtype', 'string', 'Fact, e.g. Operation Audited'],
  ['occurredat', 'string', 'When it happened (ISO-8601 UTC)'],
  ['recordedat', 'string', 'When the trail recorded it'],
  ['actor', 'string', 'Who'],
  ['action', 'string', 'What'],
  ['target', 'string', 'To what'],
  ['module', 'string', 'ERP module'],
  ['deviceid', 'string', 'From which device'],
  ['recordcount', 'bigint', 'Records affected'],
  ['valid', 'boolean', 'Whether the event met its contract'],
  ['invalidreason', 'string', 'Why not, if not'],
  ['originalevent', 'string', 'The event as delivered (JSON)'],
];

export interface AuditGlueTableProps {
  readonly bucket: s3.IBucket;
  /** Folder of the daily partitions, e.g. `audit/records`. */
  readonly recordsPrefix: string;
  /** How far back Athena projects `date` partitions, in days (the cold retention). */
  readonly retentionDays: number;
}

export class AuditGlueTable extends Construct {
  readonly databaseName: string;
  readonly tableName = 'audit_records';

  constructor(scope: Construct, id: string, props: AuditGlueTableProps) {
    super(scope, id);
    const account = Stack.of(this).account;
    this.databaseName = 'erpgov_audit';
    const database = new glue.CfnDatabase(this, 'Database', {
      catalogId: account,
      databaseInput: { name: this.databaseName, description: 'ERP governance pipeline: archived audit trail (guide 6.1)' },
    });
    const location = `s3://${props.bucket.bucketName}/${props.recordsPrefix}/`;
    const table = new glue.CfnTable(this, 'Table', {
      catalogId: account,
      databaseName: this.databaseName,
      tableInput: {
        name: this.tableName,
        description: 'One row per audit record; partition `date` is the arrival day',
        tableType: 'EXTERNAL_TABLE',
        partitionKeys: [{ name: 'date', type: 'string', comment: 'Arrival day, YYYY-MM-DD' }],
        parameters: {
          classification: 'json',
          compressionType: 'gzip',
          'projection.enabled': 'true',
          'projection.date.type': 'date',
          'projection.date.format': 'yyyy-MM-dd',
          'projection.date.range': `NOW-${props.retentionDays}DAYS,NOW`,
          'projection.date.interval': '1',
          'projection.date.interval.unit': 'DAYS',
          'storage.location.template': `${location}${datePartition('${date}')}/`,
        },
        storageDescriptor: {
          location,
          columns: AUDIT_COLUMNS.map(([name, type, comment]) => ({ name, type, comment })),
          inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
          serdeInfo: {
            serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe',
            // The archive writes camelCase keys; Athena's columns are lower case.
            parameters: { 'case.insensitive': 'true', 'ignore.malformed.json': 'false' },
          },
        },
      },
    });
    table.addResourceDependency(database);
  }
}
