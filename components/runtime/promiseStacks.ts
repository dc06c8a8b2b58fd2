// Bounds the Pulumi SDK's per-promise stack capture (issue 14). Imported first by index.ts, so
// it is in effect before any resource registers, under `pulumi up`/`preview` exactly as under
// the offline plan, the bench and the tests: all of them load index.ts.
//
// Why: the SDK wraps every promise it makes (about 4 per property of every resource: value,
// known, secret, dependencies) in `debuggablePromise`, which stores `new Error().stack` on it
// eagerly. Reading `.stack` formats the trace; under the CLI, `source-map-support/register` and
// ts-node's inline source maps map every frame of it through source maps. An aws.ec2.Instance
// has ~100 properties: ~400 mapped stack traces per instance, kept in memory for the life of the
// program. That was 17x the cost of a bare resource and ~1 GB at 500 workers.
//
// The stored trace is read in one place only: the SDK's promise-leak report, and there only when
// PULUMI_DEBUG_PROMISE_LEAKS is set (runtime/debuggable.js, promiseDebugString). So while the SDK
// builds that one `new Error()`, and only then, Error.stackTraceLimit is 0: the trace is the
// string "Error", no frame is captured or mapped. Every other stack is untouched: errors thrown
// by the program or the SDK, the per-resource source position and stack trace the SDK sends the
// engine (Resource.callsites sets its own limit), a resource error's location. With
// PULUMI_DEBUG_PROMISE_LEAKS set nothing is changed, so the leak report keeps its traces.

/** The SDK module that defines debuggablePromise (internal: not in the SDK's typings). */
interface DebuggableModule {
    debuggablePromise: DebuggablePromise & { readonly boundedStacks?: true };
}
type DebuggablePromise = (p: Promise<unknown>, ctx?: unknown) => Promise<unknown>;

/** Why the bound is in effect or not; the bench and the tests check it. */
export type PromiseStacks = "bounded" | "kept: PULUMI_DEBUG_PROMISE_LEAKS is set" | "kept: the SDK has no debuggablePromise to wrap";

/**
 * Wraps `sdk.debuggablePromise` so that the stack it records is empty. Idempotent. The SDK's
 * modules call it as `debuggable_1.debuggablePromise(...)`, a property read at each call, so
 * replacing the export reaches every caller (resource, rpc, invoke, settings).
 */
export function boundPromiseStacks(sdk: Partial<DebuggableModule>, env: NodeJS.ProcessEnv = process.env): PromiseStacks {
    if (env.PULUMI_DEBUG_PROMISE_LEAKS) return "kept: PULUMI_DEBUG_PROMISE_LEAKS is set";
    const original = sdk.debuggablePromise;
    if (typeof original !== "function") return "kept: the SDK has no debuggablePromise to wrap";
    if (original.boundedStacks) return "bounded";
    const bounded = function debuggablePromise(p: Promise<unknown>, ctx?: unknown): Promise<unknown> {
        const limit = Error.stackTraceLimit;
        Error.stackTraceLimit = 0;
        try {
            return original(p, ctx);
        } finally {
            Error.stackTraceLimit = limit;
        }
    };
    sdk.debuggablePromise = Object.assign(bounded, { boundedStacks: true as const });
    return "bounded";
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const promiseStacks: PromiseStacks = boundPromiseStacks(require("@pulumi/pulumi/runtime/debuggable") as Partial<DebuggableModule>);
