// First, before anything registers a resource: bounds the SDK's per-promise stack capture
// (issue 14; why and what stays intact: see the module and the README's performance section).
import "./components/runtime/promiseStacks";
import * as pulumi from "@pulumi/pulumi";
import { MesosCluster } from "./components/cluster";
import { loadConfig } from "./components/config/load";
import { ConfigError } from "./components/config/validate";
import { planCluster } from "./components/plan/clusterPlan";
import { renderAllUserData } from "./components/userdata/userData";
import { PORTS } from "./components/catalog/services";
import { firstBootPulls } from "./components/registry/pulls";

// The program's one data flow: config (parse + validate) → plan (pure) → rendering and
// resources. Every stage finishes before the next starts, so a config problem, or a node whose
// user data cannot fit, ends the run before any resource is registered.

/** Config problems end the run before any resource is registered, all of them listed. */
class InvalidStackConfig extends pulumi.RunError {
    constructor(readonly lines: readonly string[]) {
        super(`invalid stack config:\n${lines.map((line) => `error: ${line}`).join("\n")}`);
    }
}

/** Dangerous but allowed values: the engine shows them as warnings (offline: on stderr). */
function warn(lines: readonly string[]) {
    for (const line of lines) void pulumi.log.warn(line);
}

function prepare() {
    try {
        const loaded = loadConfig();
        warn(loaded.warnings);
        const plan = planCluster(loaded.config);
        const rendered = renderAllUserData(plan);
        if (rendered.errors.length > 0) throw new ConfigError(rendered.errors);
        return { ...loaded, plan, userData: rendered.userData, bundles: rendered.bundles };
    } catch (err) {
        if (err instanceof ConfigError) {
            warn(err.warnings);
            throw new InvalidStackConfig(err.lines);
        }
        throw err;
    }
}

/**
 * The program, as the Pulumi CLI runs it: run.js loads this module, calls the function it
 * exports and awaits it; what it resolves to is the stack's outputs. Async so that the nodes
 * can be built a batch at a time with the event loop running between batches (see
 * components/runtime/batches.ts); a config error still throws before any resource is made.
 */
export = async function mesosCluster() {
    const { plan, userData, bundles, sshPrivateKey, dockerHub, httpOperatorPassword, rebuild } = prepare();
    const cluster = await MesosCluster.create(plan.clusterId, { plan, userData, bundles, sshPrivateKey, dockerHub, httpOperatorPassword, rebuild });

    const preferred = plan.nodes.find((n) => n.name === plan.preferredLeader) ?? plan.nodes.find((n) => n.role === "master")!;

    return {
        borderPublicIp: cluster.borderPublicIp,
        nodes: cluster.nodes,
        mesosQuorum: plan.mesosQuorum,
        exhibitorStaticEnsemble: plan.exhibitorStaticEnsemble,
        // Any master answers: a non-leader redirects (Mesos: 307 to the leader) or proxies (Marathon).
        mesosUrl: `http://${preferred.fqdn}:${PORTS.mesosMaster}`,
        marathonUrl: `http://${preferred.fqdn}:${PORTS.marathon}`,
        sshCommand: pulumi.interpolate`ssh -J ${plan.sshUser}@${cluster.borderPublicIp} ${plan.sshUser}@${preferred.privateIp}`,
        /** Each post-step command by name: the node it runs on and its step (the plan CLI lists them). */
        postSteps: cluster.postSteps.steps,
        /** First-boot image pulls per egress address and registry (the plan CLI shows and checks them). */
        imagePulls: firstBootPulls(plan),
    };
};
