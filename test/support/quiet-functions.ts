/**
 * Keeps a test run quiet: the functions' structured log lines and the unconfigured notifier's
 * console copies are held back (they still go to the outbox files and the state table, where
 * the tests read them). Returns a function that restores the output and the environment
 * (`vi.unstubAllEnvs`: every variable the test file stubbed).
 */
import { vi } from 'vitest';

export function quietFunctions(): () => void {
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'ERROR');
  const hold = (stream: NodeJS.WriteStream) => {
    const write = stream.write;
    stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      if (text.startsWith('[erpgov notification]') || text.startsWith('{"level"')) return true;
      return (write as (...args: unknown[]) => boolean).call(stream, chunk, ...rest);
    }) as typeof stream.write;
    return () => void (stream.write = write);
  };
  const restoreOut = hold(process.stdout);
  const restoreErr = hold(process.stderr);
  return () => {
    restoreOut();
    restoreErr();
    vi.unstubAllEnvs();
  };
}
