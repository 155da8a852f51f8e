/**
 * The operator's side of back-pressure: `erpgov start --max-backlog N` (or $ERPGOV_MAX_BACKLOG),
 * and the CLI's callers (`erpgov replay`) sending a throttled call again after a wait.
 */
import { describe, expect, it } from 'vitest';
import { maxBacklogFrom } from '../../cli/options.ts';
import { retryingThrottled, RuntimeCallError } from '../../cli/runtime-client.ts';
import { COMMAND_HELP } from '../../cli/usage.ts';
import { DEFAULT_MAX_BACKLOG } from '../../runtime/local-runtime.ts';

describe('--max-backlog', () => {
  it('takes a whole number of 1 or more, from the flag before the environment, else the default', () => {
    expect(maxBacklogFrom('1000', '5', DEFAULT_MAX_BACKLOG)).toBe(1000);
    expect(maxBacklogFrom(undefined, '5', DEFAULT_MAX_BACKLOG)).toBe(5);
    expect(maxBacklogFrom(undefined, undefined, DEFAULT_MAX_BACKLOG)).toBe(DEFAULT_MAX_BACKLOG);
  });

  it.each(['0', '-3', '2.5', 'lots', '', ' '])('refuses %j, naming the flag, the value and what is allowed', (raw) => {
    expect(() => maxBacklogFrom(raw, undefined, DEFAULT_MAX_BACKLOG)).toThrow(`--max-backlog: "${raw}" is not allowed; give a whole number of undelivered events, 1 or more (default ${DEFAULT_MAX_BACKLOG})`);
  });

  it('names the environment variable when the value came from it', () => {
    expect(() => maxBacklogFrom(undefined, 'none', DEFAULT_MAX_BACKLOG)).toThrow('--max-backlog ($ERPGOV_MAX_BACKLOG): "none" is not allowed');
  });

  it("is in erpgov start's usage with the runtime's default", () => {
    expect(COMMAND_HELP.start).toContain('--max-backlog N');
    expect(COMMAND_HELP.start).toContain(`$ERPGOV_MAX_BACKLOG or ${DEFAULT_MAX_BACKLOG}`);
  });
});

describe('retryingThrottled', () => {
  const throttling = () => new RuntimeCallError('ThrottlingException', 'Rate exceeded');
  const fast = { firstDelayMs: 1, maxDelayMs: 4 };

  it('sends the call again while it is throttled, and returns what it finally answers', async () => {
    let calls = 0;
    const answer = await retryingThrottled(async () => {
      calls++;
      if (calls < 4) throw throttling();
      return 'accepted';
    }, fast);
    expect(answer).toBe('accepted');
    expect(calls).toBe(4);
  });

  it('gives up after its attempts, with the throttling as the error', async () => {
    let calls = 0;
    const failing = retryingThrottled(async () => {
      calls++;
      throw throttling();
    }, { ...fast, attempts: 3 });
    await expect(failing).rejects.toThrow('Rate exceeded');
    expect(calls).toBe(3);
  });

  it('does not send again after any other error', async () => {
    let calls = 0;
    const refused = retryingThrottled(async () => {
      calls++;
      throw new RuntimeCallError('ValidationException', 'bad call');
    }, fast);
    await expect(refused).rejects.toThrow('bad call');
    expect(calls).toBe(1);
  });
});
