import { secretPath } from "../catalog/secrets";
import { PORTS, SERVICES } from "../catalog/services";
import { CommandSpec, commandName, commandSpec, LIMITS } from "./commandSpec";
import type { Node, StepContext } from "./stepContext";

export interface StepDownArgs {
    readonly masters: readonly Node[];
    /** The master that must lead Mesos and Marathon at the end. */
    readonly preferred: string;
    readonly domain: string;
    readonly quorum: number;
}

/**
 * The elected-master runbook's last step, "force master-1 to lead again", as rounds. Mesos has
 * no step-down endpoint and its oldest ZooKeeper contender leads, so a leader steps down by
 * restarting and rejoins last: at most n-1 step-downs reach the preferred master. Each round
 * visits every master in turn, and a master acts only when it leads and is not the preferred
 * one, so every round performs at least one step-down while the preferred master does not
 * lead. A verify on the preferred master closes the chain.
 */
export function leaderStepDownRounds(ctx: StepContext, args: StepDownArgs, after: readonly string[]): CommandSpec[] {
    const preferred = args.masters.find((m) => m.name === args.preferred);
    if (!preferred) throw new Error(`preferredLeader ${args.preferred} is not a master (config validation should have refused it)`);
    const common = [
        "--preferred", args.preferred,
        "--domain", args.domain,
        "--quorum", String(args.quorum),
        "--mesos-port", String(PORTS.mesosMaster),
        "--marathon-port", String(PORTS.marathon),
        "--mesos-unit", SERVICES.mesosMaster.unit,
        // Marathon's HTTP API wants the operator's credentials: the script reads them from the
        // master's own secret file (a path here, never the value).
        "--credentials", secretPath("httpOperator"),
    ];
    const masterPairs = args.masters.map((m) => `${m.name}=${m.privateIp}`);
    const specs: CommandSpec[] = [];
    let previous = after;
    const add = (node: Node, qualifier: string, mode: string[], limits: { script: number; outer: number }) => {
        const spec = commandSpec({
            name: qualifier === "verify" ? commandName(ctx.prefix, "leader-step-down", "verify") : commandName(ctx.prefix, "leader-step-down", node.name, qualifier),
            node: node.name,
            host: node.privateIp,
            step: "leader-step-down",
            scriptFile: "leader-step-down.sh",
            args: [...mode, ...common, "--timeout", String(limits.script), ...masterPairs],
            outerTimeout: limits.outer,
            dependsOn: previous,
            triggerNodes: ctx.triggerNodes,
        });
        specs.push(spec);
        previous = [spec.name];
    };
    for (let round = 1; round < args.masters.length; round++) {
        for (const master of args.masters) add(master, `r${round}`, ["--self", master.name], LIMITS.stepDown);
    }
    add(preferred, "verify", ["--verify"], LIMITS.verify);
    return specs;
}
