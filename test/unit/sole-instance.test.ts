/** What a function keeps per sole instance (sole-instance.ts): nothing on AWS, one value per instance name locally. */
import { describe, expect, it } from 'vitest';
import { perSoleInstance, SOLE_INSTANCE_VARIABLE } from '../../functions/shared/sole-instance.ts';

describe('perSoleInstance', () => {
  it('makes nothing without an instance name (on AWS), and one value per name', () => {
    const env: NodeJS.ProcessEnv = {};
    let made = 0;
    const memory = perSoleInstance(() => ({ n: ++made }), env);
    expect(memory()).toBeUndefined();
    env[SOLE_INSTANCE_VARIABLE] = 'first';
    const first = memory();
    expect(first).toEqual({ n: 1 });
    expect(memory()).toBe(first);
    // A restart names a new instance: what the old one remembered is gone.
    env[SOLE_INSTANCE_VARIABLE] = 'second';
    expect(memory()).toEqual({ n: 2 });
    // Stopped: nothing is remembered, and nothing is made.
    delete env[SOLE_INSTANCE_VARIABLE];
    expect(memory()).toBeUndefined();
    expect(made).toBe(2);
  });
});
