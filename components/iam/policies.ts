import type { Role } from "../catalog/roles";
import { awsPartition } from "../registry/images";

/** One IAM policy statement, as the policy document's JSON has it. */
export interface PolicyStatement {
    readonly Sid?: string;
    readonly Effect: "Allow" | "Deny";
    readonly Action: readonly string[];
    readonly Resource: string | readonly string[];
    readonly Condition?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
}

/** Where a role's secrets live in SSM Parameter Store (catalog/secrets.ts: /<clusterId>/<role>[/<node>]). */
export interface SecretsScope {
    readonly region: string;
    readonly account: string;
    readonly clusterId: string;
}

/** The ARN of an SSM parameter (or path) whose name starts with "/": no second slash. */
export function parameterArn(scope: SecretsScope, name: string): string {
    if (!name.startsWith("/")) throw new Error(`parameter names here are hierarchical, starting with /: ${name}`);
    return `arn:${awsPartition(scope.region)}:ssm:${scope.region}:${scope.account}:parameter${name}`;
}

/**
 * Reading the role's own secrets and nothing else: GetParameter(s) and GetParametersByPath on
 * /<clusterId>/<role> (the path itself, which GetParametersByPath is authorized on) and below it
 * (its parameters and its nodes' paths). kms:Decrypt only when SSM asks on the node's behalf
 * (kms:ViaService) for a parameter of that path (SSM's encryption context PARAMETER_ARN), with a
 * key of the account and region, so
 * the key decrypts nothing else for it. No Describe, no Put, no other path.
 */
export function secretStatements(role: Role, scope: SecretsScope): PolicyStatement[] {
    const path = `/${scope.clusterId}/${role}`;
    return [
        {
            Sid: "ReadOwnRoleSecrets",
            Effect: "Allow",
            Action: ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"],
            Resource: [parameterArn(scope, path), parameterArn(scope, `${path}/*`)],
        },
        {
            Sid: "DecryptOwnRoleSecretsThroughSsm",
            Effect: "Allow",
            Action: ["kms:Decrypt"],
            // The key is SSM's default (aws/ssm), whose id is the account's: any key of the account
            // and region, narrowed by the conditions to SSM decrypting this role's parameters.
            Resource: `arn:${awsPartition(scope.region)}:kms:${scope.region}:${scope.account}:key/*`,
            Condition: {
                StringEquals: { "kms:ViaService": `ssm.${scope.region}.amazonaws.com` },
                StringLike: { "kms:EncryptionContext:PARAMETER_ARN": parameterArn(scope, `${path}/*`) },
            },
        },
    ];
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
 * hence "*"); roles that pull through the Docker Hub cache (`ecr`, given only to those) read it;
 * every role reads its own secrets (`secrets`: secretStatements).
 */
export function roleStatements(role: Role, ecr?: EcrCacheScope, secrets?: SecretsScope): PolicyStatement[] {
    const own: PolicyStatement[] = role === "master" ? [{ Effect: "Allow", Action: ["ec2:DescribeInstances"], Resource: "*" }] : [];
    return [...own, ...(ecr ? ecrCacheStatements(ecr) : []), ...(secrets ? secretStatements(role, secrets) : [])];
}

export const EC2_ASSUME_ROLE = {
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
} as const;
