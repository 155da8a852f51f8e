/** Runs a CLI command in-process and returns its exit code and what it wrote to stdout (and, with `captureOutput`, to stderr). */
import { vi } from 'vitest';

/** Collects what is written to `stream` while `run` runs. */
async function capturing<T>(stream: NodeJS.WriteStream, run: () => Promise<T>): Promise<{ result: T; written: string }> {
  let written = '';
  const spy = vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written += String(chunk);
    return true;
  });
  try {
    return { result: await run(), written };
  } finally {
    spy.mockRestore();
  }
}

export async function captureStdout(run: () => Promise<number>): Promise<{ code: number; output: string }> {
  const { result: code, written: output } = await capturing(process.stdout, run);
  return { code, output };
}

/** Exit code, stdout and stderr of a CLI command run in-process. */
export async function captureOutput(run: () => Promise<number>): Promise<{ code: number; output: string; errors: string }> {
  const { result, written: errors } = await capturing(process.stderr, () => captureStdout(run));
  return { ...result, errors };
}
