import { MASTER_CONTROL_UNITS } from "../catalog/services";
import { CommandSpec, commandName, commandSpec, LIMITS } from "./commandSpec";
import type { Node, StepContext } from "./stepContext";

/**
 * The elected-master runbook's "a few minutes later every unit is active": on each master,
 * wait for cloud-init to finish and for the control-plane units to be active, before anything
 * dials them.
 */
export function waitReadySpecs(ctx: StepContext, masters: readonly Node[], after: readonly string[]): CommandSpec[] {
    return masters.map((master) =>
        commandSpec({
            name: commandName(ctx.prefix, "wait-ready", master.name),
            node: master.name,
            host: master.privateIp,
            step: "wait-ready",
            scriptFile: "wait-ready.sh",
            args: ["--timeout", String(LIMITS.waitReady.script), ...MASTER_CONTROL_UNITS],
            outerTimeout: LIMITS.waitReady.outer,
            dependsOn: after,
            triggerNodes: ctx.triggerNodes,
        }),
    );
}
