import { describe, expect, it } from "vitest";
import { checkConfig } from "../components/config/load";
import { ConfigError, validateConfig } from "../components/config/validate";
import { devRawConfig, devStackConfig, singleZoneRawConfig, withPatch } from "./helpers/devConfig";

const dev = devRawConfig();
// The cases below are about one subnet's addresses and the single-zone keys; the same over
// several zones are in config.zones.test.ts.
const single = singleZoneRawConfig();

function errorsOf(patch: Record<string, unknown>): string[] {
    const result = validateConfig(withPatch(single, patch));
    return result.ok ? [] : result.errors;
}

describe("stack config validation", () => {
    it("accepts the dev stack and fills defaults", () => {
        const result = validateConfig(dev);
        expect(result.ok).toBe(true);
        if (!result.ok) return;
        expect(result.config.nodes.master).toMatchObject({ count: 3, instanceType: "m5.large", rootVolumeGiB: 50 });
        expect(result.config.images.zookeeper).toMatch(/^public\.ecr\.aws\/docker\/library\/zookeeper:/);
        expect(result.config.ami.owner).toBe("099720109477");
    });

    // Each bad value is refused with a line naming the key and the offending value.
    const table: [string, Record<string, unknown>, RegExp][] = [
        ["even master count", { nodes: { master: { count: 4 } } }, /^mesos-cluster:nodes\.master\.count: 4 must be odd, from 1 to 9/],
        ["too many masters", { nodes: { master: { count: 11 } } }, /^mesos-cluster:nodes\.master\.count: 11 must be odd, from 1 to 9/],
        ["no masters", { nodes: { master: { count: 0 } } }, /^mesos-cluster:nodes\.master\.count: 0 must be odd/],
        ["even quorum count", { nodes: { quorum: { count: 2 } } }, /^mesos-cluster:nodes\.quorum\.count: 2 must be odd/],
        ["two border nodes", { nodes: { border: { count: 2 } } }, /^mesos-cluster:nodes\.border\.count: 2 must be 1/],
        ["malformed VPC CIDR", { network: { vpcCidr: "10.136.0/16" } }, /^mesos-cluster:network\.vpcCidr: "10\.136\.0\/16" is not an IPv4 CIDR/],
        ["host bits in a CIDR", { network: { privateSubnetCidr: "10.136.64.1/18" } }, /^mesos-cluster:network\.privateSubnetCidr: "10\.136\.64\.1\/18" is not an IPv4 CIDR/],
        ["subnet outside the VPC", { network: { publicSubnetCidr: "10.137.0.0/24" } }, /^mesos-cluster:network\.publicSubnetCidr: "10\.137\.0\.0\/24" is outside vpcCidr 10\.136\.0\.0\/16/],
        ["overlapping subnets", { network: { publicSubnetCidr: "10.136.64.0/24" } }, /^mesos-cluster:network\.privateSubnetCidr: "10\.136\.64\.0\/18" overlaps publicSubnetCidr 10\.136\.64\.0\/24/],
        ["IP outside its subnet", { nodes: { master: { ips: ["10.136.64.11", "10.136.64.12", "10.136.0.50"] } } }, /^mesos-cluster:nodes\.master\.ips\[2\]: "10\.136\.0\.50" is outside privateSubnetCidr 10\.136\.64\.0\/18/],
        ["network address of the subnet", { nodes: { master: { ips: ["10.136.64.0", "10.136.64.12", "10.136.64.13"] } } }, /^mesos-cluster:nodes\.master\.ips\[0\]: "10\.136\.64\.0" is reserved by AWS/],
        ["AWS DNS address", { nodes: { master: { ips: ["10.136.64.2", "10.136.64.12", "10.136.64.13"] } } }, /^mesos-cluster:nodes\.master\.ips\[0\]: "10\.136\.64\.2" is reserved by AWS/],
        ["broadcast address", { nodes: { master: { ips: ["10.136.127.255", "10.136.64.12", "10.136.64.13"] } } }, /^mesos-cluster:nodes\.master\.ips\[0\]: "10\.136\.127\.255" is reserved by AWS/],
        ["duplicate IP across roles", { nodes: { worker: { count: 1, ips: ["10.136.64.11"] } } }, /^mesos-cluster:nodes\.worker\.ips\[0\]: "10\.136\.64\.11" of worker-1 is already the address of master-1/],
        ["duplicate IP within a role", { nodes: { master: { ips: ["10.136.64.11", "10.136.64.11", "10.136.64.13"] } } }, /^mesos-cluster:nodes\.master\.ips\[1\]: "10\.136\.64\.11" of master-2 is already the address of master-1/],
        ["not an IP", { nodes: { master: { ips: ["10.136.64.11", "master-2", "10.136.64.13"] } } }, /^mesos-cluster:nodes\.master\.ips\[1\]: "master-2" is not an IPv4 address/],
        ["ips length differs from count", { nodes: { master: { ips: ["10.136.64.11"] } } }, /^mesos-cluster:nodes\.master\.ips: has 1 addresses but count is 3/],
        ["unknown role", { nodes: { gateway: { count: 1 } } }, /^mesos-cluster:nodes\.gateway: unknown role "gateway"; roles are border, quorum, master, worker/],
        ["unknown key inside a role", { nodes: { master: { size: 3 } } }, /^mesos-cluster:nodes\.master\.size: unknown key/],
        ["unknown top-level key", { workerCount: 3 }, /^mesos-cluster:workerCount: unknown key/],
        ["empty instance type", { nodes: { worker: { instanceType: "" } } }, /^mesos-cluster:nodes\.worker\.instanceType: "" must not be empty/],
        ["count of the wrong type", { nodes: { worker: { count: "three" } } }, /^mesos-cluster:nodes\.worker\.count: "three" is not a number/],
        ["invalid domain", { domain: "Cell_1..demo" }, /^mesos-cluster:domain: "Cell_1\.\.demo" is not a lower-case DNS domain/],
        ["preferred leader not a master", { preferredLeader: "master-4" }, /^mesos-cluster:preferredLeader: "master-4" is not a master; choose one of master-1, master-2, master-3/],
        ["preferred leader of another role", { preferredLeader: "worker-1" }, /^mesos-cluster:preferredLeader: "worker-1" is not a master/],
        ["admin CIDR open to the internet", { adminCidrs: ["0.0.0.0/0"] }, /^mesos-cluster:adminCidrs\[0\]: "0\.0\.0\.0\/0" opens SSH to the whole internet/],
        ["malformed admin CIDR", { adminCidrs: ["203.0.113.0"] }, /^mesos-cluster:adminCidrs\[0\]: "203\.0\.113\.0" is not an IPv4 CIDR/],
        ["AZ outside the region", { network: { availabilityZone: "us-east-1a" } }, /^mesos-cluster:network\.availabilityZone: "us-east-1a" is not in region eu-west-1/],
        ["bad AMI id", { ami: { id: "ubuntu-24.04" } }, /^mesos-cluster:ami\.id: "ubuntu-24\.04" is not an AMI id/],
        ["workers that do not fit the subnet", { network: { privateSubnetCidr: "10.136.64.0/24" }, nodes: { worker: { count: 200 } } }, /^mesos-cluster:nodes\.worker\.count: 200 worker nodes do not fit privateSubnetCidr 10\.136\.64\.0\/24, which holds at most 154 of them/],
        ["malformed public key", { sshPublicKey: "ssh-ed25519 AAAA\nrm -rf /" }, /^mesos-cluster:sshPublicKey: "ssh-ed25519 AAAA\\nrm -rf \/" is not a single-line OpenSSH public key/],
    ];

    it.each(table)("refuses %s", (_label, patch, expected) => {
        const errors = errorsOf(patch);
        expect(errors.some((line) => expected.test(line)), `got:\n${errors.join("\n")}`).toBe(true);
    });

    it("reports every problem at once", () => {
        const errors = errorsOf({
            nodes: { master: { count: 4 }, quorum: { count: 2 } },
            network: { vpcCidr: "nonsense" },
            preferredLeader: "master-7",
            adminCidrs: ["0.0.0.0/0"],
        });
        expect(errors.length).toBeGreaterThanOrEqual(5);
        for (const key of ["nodes.master.count", "nodes.quorum.count", "network.vpcCidr", "preferredLeader", "adminCidrs[0]"]) {
            expect(errors.some((line) => line.startsWith(`mesos-cluster:${key}:`)), key).toBe(true);
        }
    });

    it("requires the SSH public key", () => {
        const { sshPublicKey: _key, ...raw } = dev;
        const result = validateConfig(raw);
        expect(result.ok ? [] : result.errors).toContain("mesos-cluster:sshPublicKey: is required");
    });
});

describe("checkConfig", () => {
    const secret = (key: string) => devStackConfig().secretKeys.includes(key);

    it("requires the private key and refuses one that is not a key, without echoing it", () => {
        const config = { ...devStackConfig().config };
        delete config["mesos-cluster:sshPrivateKey"];
        expect(() => checkConfig(config, secret)).toThrowError(/mesos-cluster:sshPrivateKey: is required: pulumi config set --secret/);
        config["mesos-cluster:sshPrivateKey"] = "hunter2";
        try {
            checkConfig(config, secret);
            expect.unreachable();
        } catch (err) {
            expect(err).toBeInstanceOf(ConfigError);
            expect((err as ConfigError).lines).toContain("mesos-cluster:sshPrivateKey: is not a PEM/OpenSSH private key (value hidden)");
            expect((err as Error).message).not.toContain("hunter2");
        }
    });

    it("refuses an unknown node named for rebuild", () => {
        process.env.MESOS_CLUSTER_REBUILD = "master-9";
        try {
            expect(() => checkConfig(devStackConfig().config, secret)).toThrowError(/MESOS_CLUSTER_REBUILD: "master-9" is not a node of this stack/);
        } finally {
            delete process.env.MESOS_CLUSTER_REBUILD;
        }
    });
});
