/**
 * How every governance Lambda is bundled: the esbuild choices the stack gives NodejsFunction
 * (infra/constructs/governance-function.ts), and the same choices as plain esbuild options for
 * the bundle bench and the bundle-contents test, which build without CDK. One home, so what is
 * measured and tested is what is deployed.
 */
import { handlerRouting, type FunctionDeclaration } from './function-routes.ts';

/**
 * ESM bundles have no `require`; a few CommonJS dependencies still call it for Node
 * built-ins. The alias keeps the banner's binding from clashing with bundled code.
 */
export const ESM_REQUIRE_SHIM = "import { createRequire as __erpgovCreateRequire } from 'node:module'; const require = __erpgovCreateRequire(import.meta.url);";

export const BUNDLE_MAIN_FIELDS = ['module', 'main'];

/** The Node.js major version the functions run on: the Lambda runtime, and the target esbuild compiles for (NodejsFunction derives it from the runtime). */
export const LAMBDA_NODE_MAJOR = 24;

/** Loaded lazily by the notifier for an SMTP relay; shipped beside its bundle, not inside any. */
export const SMTP_PACKAGE = 'nodemailer';

/** Kept out of every bundle (see SMTP_PACKAGE). */
export const BUNDLE_EXTERNALS = [SMTP_PACKAGE];

/** The policy baked in at synth: schemas/policy-loader.ts reads exactly this expression; the value is JS source. */
const bakedPolicyDefine = (policy: unknown): Record<string, string> => ({ 'process.env.ERPGOV_POLICY_INLINE': JSON.stringify(JSON.stringify(policy)) });

/** The function's own routing facts baked in at synth: infra/function-routes.ts reads exactly this expression (the table's prose stays out of the bundle). */
type Routed = Pick<FunctionDeclaration, 'name' | 'rules' | 'schedules' | 'batch'>;
const bakedRoutingDefine = (fn: Routed): Record<string, string> => ({ 'process.env.ERPGOV_ROUTING_INLINE': JSON.stringify(JSON.stringify(handlerRouting(fn))) });

/** What synth bakes into a function's bundle: the validated policy and the function's routing facts. */
export const bakedDefines = (fn: Routed, policy: unknown): Record<string, string> => ({ ...bakedPolicyDefine(policy), ...bakedRoutingDefine(fn) });

/** The same bundle as plain esbuild options (NodejsFunction adds the entry, the output and source maps). */
export function esbuildLambdaOptions(fn: Routed, policy: unknown) {
  return {
    bundle: true,
    platform: 'node' as const,
    target: `node${LAMBDA_NODE_MAJOR}`,
    format: 'esm' as const,
    mainFields: BUNDLE_MAIN_FIELDS,
    banner: { js: ESM_REQUIRE_SHIM },
    minify: true,
    external: BUNDLE_EXTERNALS,
    define: bakedDefines(fn, policy),
  };
}
