/**
 * `erpgov start` as a separate process on loopback ports (`--port 0`), as a user runs it: its
 * printed endpoints, and the ways it stops (SIGTERM, or SIGKILL for a crash).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const erpgovBin = fileURLToPath(new URL('../../bin/erpgov.mjs', import.meta.url));

export interface StartedCli {
  readonly child: ChildProcessWithoutNullStreams;
  readonly eventBridgeUrl: string;
  readonly dynamoDbUrl: string;
  readonly output: () => string;
}

/** Starts `erpgov start` on `dataDir` and waits (at most 30 s) until it says it is up. */
export async function startCli(dataDir: string): Promise<StartedCli> {
  const child = spawn(process.execPath, [erpgovBin, 'start', '--data-dir', dataDir, '--port', '0', '--dynamodb-port', '0'], { env: { ...process.env, ERPGOV_POLICY_FILE: '' } });
  let output = '';
  child.stdout.on('data', (chunk) => (output += String(chunk)));
  child.stderr.on('data', (chunk) => (output += String(chunk)));
  const deadline = Date.now() + 30_000;
  while (!/Ctrl-C stops gracefully/.test(output)) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`erpgov start did not come up:\n${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const url = (label: string) => (new RegExp(`${label}\\s*:\\s*(http://\\S+)`).exec(output)?.[1] ?? '');
  return { child, eventBridgeUrl: url('EventBridge API'), dynamoDbUrl: url('DynamoDB API'), output: () => output };
}

/**
 * Sends `signal` and waits for the process to end and its output to be read; its exit code
 * (null when killed by the signal). 'close', not 'exit': 'exit' can come before the last
 * output (the closing summary line) has been read from the pipe.
 */
export async function stopCli(started: StartedCli, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  if (started.child.exitCode !== null || started.child.signalCode !== null) return started.child.exitCode;
  const exited = new Promise<number | null>((resolve) => started.child.once('close', (code) => resolve(code)));
  started.child.kill(signal);
  return exited;
}

/** What an `erpgov` command printed and how it ended. */
export interface CliRun {
  /** The exit code (null when killed, e.g. at the time limit). */
  readonly code: number | null;
  /** Standard output and standard error together, in the order they came. */
  readonly output: string;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs an `erpgov` command to its end (killed after `timeoutMs`); its exit code and output. */
export async function runCli(args: readonly string[], timeoutMs = 60_000): Promise<CliRun> {
  const child = spawn(process.execPath, [erpgovBin, ...args], { env: { ...process.env, ERPGOV_POLICY_FILE: '' } });
  let output = '';
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => {
    stdout += String(c);
    output += String(c);
  });
  child.stderr.on('data', (c) => {
    stderr += String(c);
    output += String(c);
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  // 'close', not 'exit': all output read.
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  clearTimeout(timer);
  return { code, output, stdout, stderr };
}
