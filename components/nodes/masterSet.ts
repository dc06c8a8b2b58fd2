import * as aws from "../runtime/aws";
import * as pulumi from "@pulumi/pulumi";

/**
 * The master set, fixed once the cluster exists. The Exhibitor ensemble numbers masters by
 * their addresses sorted as strings, and every master keeps the --quorum and ensemble it was
 * created with: a new count or new addresses would renumber members (an id moving to another
 * host) or let new masters form a majority of their own (3 -> 7: five new ones outvote the old
 * two). DC/OS refuses a change of master count too.
 *
 * So the ensemble is held by a protected resource that every instance depends on, replaced on
 * any change of its value: `pulumi up` with another master set stops at this resource, before
 * any instance changes (the engine refuses to replace a protected resource).
 */
export function masterSetGuard(name: string, args: { clusterId: string; ensemble: string; tags: Record<string, string> }, opts: pulumi.CustomResourceOptions): aws.ssm.Parameter {
    return new aws.ssm.Parameter(`${name}-master-set`, {
        name: `/mesos-cluster/${args.clusterId}/master-set`,
        type: "String",
        value: args.ensemble,
        description: "The fixed master set (Exhibitor static ensemble) of this cluster; a change is refused, see docs/replace.md",
        tags: args.tags,
    }, { ...opts, protect: true, replaceOnChanges: ["value"] });
}
