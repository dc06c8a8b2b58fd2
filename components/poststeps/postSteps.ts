import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { ClusterPlan } from "../plan/clusterPlan";
import type { PostStep } from "./commandSpec";
import { planPostSteps } from "./sequence";
import { LeanRemoteCommand } from "../runtime/leanResources";

export interface PostStepsArgs {
    readonly plan: ClusterPlan;
    /** Every node's instance, by node name: master ids are the triggers, each node's own instance must exist first. */
    readonly instances: ReadonlyMap<string, pulumi.CustomResource & { readonly id: pulumi.Output<string> }>;
    /** The jump host: every SSH connection goes through the border's public address. */
    readonly borderPublicIp: pulumi.Input<string>;
    readonly sshUser: string;
    readonly sshPrivateKey: pulumi.Input<string>;
    /** Nodes `npm run replace` is rebuilding in this run (MESOS_CLUSTER_REBUILD). */
    readonly rebuild: ReadonlySet<string>;
}

/**
 * The post-steps as remote commands. @pulumi/command replaces (re-runs) a command whose
 * triggers change: each carries the ids of the nodes whose replacement it repairs (see
 * sequence.ts), and the cluster-wide ones the replacement marker. No delete scripts: on
 * replacement they would run against the new host at the same IP.
 */
export class PostSteps extends pulumi.ComponentResource {
    /** command.remote.Command as registered, holding `id` only (see runtime/leanResources.ts). */
    readonly commands: ReadonlyMap<string, LeanRemoteCommand>;
    /** Each command's node and step, by command name, in run order. */
    readonly steps: readonly { readonly name: string; readonly node: string; readonly step: PostStep }[];

    constructor(name: string, args: PostStepsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mesos-cluster:poststeps:PostSteps", name, {}, opts);
        const instanceOf = (node: string) => {
            const instance = args.instances.get(node);
            if (!instance) throw new Error(`PostSteps: no instance for ${node}`);
            return instance;
        };
        // Every command's connection, through the border: the jump host's address and the key are
        // resolved once for all of them, and each connection is one Output (the SDK class, and
        // LeanRemoteCommand, then wrap it as a secret), not a structure of Outputs to walk.
        const through = pulumi.all([args.borderPublicIp, args.sshPrivateKey]);
        const connectionTo = (host: string) =>
            through.apply(([borderIp, privateKey]) => ({ host, user: args.sshUser, privateKey, proxy: { host: borderIp, user: args.sshUser, privateKey } }));
        // The cluster's replacement marker: a new value only in a run that rebuilds nodes (the
        // keepers name them and their new ids), the stored one otherwise. Commands every node
        // must redo after any replacement carry it as a trigger.
        const rebuilt = [...args.rebuild].sort();
        const marker = new random.RandomId(`${name}-replacement`, {
            byteLength: 8,
            keepers: {
                rebuilt: pulumi.all(rebuilt.map((node) => instanceOf(node).id)).apply((ids) => rebuilt.map((node, i) => `${node}=${ids[i]}`).join(",")),
            },
        }, { parent: this, ignoreChanges: rebuilt.length > 0 ? [] : ["keepers"] });
        const commands = new Map<string, LeanRemoteCommand>();
        const specs = planPostSteps(args.plan, name);
        for (const spec of specs) {
            const after = spec.dependsOn.map((dependency) => {
                const resource = commands.get(dependency);
                if (!resource) throw new Error(`PostSteps: ${spec.name} depends on ${dependency}, which is not planned before it`);
                return resource;
            });
            commands.set(spec.name, new LeanRemoteCommand(spec.name, {
                connection: connectionTo(spec.host),
                create: spec.script,
                triggers: [...spec.triggerNodes.map((node) => instanceOf(node).id), ...(spec.onAnyReplacement ? [marker.hex] : [])],
            }, {
                parent: this,
                // The node's own instance: a worker's arp-purge must not dial before it exists.
                dependsOn: [...after, instanceOf(spec.node)],
            }));
        }
        this.commands = commands;
        this.steps = specs.map(({ name: commandName, node, step }) => ({ name: commandName, node, step }));
        this.registerOutputs({ commands: [...commands.keys()] });
    }
}
