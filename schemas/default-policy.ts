/** The shipped policy, the maintenance guide's figures: what tests and benches start from. */
import { shippedPolicy } from './policy-loader.ts';

export const defaultPolicy = shippedPolicy();
