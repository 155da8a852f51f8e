/** Runs a CLI command in-process and returns its exit code and what it wrote to stdout. */
import { vi } from 'vitest';

export async function captureStdout(run: () => Promise<number>): Promise<{ code: number; output: string }> {
  let output = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    output += String(chunk);
    return true;
  });
  try {
    const code = await run();
    return { code, output };
  } finally {
    spy.mockRestore();
  }
}
