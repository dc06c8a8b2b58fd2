import * as pulumi from "@pulumi/pulumi";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import { expect } from "vitest";
import type { Evaluation, RegisteredResource } from "../../scripts/offline/mockEngine";

/**
 * For tests that build one component on its own under the offline engine (the *.survivors
 * files of the resource folders): what the component registered, and the resources it made.
 */

/**
 * The outputs each component registered (registerOutputs), by `type::name` (the cluster and its
 * post-steps share a name). The mocks' own registerResourceOutputs only stores them where nothing
 * reads them, and it fails for a component built outside a stack (its URN has no stack parent in
 * the mocks' table). Installed once per module graph; test files of a worker share it.
 */
export const componentOutputs = new Map<string, Record<string, unknown>>();
MockMonitor.prototype.registerResourceOutputs = function (this: MockMonitor, req: any, callback: (err: any, res: any) => void) {
    const [, , types, name] = String(req.getUrn()).split("::");
    componentOutputs.set(`${types.split("$").pop()}::${name}`, pulumi.runtime.deserializeProperties(req.getOutputs()));
    callback(null, {});
};

/** An Output's value, once known (the engine resolves every one it can). */
export const outputOf = <T>(o: pulumi.Output<T>) => new Promise<T>((resolve) => o.apply((v) => { resolve(v); return v; }));

/** The one resource of that type and name in the evaluation (fails the test otherwise). */
export function resourceIn(evaluation: Evaluation, type: string, name: string): RegisteredResource {
    const found = evaluation.resources.filter((r) => r.type === type && r.name === name);
    expect(found, `${type} ${name}`).toHaveLength(1);
    return found[0]!;
}
