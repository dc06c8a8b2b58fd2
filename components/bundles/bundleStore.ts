import * as aws from "../runtime/aws";
import * as pulumi from "@pulumi/pulumi";
import type { Role } from "../catalog/roles";
import type { RoleBundle } from "../userdata/roleBundle";

export interface BundleStoreArgs {
    readonly region: string;
    readonly vpcId: pulumi.Input<string>;
    /** Route tables whose subnets fetch bundles: they get the S3 gateway endpoint's routes. */
    readonly routeTableIds: pulumi.Input<string>[];
    readonly bundles: ReadonlyMap<Role, RoleBundle>;
    readonly tags: Record<string, string>;
}

/**
 * The role bundles' home: a private, encrypted bucket that only this VPC can read from, through
 * an S3 gateway endpoint (free, and no NAT traffic for it). A bundle holds no secret (the same
 * kind of text as user data, which any process on a node can read from IMDS), so the bucket
 * policy grants GetObject on bundles/* to requests that come through the endpoint, unsigned:
 * a node needs no AWS CLI and no credentials to boot. Keys are content hashes: a node fetches
 * exactly the bundle its user data was made with.
 */
export class BundleStore extends pulumi.ComponentResource {
    /** The bucket's regional host name: what a node's BundleBucket tag holds. */
    readonly host: pulumi.Output<string>;
    readonly objects: ReadonlyMap<Role, aws.s3.BucketObjectv2>;
    /** What must exist before a node can fetch its bundle. */
    readonly ready: pulumi.Resource[];

    constructor(name: string, args: BundleStoreArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mesos-cluster:bundles:BundleStore", name, {}, opts);
        const parent = { parent: this };
        // Bundles are derived from the program: nothing in the bucket is worth keeping at destroy.
        const bucket = new aws.s3.Bucket(`${name}-bucket`, { forceDestroy: true, tags: { ...args.tags, Name: `${name}-bucket` } }, parent);
        const blocked = new aws.s3.BucketPublicAccessBlock(`${name}-public-access`, {
            bucket: bucket.id,
            blockPublicAcls: true,
            blockPublicPolicy: true,
            ignorePublicAcls: true,
            restrictPublicBuckets: true,
        }, parent);
        new aws.s3.BucketOwnershipControls(`${name}-ownership`, { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } }, parent);
        new aws.s3.BucketServerSideEncryptionConfiguration(`${name}-encryption`, {
            bucket: bucket.id,
            rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
        }, parent);
        const endpoint = new aws.ec2.VpcEndpoint(`${name}-s3-endpoint`, {
            vpcId: args.vpcId,
            serviceName: `com.amazonaws.${args.region}.s3`,
            vpcEndpointType: "Gateway",
            routeTableIds: args.routeTableIds,
            tags: { ...args.tags, Name: `${name}-s3-endpoint` },
        }, parent);
        const policy = new aws.s3.BucketPolicy(`${name}-policy`, {
            bucket: bucket.id,
            policy: pulumi.all([bucket.arn, endpoint.id]).apply(([arn, vpce]) => JSON.stringify(bundleBucketPolicy(arn, vpce))),
        }, { ...parent, dependsOn: [blocked] });
        const objects = new Map<Role, aws.s3.BucketObjectv2>();
        for (const [role, bundle] of args.bundles) {
            objects.set(role, new aws.s3.BucketObjectv2(`${name}-${role}`, {
                bucket: bucket.id,
                key: bundle.key,
                content: bundle.script,
                contentType: "text/x-shellscript",
                tags: { ...args.tags, Role: role },
            }, parent));
        }
        this.host = bucket.bucketRegionalDomainName;
        this.objects = objects;
        this.ready = [policy, endpoint];
        this.registerOutputs({ host: this.host });
    }
}

/** Read-only, bundles only, only through the cluster's own endpoint, only over TLS. */
export function bundleBucketPolicy(bucketArn: string, vpceId: string) {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "NodesReadBundlesThroughTheVpcEndpoint",
                Effect: "Allow",
                Principal: "*",
                Action: ["s3:GetObject"],
                Resource: [`${bucketArn}/bundles/*`],
                Condition: { StringEquals: { "aws:SourceVpce": vpceId } },
            },
            {
                Sid: "TlsOnly",
                Effect: "Deny",
                Principal: "*",
                Action: ["s3:*"],
                Resource: [bucketArn, `${bucketArn}/*`],
                Condition: { Bool: { "aws:SecureTransport": "false" } },
            },
        ],
    };
}
