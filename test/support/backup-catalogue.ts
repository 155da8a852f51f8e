/** The backup catalogue the backup scenarios share: cold datasets with a weekly full backup, found by their AWS resource. */
export const FINANCE_DB = 'arn:aws:rds:eu-central-1:111122223333:db:finance';
export const CUSTOMER_DB = 'arn:aws:rds:eu-central-1:111122223333:db:customers';

/** A cold dataset of one data class, backed up weekly, named in AWS Backup's events by `resourceArn`. */
export const coldDataset = (id: string, system: string, kind: 'database' | 'file-set', dataClass: string, resourceArn: string) => ({
  id,
  system,
  kind,
  dataClasses: [dataClass],
  tier: 'cold',
  backupPlan: 'weekly-full',
  aws: { resourceArns: [resourceArn] },
});

export const financeHistory = coldDataset('finance-history', 'kingdee-finance-db', 'database', 'finance', FINANCE_DB);
export const customers = coldDataset('customers', 'crm-db', 'database', 'customer', CUSTOMER_DB);

/** The `backups` section of a policy file: hot replicas off-site at dr-site, and `datasets` as the catalogue. */
export const backupsPolicy = (...datasets: ReturnType<typeof coldDataset>[]) => ({ tiers: { hot: { offsiteTarget: 'dr-site' } }, catalogue: datasets });
