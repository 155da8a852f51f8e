/**
 * What an ERP system may do on AWS: put events on the pipeline's bus with its own source
 * `erp.<system>` and no other. One role per system; an administrator lets the ERP's own
 * identity (its IAM user, its instance or container role, or a role in another account
 * through the trust policy) assume it, and the ERP then calls PutEvents as before. IAM
 * checks the source of every entry (`events:source`), so one ERP can never speak as another,
 * as an AWS service, or as the pipeline itself (`erpgov.*`, which only the functions' roles
 * may use, each its own).
 */
import { Duration } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/** `sap`, `odoo`, `kingdee-finance`: lower-case letters, digits and dashes, as in `erp.<system>`. */
export const ERP_SYSTEM_NAME = /^[a-z0-9][a-z0-9-]{0,40}$/;

export interface ErpPublisherProps {
  /** The ERP system's name: its events carry the source `erp.<system>`. */
  readonly system: string;
  readonly bus: events.IEventBus;
  /** Who may assume the role. Default: this account (an administrator then delegates to the ERP's identity). */
  readonly trustedBy?: iam.IPrincipal;
}

export class ErpPublisher extends Construct {
  readonly role: iam.Role;
  readonly source: string;

  constructor(scope: Construct, id: string, props: ErpPublisherProps) {
    super(scope, id);
    if (!ERP_SYSTEM_NAME.test(props.system)) {
      throw new Error(`ERP system "${props.system}" is not a system name; allowed: lower-case letters, digits and dashes (it becomes the source erp.${props.system})`);
    }
    this.source = `erp.${props.system}`;
    this.role = new iam.Role(this, 'Role', {
      assumedBy: props.trustedBy ?? new iam.AccountRootPrincipal(),
      description: `ERP system ${props.system}: may put events on the governance bus with source ${this.source} only`,
      maxSessionDuration: Duration.hours(1),
    });
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'PutOwnSourceOnly',
        actions: ['events:PutEvents'],
        resources: [props.bus.eventBusArn],
        conditions: { StringEquals: { 'events:source': [this.source] } },
      }),
    );
  }
}
