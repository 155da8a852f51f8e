/**
 * The real AWS service event samples beside the project (`../shared/aws-native-events`, see its
 * README), read where they are, never copied in. Tests that need them skip when they are absent.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Beside the project's folder, wherever the tests are run from. */
export const AWS_SAMPLES_DIR = fileURLToPath(new URL('../../../shared/aws-native-events', import.meta.url));

/** Whether the sample file is there (a test that needs it skips when not, rather than pass on no events). */
export const haveAwsSample = (file: string): boolean => existsSync(`${AWS_SAMPLES_DIR}/${file}`);

/** The events of one sample file (JSON Lines), or none when the file is absent. */
export const awsSampleEvents = (file: string): Record<string, unknown>[] =>
  haveAwsSample(file) ? readFileSync(`${AWS_SAMPLES_DIR}/${file}`, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Record<string, unknown>) : [];

/** The sample CodePipeline "Prod" stage execution, succeeded at `time` (a production deployment AWS reports on its own). */
export function prodStageSucceeded(time: string): Record<string, unknown> | undefined {
  const stage = awsSampleEvents('deploy.jsonl').find((e) => e['detail-type'] === 'CodePipeline Stage Execution State Change' && (e.detail as { stage?: string }).stage === 'Prod');
  return stage && { ...stage, time, detail: { ...(stage.detail as object), state: 'SUCCEEDED' } };
}
