/**
 * The @pulumi/aws services the program uses, each from its own module. `import * as aws from
 * "@pulumi/aws"` makes TypeScript read the declarations of all ~250 services (2,715 files,
 * 31 MB) to type-check a program that uses nine; the per-service modules are the same classes
 * (the package's index only re-exports them, lazily), registered with the same type tokens and
 * provider version.
 */
export * as ec2 from "@pulumi/aws/ec2";
export * as ecr from "@pulumi/aws/ecr";
export * as iam from "@pulumi/aws/iam";
export * as route53 from "@pulumi/aws/route53";
export * as s3 from "@pulumi/aws/s3";
export * as secretsmanager from "@pulumi/aws/secretsmanager";
export * as ssm from "@pulumi/aws/ssm";
export * as vpc from "@pulumi/aws/vpc";
export { getCallerIdentityOutput } from "@pulumi/aws/getCallerIdentity";
