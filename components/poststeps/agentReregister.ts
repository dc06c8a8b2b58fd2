import { secretPath } from "../catalog/secrets";
import { PORTS } from "../catalog/services";
import type { PlannedNode } from "../plan/clusterPlan";
import { CommandSpec, commandName, commandSpec, LIMITS } from "./commandSpec";
import type { StepContext } from "./stepContext";

/**
 * A new or rebuilt worker's agent registers with the leading master under its new id, the old
 * one gone. Checked from a master: the worker reboots once at first boot (into cgroup v1), which
 * would cut an SSH session to the worker itself. Runs again only when that worker is replaced.
 */
export function agentReregisterSpec(ctx: StepContext, worker: PlannedNode, masters: readonly PlannedNode[], after: readonly string[]): CommandSpec {
    const asker = masters[(worker.index - 1) % masters.length];
    return commandSpec({
        name: commandName(ctx.prefix, "agent-reregister", worker.name),
        node: asker.name,
        host: asker.privateIp,
        step: "agent-reregister",
        scriptFile: "agent-reregister.sh",
        args: [
            "--hostname", worker.fqdn,
            "--timeout", String(LIMITS.agentReregister.script),
            // The asking master's own HTTP credentials file (a path, never the value).
            "--credentials", secretPath("httpOperator"),
            ...masters.map((m) => `http://${m.privateIp}:${PORTS.mesosMaster}`),
        ],
        outerTimeout: LIMITS.agentReregister.outer,
        dependsOn: after,
        triggerNodes: [worker.name],
    });
}
