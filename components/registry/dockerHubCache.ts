import * as aws from "../runtime/aws";
import * as pulumi from "@pulumi/pulumi";
import type { DockerHubCredentials } from "../config/load";
import { DOCKER_HUB_UPSTREAM } from "./images";

export interface DockerHubCacheArgs {
    /** ECR repository prefix of the cache (dockerHubCachePrefix). */
    readonly prefix: string;
    /** The operator's Docker Hub username and access token: a secret Output. */
    readonly credentials: pulumi.Output<DockerHubCredentials>;
    readonly tags: Record<string, string>;
}

/**
 * The cluster's ECR pull-through cache for Docker Hub: nodes pull `<registry>/<prefix>/<path>`
 * from ECR, ECR pulls from Docker Hub with the operator's credential on a miss (and re-checks
 * the tag at most once a day), so Docker Hub sees one authenticated pull per image, not one
 * anonymous pull per node. ECR reads the credential from Secrets Manager, under the
 * `ecr-pullthroughcache/` prefix it requires.
 */
export class DockerHubCache extends pulumi.ComponentResource {
    readonly secret: aws.secretsmanager.Secret;
    readonly rule: aws.ecr.PullThroughCacheRule;

    constructor(name: string, args: DockerHubCacheArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mesos-cluster:registry:DockerHubCache", name, {}, opts);
        const parent = { parent: this };
        // A prefix, not a name: a deleted secret keeps its name for its recovery window, and a
        // stack destroyed and created again must not collide with it.
        this.secret = new aws.secretsmanager.Secret(`${name}-credential`, {
            namePrefix: `ecr-pullthroughcache/${args.prefix}-`,
            description: `Docker Hub credential of the ECR pull-through cache ${args.prefix} (${args.tags.Cluster})`,
            tags: args.tags,
        }, parent);
        const version = new aws.secretsmanager.SecretVersion(`${name}-credential`, {
            secretId: this.secret.id,
            // The JSON keys ECR reads for a Docker Hub upstream.
            secretString: pulumi.secret(args.credentials.apply((c) => JSON.stringify({ username: c.username, accessToken: c.accessToken }))),
        }, parent);
        this.rule = new aws.ecr.PullThroughCacheRule(name, {
            ecrRepositoryPrefix: args.prefix,
            upstreamRegistryUrl: DOCKER_HUB_UPSTREAM,
            credentialArn: this.secret.arn,
        }, { parent: this, dependsOn: [version] });
        this.registerOutputs({});
    }
}
