import type { Role } from "../catalog/roles";
import { awsPartition } from "../registry/images";

/** One IAM policy statement, as the policy document's JSON has it. */
export interface PolicyStatement {
    readonly Sid?: string;
    readonly Effect: "Allow" | "Deny";
    readonly Action: readonly string[];
    readonly Resource: string | readonly string[];
}

/** The cluster's Docker Hub cache in ECR: the repositories under `prefix/` of one registry. */
export interface EcrCacheScope {
    readonly region: string;
    readonly account: string;
    readonly prefix: string;
}

/** The repositories the pull-through cache creates: `<prefix>/<docker hub path>`, nothing else. */
export function cacheRepositoriesArn(scope: EcrCacheScope): string {
    return `arn:${awsPartition(scope.region)}:ecr:${scope.region}:${scope.account}:repository/${scope.prefix}/*`;
}

/**
 * Pulling through the cache with the instance profile (docker-credential-ecr-login): a registry
 * token (GetAuthorizationToken has no resource-level permissions, hence "*"), the three read
 * actions of a pull, and what a pull that misses the cache needs (AWS's "IAM permissions
 * required to sync an upstream registry": CreateRepository when the cached repository does not
 * exist yet, BatchImportUpstreamImage to import the upstream image), on the cache's
 * repositories only. No push, no delete, no other repository.
 */
export function ecrCacheStatements(scope: EcrCacheScope): PolicyStatement[] {
    return [
        { Sid: "EcrToken", Effect: "Allow", Action: ["ecr:GetAuthorizationToken"], Resource: "*" },
        {
            Sid: "PullThroughDockerHubCache",
            Effect: "Allow",
            Action: ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchImportUpstreamImage", "ecr:CreateRepository"],
            Resource: cacheRepositoriesArn(scope),
        },
    ];
}

/**
 * What each role's instances may do in AWS, and nothing more. Masters run Prometheus, whose
 * EC2 service discovery needs ec2:DescribeInstances (which has no resource-level permissions,
 * hence "*"); roles that pull through the Docker Hub cache (`ecr`, given only to those) read it.
 */
export function roleStatements(role: Role, ecr?: EcrCacheScope): PolicyStatement[] {
    const own: PolicyStatement[] = role === "master" ? [{ Effect: "Allow", Action: ["ec2:DescribeInstances"], Resource: "*" }] : [];
    return [...own, ...(ecr ? ecrCacheStatements(ecr) : [])];
}

export const EC2_ASSUME_ROLE = {
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
} as const;
