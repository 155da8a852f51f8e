/**
 * Glue tables over the exported findings and reports (`exports/<table>/period=YYYY-MM/`,
 * one JSON object per line), beside `audit_records` in the same database, so the named auditor
 * queries (cli/sql/auditor-queries.ts) run on Athena as they run on DuckDB locally. Columns
 * and types come from schemas/export-tables.ts, the one declaration both worlds read. The
 * monthly `period` partition is projected (no crawler); a data column of the same name is the
 * partition itself on Athena.
 */
import { Stack } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { FINDINGS_TABLE, REPORT_TABLES, type ExportTable } from '../../schemas/export-tables.ts';

export interface ExportGlueTablesProps {
  readonly bucket: s3.IBucket;
  readonly databaseName: string;
  /** The database's construct, so the tables are made after it. */
  readonly database?: Construct;
}

const EXPORT_GLUE_TABLES: readonly ExportTable[] = [FINDINGS_TABLE, ...REPORT_TABLES];
const PARTITION = 'period';

export class ExportGlueTables extends Construct {
  readonly tableNames: readonly string[];

  constructor(scope: Construct, id: string, props: ExportGlueTablesProps) {
    super(scope, id);
    const account = Stack.of(this).account;
    this.tableNames = EXPORT_GLUE_TABLES.map((t) => t.name);
    for (const table of EXPORT_GLUE_TABLES) {
      const location = `s3://${props.bucket.bucketName}/${table.prefix}/`;
      const resource = new glue.CfnTable(this, table.name, {
        catalogId: account,
        databaseName: props.databaseName,
        tableInput: {
          name: table.name,
          description: table.description,
          tableType: 'EXTERNAL_TABLE',
          partitionKeys: [{ name: PARTITION, type: 'string', comment: 'Month of the export, YYYY-MM' }],
          parameters: {
            classification: 'json',
            'projection.enabled': 'true',
            'projection.period.type': 'date',
            'projection.period.format': 'yyyy-MM',
            'projection.period.range': '2020-01,NOW',
            'projection.period.interval': '1',
            'projection.period.interval.unit': 'MONTHS',
            'storage.location.template': `${location}${PARTITION}=\${${PARTITION}}/`,
          },
          storageDescriptor: {
            location,
            columns: table.columns.filter(([name]) => name !== PARTITION).map(([name, type, comment]) => ({ name, type, comment })),
            inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
            outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
            serdeInfo: { serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe', parameters: { 'ignore.malformed.json': 'false' } },
          },
        },
      });
      if (props.database) resource.node.addDependency(props.database);
    }
  }
}
