import type { Role } from "../catalog/roles";

/** One IAM policy statement, as the policy document's JSON has it. */
export interface PolicyStatement {
    readonly Effect: "Allow" | "Deny";
    readonly Action: readonly string[];
    readonly Resource: string | readonly string[];
}

/**
 * What each role's instances may do in AWS, and nothing more. Masters run Prometheus, whose
 * EC2 service discovery needs ec2:DescribeInstances (which has no resource-level permissions,
 * hence "*"); no other role calls AWS at all.
 */
export function roleStatements(role: Role): PolicyStatement[] {
    switch (role) {
        case "master":
            return [{ Effect: "Allow", Action: ["ec2:DescribeInstances"], Resource: "*" }];
        default:
            return [];
    }
}

export const EC2_ASSUME_ROLE = {
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
} as const;
