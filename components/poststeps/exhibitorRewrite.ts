import { PATHS, PORTS, SERVICES } from "../catalog/services";
import { CommandSpec, commandName, commandSpec, LIMITS } from "./commandSpec";
import type { Node, StepContext } from "./stepContext";

/**
 * The Exhibitor migration guide's rolling restart: write the static ensemble on each master,
 * one master at a time, each waiting for the ensemble to settle before the next one starts.
 */
export function exhibitorRewriteChain(ctx: StepContext, masters: readonly Node[], ensemble: string, after: readonly string[]): CommandSpec[] {
    const specs: CommandSpec[] = [];
    let previous = after;
    for (const master of masters) {
        const spec = commandSpec({
            name: commandName(ctx.prefix, "exhibitor-rewrite", master.name),
            node: master.name,
            host: master.privateIp,
            step: "exhibitor-rewrite",
            scriptFile: "exhibitor-rewrite.sh",
            args: [
                "--file", PATHS.exhibitorEnv,
                "--unit", SERVICES.zookeeper.unit,
                "--port", String(PORTS.zkClient),
                "--self", master.privateIp,
                "--timeout", String(LIMITS.exhibitorRewrite.script),
                ensemble,
            ],
            outerTimeout: LIMITS.exhibitorRewrite.outer,
            dependsOn: previous,
            triggerNodes: ctx.triggerNodes,
        });
        specs.push(spec);
        previous = [spec.name];
    }
    return specs;
}
