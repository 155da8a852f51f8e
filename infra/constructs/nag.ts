/**
 * cdk-nag 3 wiring. The AwsSolutions pack runs as a CDK policy-validation plugin: a
 * finding that is not acknowledged fails `cdk synth` (and `app.synth()` in tests).
 * Acknowledgements are made beside the resource they concern, with
 * `Validations.of(construct).acknowledge({ id, reason })`, each reason saying why.
 */
import { Stack, Validations, type CfnElement } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';

export function addGovernanceChecks(app: IConstruct): void {
  // Acknowledged findings are also written into each resource's Metadata, so the reasons
  // travel with the template for whoever audits the deployed stack.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true, writeSuppressionsToCloudFormation: true }));
}

/**
 * The logical id of an L2 construct's resource, as cdk-nag prints it in granular finding
 * ids such as `AwsSolutions-IAM5[Resource::<StateTable0A1B2C3D.Arn>/index/*]`.
 */
export function logicalIdOf(construct: IConstruct): string {
  const resource = construct.node.defaultChild as CfnElement | undefined;
  if (resource === undefined) throw new Error(`${construct.node.path} has no default CloudFormation resource`);
  return Stack.of(construct).getLogicalId(resource);
}
