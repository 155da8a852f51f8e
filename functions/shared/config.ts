/**
 * Configuration a function reads from its environment, once, at cold start.
 * The CDK stack sets these on AWS; the local runtime sets them in-process.
 */
import { ConfigurationError } from '../../schemas/errors.ts';
export { ConfigurationError };

export function requireEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (value === undefined || value.trim() === '') {
    throw new ConfigurationError(`environment variable ${name} is not set; the stack (or the local runtime) must provide it`);
  }
  return value;
}

export interface FunctionConfig {
  readonly stateTableName: string;
  readonly eventBusName: string;
}

export function readFunctionConfig(env: NodeJS.ProcessEnv = process.env): FunctionConfig {
  return {
    stateTableName: requireEnv('STATE_TABLE_NAME', env),
    eventBusName: requireEnv('EVENT_BUS_NAME', env),
  };
}
