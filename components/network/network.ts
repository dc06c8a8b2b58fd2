import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface ClusterNetworkArgs {
    readonly vpcCidr: string;
    readonly publicSubnetCidr: string;
    readonly privateSubnetCidr: string;
    readonly availabilityZone: string;
    /** The NAT gateway's fixed private address (kept by the plan, so no node can lose it). */
    readonly natGatewayIp: string;
    readonly tags: Record<string, string>;
}

/**
 * One VPC, one public subnet (the border and the NAT gateway) and one private subnet (quorum,
 * master, worker), in a single availability zone: fixed private IPs pin every node to its
 * subnet, and so to that zone.
 */
export class ClusterNetwork extends pulumi.ComponentResource {
    readonly vpc: aws.ec2.Vpc;
    readonly publicSubnet: aws.ec2.Subnet;
    readonly privateSubnet: aws.ec2.Subnet;
    readonly natGateway: aws.ec2.NatGateway;
    readonly routeTables: aws.ec2.RouteTable[];

    constructor(name: string, args: ClusterNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mesos-cluster:network:ClusterNetwork", name, {}, opts);
        const parent = { parent: this };
        const tags = (suffix: string) => ({ ...args.tags, Name: `${name}-${suffix}` });

        this.vpc = new aws.ec2.Vpc(`${name}-vpc`, {
            cidrBlock: args.vpcCidr,
            enableDnsSupport: true,
            enableDnsHostnames: true,
            tags: tags("vpc"),
        }, parent);

        // The VPC's default group allows all traffic between its members; nothing uses it, so
        // take its rules away rather than leave an open group for someone to attach by mistake.
        new aws.ec2.DefaultSecurityGroup(`${name}-default-sg`, { vpcId: this.vpc.id, tags: tags("default-sg") }, parent);

        const igw = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: this.vpc.id, tags: tags("igw") }, parent);

        this.publicSubnet = new aws.ec2.Subnet(`${name}-public`, {
            vpcId: this.vpc.id,
            cidrBlock: args.publicSubnetCidr,
            availabilityZone: args.availabilityZone,
            mapPublicIpOnLaunch: false,
            tags: tags("public"),
        }, parent);
        this.privateSubnet = new aws.ec2.Subnet(`${name}-private`, {
            vpcId: this.vpc.id,
            cidrBlock: args.privateSubnetCidr,
            availabilityZone: args.availabilityZone,
            mapPublicIpOnLaunch: false,
            tags: tags("private"),
        }, parent);

        const natIp = new aws.ec2.Eip(`${name}-nat-ip`, { domain: "vpc", tags: tags("nat-ip") }, { ...parent, dependsOn: [igw] });
        this.natGateway = new aws.ec2.NatGateway(`${name}-nat`, {
            subnetId: this.publicSubnet.id,
            allocationId: natIp.id,
            privateIp: args.natGatewayIp,
            tags: tags("nat"),
        }, { ...parent, dependsOn: [igw] });

        // Routes as resources of their own, not inline: the S3 endpoint adds its own to both tables.
        const publicRoutes = new aws.ec2.RouteTable(`${name}-public-rt`, { vpcId: this.vpc.id, tags: tags("public-rt") }, parent);
        new aws.ec2.Route(`${name}-public-default`, { routeTableId: publicRoutes.id, destinationCidrBlock: "0.0.0.0/0", gatewayId: igw.id }, parent);
        new aws.ec2.RouteTableAssociation(`${name}-public-rta`, { subnetId: this.publicSubnet.id, routeTableId: publicRoutes.id }, parent);

        const privateRoutes = new aws.ec2.RouteTable(`${name}-private-rt`, { vpcId: this.vpc.id, tags: tags("private-rt") }, parent);
        new aws.ec2.Route(`${name}-private-default`, { routeTableId: privateRoutes.id, destinationCidrBlock: "0.0.0.0/0", natGatewayId: this.natGateway.id }, parent);
        new aws.ec2.RouteTableAssociation(`${name}-private-rta`, { subnetId: this.privateSubnet.id, routeTableId: privateRoutes.id }, parent);

        this.routeTables = [publicRoutes, privateRoutes];
        this.registerOutputs({
            vpcId: this.vpc.id,
            publicSubnetId: this.publicSubnet.id,
            privateSubnetId: this.privateSubnet.id,
        });
    }
}
