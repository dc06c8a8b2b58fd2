import * as aws from "../runtime/aws";
import * as pulumi from "@pulumi/pulumi";

export interface NetworkZoneArgs {
    readonly name: string;
    readonly publicSubnetCidr: string;
    readonly privateSubnetCidr: string;
}

export interface ClusterNetworkArgs {
    readonly vpcCidr: string;
    /** In config order: the first is the home zone (the border, the single NAT gateway). */
    readonly zones: readonly NetworkZoneArgs[];
    /** The NAT gateways' fixed private addresses (kept by the plan, so no node can take one), by zone. */
    readonly natGateways: readonly { readonly zone: string; readonly ip: string }[];
    readonly tags: Record<string, string>;
}

/** One zone's share of the network. */
export interface NetworkZone {
    readonly name: string;
    readonly publicSubnet: aws.ec2.Subnet;
    readonly privateSubnet: aws.ec2.Subnet;
    /** The zone's own NAT gateway; none in the other zones when the stack shares a single one. */
    readonly natGateway?: aws.ec2.NatGateway;
    /** Sends the private subnet's egress to a NAT gateway: the zone's own, or the shared one. */
    readonly privateRouteTable: aws.ec2.RouteTable;
}

/**
 * One VPC and, in each availability zone, a public subnet (the border in the first zone, a NAT
 * gateway) and a private subnet (quorum, master, worker) with a route table of its own, whose
 * default route goes to the zone's NAT gateway, or to the first zone's when the stack shares a
 * single one. Fixed private IPs pin every node to its subnet, and so to its zone.
 *
 * Names: the first zone keeps the names a single-zone stack always had (`-public`, `-private`,
 * `-nat`, `-private-rt`, ...); each further zone's resources carry its name as a suffix. So a
 * single-zone stack plans the very same resources as before zones existed, and the first zone
 * must stay first in a running stack.
 */
export class ClusterNetwork extends pulumi.ComponentResource {
    readonly vpc: aws.ec2.Vpc;
    readonly zones: ReadonlyMap<string, NetworkZone>;
    /** Every route table (the public one, each zone's private one): the S3 endpoint adds its routes to all. */
    readonly routeTables: aws.ec2.RouteTable[];

    constructor(name: string, args: ClusterNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mesos-cluster:network:ClusterNetwork", name, {}, opts);
        const parent = { parent: this };
        const tags = (suffix: string) => ({ ...args.tags, Name: `${name}-${suffix}` });
        if (args.zones.length === 0) throw new Error("ClusterNetwork needs at least one zone");

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

        // One public route table for every public subnet: they all go out through the internet gateway.
        // Routes as resources of their own, not inline: the S3 endpoint adds its own to every table.
        const publicRoutes = new aws.ec2.RouteTable(`${name}-public-rt`, { vpcId: this.vpc.id, tags: tags("public-rt") }, parent);
        new aws.ec2.Route(`${name}-public-default`, { routeTableId: publicRoutes.id, destinationCidrBlock: "0.0.0.0/0", gatewayId: igw.id }, parent);

        const natIps = new Map(args.natGateways.map((nat) => [nat.zone, nat.ip]));
        const zones = new Map<string, Omit<NetworkZone, "privateRouteTable">>();
        args.zones.forEach((zone, i) => {
            // "-public" in the first zone, "-public-eu-west-1b" in the others.
            const at = (suffix: string) => (i === 0 ? suffix : `${suffix}-${zone.name}`);
            // No public IP on launch in either: only the border's Elastic IP is public.
            const subnet = (kind: "public" | "private", cidrBlock: string) =>
                new aws.ec2.Subnet(`${name}-${at(kind)}`, {
                    vpcId: this.vpc.id,
                    cidrBlock,
                    availabilityZone: zone.name,
                    mapPublicIpOnLaunch: false,
                    tags: tags(at(kind)),
                }, parent);
            const publicSubnet = subnet("public", zone.publicSubnetCidr);
            const privateSubnet = subnet("private", zone.privateSubnetCidr);
            new aws.ec2.RouteTableAssociation(`${name}-${at("public-rta")}`, { subnetId: publicSubnet.id, routeTableId: publicRoutes.id }, parent);

            const natIp = natIps.get(zone.name);
            let natGateway: aws.ec2.NatGateway | undefined;
            if (natIp !== undefined) {
                const eip = new aws.ec2.Eip(`${name}-${at("nat-ip")}`, { domain: "vpc", tags: tags(at("nat-ip")) }, { ...parent, dependsOn: [igw] });
                natGateway = new aws.ec2.NatGateway(`${name}-${at("nat")}`, {
                    subnetId: publicSubnet.id,
                    allocationId: eip.id,
                    privateIp: natIp,
                    tags: tags(at("nat")),
                }, { ...parent, dependsOn: [igw] });
            }
            zones.set(zone.name, { name: zone.name, publicSubnet, privateSubnet, natGateway });
        });

        const unknown = args.natGateways.filter((nat) => !zones.has(nat.zone)).map((nat) => nat.zone);
        if (unknown.length > 0) throw new Error(`NAT gateways planned in zones the network does not have: ${unknown.join(", ")}`);
        const home = zones.get(args.zones[0].name)!;
        if (!home.natGateway) throw new Error(`the first zone ${home.name} has no NAT gateway`);

        const complete = new Map<string, NetworkZone>();
        args.zones.forEach((zone, i) => {
            const at = (suffix: string) => (i === 0 ? suffix : `${suffix}-${zone.name}`);
            const own = zones.get(zone.name)!;
            // A zone without a NAT gateway of its own (natGateways: single) uses the first zone's.
            const nat = own.natGateway ?? home.natGateway!;
            const privateRoutes = new aws.ec2.RouteTable(`${name}-${at("private-rt")}`, { vpcId: this.vpc.id, tags: tags(at("private-rt")) }, parent);
            new aws.ec2.Route(`${name}-${at("private-default")}`, { routeTableId: privateRoutes.id, destinationCidrBlock: "0.0.0.0/0", natGatewayId: nat.id }, parent);
            new aws.ec2.RouteTableAssociation(`${name}-${at("private-rta")}`, { subnetId: own.privateSubnet.id, routeTableId: privateRoutes.id }, parent);
            complete.set(zone.name, { ...own, privateRouteTable: privateRoutes });
        });

        this.zones = complete;
        this.routeTables = [publicRoutes, ...[...complete.values()].map((zone) => zone.privateRouteTable)];
        this.registerOutputs({
            vpcId: this.vpc.id,
            publicSubnetIds: [...complete.values()].map((zone) => zone.publicSubnet.id),
            privateSubnetIds: [...complete.values()].map((zone) => zone.privateSubnet.id),
        });
    }

    /** The subnet of a zone: public (the border) or private (everyone else). */
    subnet(zone: string, kind: "public" | "private"): aws.ec2.Subnet {
        const found = this.zones.get(zone);
        if (!found) throw new Error(`the network has no zone ${zone}`);
        return kind === "public" ? found.publicSubnet : found.privateSubnet;
    }
}
