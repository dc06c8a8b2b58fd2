import * as path from "path";
import type { PostStep } from "../../components/poststeps/commandSpec";
import { ANY_REPLACEMENT, PlanCommand } from "../../scripts/offline/planCli";
import { LabDns } from "./dns";
import { Hosts, PREFIX } from "./hosts";
import { LabPrometheus } from "./monitoring";
import type { LabNode, LabPlan } from "./plan";
import { LabError } from "./proc";
import { PostSteps } from "./poststeps";
import type { Report } from "./report";
import { Services } from "./services";
import { LabSsm } from "./secrets";

/**
 * s: faults (a) and (c) shorten the scripts' --timeout (and the outer `timeout`) to this on
 * the command line of a copy; the script bodies are the plan's. The replay runs them verbatim.
 */
export const FAULT_SCRIPT_TIMEOUT = 12;

/**
 * What every scenario works with: the plan, its hosts, the DNS server they resolve through,
 * their services, Prometheus on the preferred master, the post-step runner.
 */
export class LabCluster {
    readonly dns: LabDns;
    readonly hosts: Hosts;
    readonly services: Services;
    readonly postSteps: PostSteps;
    /** The master seed 000 replaces and that must lead at the end. */
    readonly preferred: LabNode;
    readonly prometheus: LabPrometheus;
    /** The SSM stand-in the nodes fetch their secrets and host keys from at boot. */
    readonly ssm: LabSsm;

    /** `replaced`: the plan after every node's instance was replaced (new ids): a rebuilt node's new host key. */
    constructor(
        readonly plan: LabPlan,
        readonly labDir: string,
        sessionTimeout: number,
        readonly replaced: LabPlan,
    ) {
        this.dns = new LabDns(plan, labDir, PREFIX);
        this.hosts = new Hosts(plan, labDir, this.dns.resolvConf());
        this.services = new Services(this.hosts, sessionTimeout);
        this.postSteps = new PostSteps(this.hosts, plan.dir, path.join(labDir, "fault-scripts"));
        this.preferred = this.hosts.node(plan.preferredLeader);
        this.prometheus = new LabPrometheus(this.hosts, plan, this.preferred);
        this.ssm = new LabSsm(plan, labDir, PREFIX, this.dns.address);
    }

    /** The post-step runner for another plan's scripts (the plan after a node was added). */
    postStepsOf(plan: LabPlan): PostSteps {
        return new PostSteps(this.hosts, plan.dir, path.join(this.labDir, "fault-scripts"));
    }

    /**
     * A new machine for `node`: its secrets and host key from the SSM stand-in as `source` (the
     * plan that created this instance: `replaced` for a rebuilt node, the grown plan for an added
     * one) has them, then its units as the cloud-config would start them.
     */
    boot(node: LabNode, mac: string, { autostartLeaders, source = this.plan }: { autostartLeaders: boolean; source?: LabPlan }): void {
        const planned = source.nodes.find((n) => n.name === node.name);
        if (!planned) throw new LabError(`${node.name} is not in the plan it is booted from`);
        this.ssm.install(planned, source);
        this.hosts.boot(planned, mac, this.services.units(node, { autostartLeaders }), (hostKey, script) => this.ssm.bootScript(planned, hostKey, script));
    }

    /**
     * What `pulumi up` re-runs when `name` is replaced: the plan's commands whose triggers hold
     * that node's instance id or the any-replacement marker, in the plan's order.
     */
    replacementCommands(name: string): PlanCommand[] {
        return this.plan.commands.filter((c) => c.triggers.includes(name) || c.triggers.includes(ANY_REPLACEMENT));
    }

    /** The plan's commands of one step, in the plan's order. */
    commands(step: PostStep): PlanCommand[] {
        return this.plan.commands.filter((c) => c.step === step);
    }
}

/** A scenario replays something on the lab and registers its checks with the report. */
export interface Scenario {
    readonly title: string;
    run(lab: LabCluster, report: Report): Promise<void>;
}
