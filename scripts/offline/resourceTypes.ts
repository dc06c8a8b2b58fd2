/**
 * The resource type tokens the offline tools (plan, replace, the lab) and the tests look for in an
 * evaluation: one list, so a provider's rename is one edit.
 */
export const TYPES = {
    instance: "aws:ec2/instance:Instance",
    vpc: "aws:ec2/vpc:Vpc",
    subnet: "aws:ec2/subnet:Subnet",
    natGateway: "aws:ec2/natGateway:NatGateway",
    eip: "aws:ec2/eip:Eip",
    routeTable: "aws:ec2/routeTable:RouteTable",
    route: "aws:ec2/route:Route",
    routeTableAssociation: "aws:ec2/routeTableAssociation:RouteTableAssociation",
    securityGroup: "aws:ec2/securityGroup:SecurityGroup",
    ingressRule: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    egressRule: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    dnsRecord: "aws:route53/record:Record",
    bundleObject: "aws:s3/bucketObjectv2:BucketObjectv2",
    remoteCommand: "command:remote:Command",
} as const;
