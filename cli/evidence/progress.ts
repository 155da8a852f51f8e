/** Progress on the terminal (stderr) while a long command runs; silent when stderr is not a TTY. */
import cliProgress from 'cli-progress';

export interface Progress {
  step(label: string): void;
  stop(): void;
}

export function terminalProgress(total: number, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) return { step: () => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar({ stream, format: ' {bar} {value}/{total} {label}', hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic);
  bar.start(total, 0, { label: '' });
  return {
    step: (label) => bar.increment(1, { label }),
    stop: () => bar.stop(),
  };
}
