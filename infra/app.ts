/**
 * CDK app entry (`cdk.json` runs it with tsx). AwsSolutions checks run on every synth:
 * an unacknowledged finding fails it. Pass `-c policyFile=policy/<file>.json` to bake a
 * governance policy into the functions.
 */
import { App } from 'aws-cdk-lib';
import { addGovernanceChecks } from './constructs/nag.ts';
import { GovernanceStack, STACK_ID } from './stack.ts';

const app = new App();
addGovernanceChecks(app);
new GovernanceStack(app, STACK_ID);
app.synth();
