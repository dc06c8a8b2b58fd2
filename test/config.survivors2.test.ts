import { createRequire } from "module";
import { afterEach, describe, expect, it } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import { checkConfig, loadConfig, namespaceErrors, rawFromStackConfig } from "../components/config/load";
import { ConfigError, RawConfig, validateConfig } from "../components/config/validate";
import { devRawConfig, devStackConfig, singleZoneRawConfig, withPatch } from "./helpers/devConfig";

// Issue 15, second round: behaviours StrykerJS found untested in components/config/ (the run of
// 2026-11-22, reports/config-survivors.txt). Each case states what an operator sees, written out.

const dev = devRawConfig();
const stack = devStackConfig();
const secret = (key: string) => stack.secretKeys.includes(key);
const ZONES = (dev.network as { zones: Record<string, string>[] }).zones;
const { dockerHub: _hub, ...withoutHub } = dev;

/** validateConfig's errors and warnings for `raw`. */
function lines(raw: RawConfig): { errors: string[]; warnings: string[] } {
    const r = validateConfig(raw);
    return { errors: r.ok ? [] : r.errors, warnings: r.warnings };
}

/** checkConfig's errors for the dev stack's engine config with `extra` laid over it. */
function checkErrors(extra: Record<string, string>, isSecret = secret): string[] {
    try {
        checkConfig({ ...stack.config, ...extra }, isSecret);
        return [];
    } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        return [...err.lines];
    }
}

describe("keys nothing reads: the suggestion", () => {
    const reads = "(this project reads mesos-cluster:* and aws:* keys)";
    it.each([
        // The whole key is near aws:region; its part after the colon is near no project key.
        ["a capitalised AWS namespace", "AWS:region", `AWS:region: unknown key; did you mean aws:region? ${reads}`],
        // "user" alone is too far from sshUser to suggest it; the whole key is near enough.
        ["a misspelled namespace and a short key", "mesos-clusters:user", `mesos-clusters:user: unknown key; did you mean mesos-cluster:sshUser? ${reads}`],
        // The whole key is far from every known one; the part after the colon is near nodes.
        ["another namespace, the key misspelled", "cluster:nodez", `cluster:nodez: unknown key; did you mean mesos-cluster:nodes? ${reads}`],
    ])("%s: %s", (_label, key, expected) => {
        expect(namespaceErrors({ [key]: "1" })).toEqual([expected]);
    });

    it("an unknown key near nothing lists the namespace's keys, the secret one with them, aws:region not", () => {
        expect(lines(withPatch(dev, { colour: "blue" })).errors).toEqual([
            "mesos-cluster:colour: unknown key; known keys here: clusterId, domain, network, nodes, adminCidrs, sshPublicKey, sshUser, preferredLeader, ami, images, dockerHub, vpn, httpOperatorPassword, sshPrivateKey",
        ]);
    });

    it("an unknown role near no role names the roles, without a suggestion", () => {
        expect(lines(withPatch(dev, { nodes: { gpu: { count: 1 } } })).errors).toEqual(['mesos-cluster:nodes.gpu: unknown role "gpu"; roles are border, quorum, master, worker']);
    });
});

describe("stack values that look like JSON", () => {
    it("a quoted string holding brackets stays as written: only a value starting with [ or { is parsed as a structure", () => {
        expect(rawFromStackConfig({ "mesos-cluster:label": '"[x]"', "mesos-cluster:inner": "a[1]" })).toEqual({ label: '"[x]"', inner: "a[1]" });
    });
});

describe("MESOS_CLUSTER_REBUILD", () => {
    afterEach(() => {
        delete process.env.MESOS_CLUSTER_REBUILD;
    });
    const rebuild = (value: string) => {
        process.env.MESOS_CLUSTER_REBUILD = value;
        return checkConfig(stack.config, secret).rebuild;
    };

    it("takes a comma-separated list of this stack's nodes, spaces and empty items ignored", () => {
        expect([...rebuild(" master-3 , worker-3,,border-1")].sort()).toEqual(["border-1", "master-3", "worker-3"]);
        expect([...rebuild("quorum-1")]).toEqual(["quorum-1"]);
        expect([...rebuild("")]).toEqual([]);
    });

    it("refuses names past the last node of a role, and a node 0", () => {
        process.env.MESOS_CLUSTER_REBUILD = "master-1,master-4,worker-0,border-2";
        expect(checkErrors({})).toEqual([
            'MESOS_CLUSTER_REBUILD: "master-4" is not a node of this stack',
            'MESOS_CLUSTER_REBUILD: "worker-0" is not a node of this stack',
            'MESOS_CLUSTER_REBUILD: "border-2" is not a node of this stack',
        ]);
    });
});

describe("secrets in the stack file", () => {
    const privateKey = "mesos-cluster:sshPrivateKey";
    it.each([
        ["text that is no key", "not a key"],
        ["a number", "12"],
        ["a truncated PEM", "-----BEGIN OPENSSH PRIVATE KEY-----\nabc"],
        // A list's text would pass the PEM pattern: the value must be a string itself.
        ["a list holding a key", JSON.stringify(["-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----\n"])],
    ])("refuses a secret private key that is %s, value hidden", (_label, value) => {
        expect(checkErrors({ [privateKey]: value })).toEqual(["mesos-cluster:sshPrivateKey: is not a PEM/OpenSSH private key (value hidden)"]);
    });

    const hubKey = "mesos-cluster:dockerHub";
    const notHub = (key: string) => key !== hubKey && secret(key);
    it("refuses a Docker Hub access token in clear text, with the command that sets it as a secret", () => {
        const errors = checkErrors({ [hubKey]: '{"username":"abcd","accessToken":"tok3n-value"}' }, notHub);
        expect(errors).toEqual([
            "mesos-cluster:dockerHub.accessToken: is set in clear text in the stack file (value hidden); remove it and set it as a secret: pulumi config set --secret --path mesos-cluster:dockerHub.accessToken < TOKEN_FILE",
        ]);
        expect(errors.join("\n")).not.toContain("tok3n");
    });

    it("a Docker Hub username in clear text without a token is missing its token, not a clear-text token", () => {
        expect(checkErrors({ [hubKey]: '{"username":"abcd"}' }, notHub)).toEqual(["mesos-cluster:dockerHub.accessToken: is required"]);
    });

    it("a Docker Hub credential set to null is refused as the wrong type, value hidden", () => {
        expect(checkErrors({ [hubKey]: "null" })).toEqual(["mesos-cluster:dockerHub: is not a object (value hidden)"]);
    });

    it.each([
        ["an empty token", { username: "abcd", accessToken: "" }, "mesos-cluster:dockerHub.accessToken: (value hidden) must not be empty"],
        ["a token that is a number", { username: "abcd", accessToken: 5 }, "mesos-cluster:dockerHub.accessToken: is not a string (value hidden)"],
        ["a missing token", { username: "abcd" }, "mesos-cluster:dockerHub.accessToken: is required"],
        // The username is no secret: shown, so the operator sees the typo.
        ["a username that is no Docker ID", { username: "Bad_User", accessToken: "t" }, 'mesos-cluster:dockerHub.username: "Bad_User" is not a Docker ID (4-30 lower-case letters and digits)'],
        ["an unknown key beside them", { username: "abcd", accessToken: "t", token: "x" }, "mesos-cluster:dockerHub.token: unknown key; known keys here: username, accessToken"],
    ])("a Docker Hub credential with %s: one line, nothing else reported", (_label, dockerHub, expected) => {
        expect(lines({ ...dev, dockerHub })).toEqual({ errors: [expected], warnings: [] });
    });

    it("an operator password that is not a string is refused without its value", () => {
        expect(lines({ ...dev, httpOperatorPassword: 1234567890123456 }).errors).toEqual(["mesos-cluster:httpOperatorPassword: is not a string (value hidden)"]);
    });
});

describe("the program's secret Outputs", () => {
    const outputOf = <T>(o: pulumi.Output<T>) => new Promise<T>((resolve) => o.apply((v) => { resolve(v); return v; }));
    const password = "mesos-cluster:httpOperatorPassword";

    it("hands over the Docker Hub credential and the operator's password when set, as secrets", async () => {
        const config = { ...stack.config, [password]: "Tq7-vX2k!pR9zW4m" };
        pulumi.runtime.setAllConfig(config, [...stack.secretKeys, password]);
        const loaded = loadConfig(config, (key) => key === password || secret(key));
        expect(await outputOf(loaded.dockerHub!)).toEqual({ username: "yourdockerid", accessToken: "offline-plan-placeholder" });
        expect(await outputOf(loaded.httpOperatorPassword!)).toBe("Tq7-vX2k!pR9zW4m");
        expect(await pulumi.isSecret(loaded.httpOperatorPassword!)).toBe(true);
    });

    it("without a password, leaves it to the program to generate one", () => {
        pulumi.runtime.setAllConfig(stack.config, stack.secretKeys);
        expect(loadConfig(stack.config, secret)).not.toHaveProperty("httpOperatorPassword");
    });

    it("with an SDK that cannot tell secrets apart, refuses no key as clear text", () => {
        // The SDK's runtime-internal function taken away, as from an SDK without it. (Not through
        // vi.resetModules and a fresh import: that would run every module-level line of config/
        // inside a test, and Stryker would then count its static mutants against this file.)
        const runtimeConfig = createRequire(__filename)("@pulumi/pulumi/runtime/config") as Record<string, unknown>;
        const saved = runtimeConfig.isConfigSecret;
        delete runtimeConfig.isConfigSecret;
        try {
            pulumi.runtime.setAllConfig(stack.config, []);
            expect(loadConfig(stack.config).config.clusterId).toBe("cell-1");
        } finally {
            runtimeConfig.isConfigSecret = saved;
            pulumi.runtime.setAllConfig(stack.config, stack.secretKeys);
        }
    });
});

describe("the cluster domain: names nobody else may answer", () => {
    it.each([
        ["cell-1.local", 'mesos-cluster:domain: "cell-1.local" ends in .local, which Ubuntu resolves by multicast DNS, not through the private zone; use e.g. cell-1.dc-1.demo.lan'],
        ["cell-1.mesos", 'mesos-cluster:domain: "cell-1.mesos" collides with Mesos-DNS\'s own domain "mesos" (tasks are <app>.marathon.mesos)'],
        ["ec2.internal", 'mesos-cluster:domain: "ec2.internal" is a domain AWS itself answers in the VPC; a private zone for it would shadow AWS\'s names'],
        ["eu-west-1.compute.internal", 'mesos-cluster:domain: "eu-west-1.compute.internal" is a domain AWS itself answers in the VPC; a private zone for it would shadow AWS\'s names'],
        ["amazonaws.com", 'mesos-cluster:domain: "amazonaws.com" is a domain AWS itself answers in the VPC; a private zone for it would shadow AWS\'s names'],
        ["s3.amazonaws.com", 'mesos-cluster:domain: "s3.amazonaws.com" is a domain AWS itself answers in the VPC; a private zone for it would shadow AWS\'s names'],
    ])("refuses %s", (domain, expected) => {
        expect(lines(withPatch(dev, { domain })).errors).toEqual([expected]);
    });

    it.each(["local.cell-1.lan", "mesos.cell-1.lan", "amazonaws.com.cell-1.lan", "myamazonaws.com", "compute.internal.example"])("accepts %s: the reserved name is not its end", (domain) => {
        expect(lines(withPatch(dev, { domain }))).toEqual({ errors: [], warnings: [] });
    });
});

describe("subnet prefixes", () => {
    const withPublic = (cidr: string) => withPatch(dev, { network: { zones: [{ ...ZONES[0], publicSubnetCidr: cidr }, ...ZONES.slice(1)] } });
    it("accept a /28, the smallest AWS allows, and refuse a /29", () => {
        expect(lines(withPublic("10.136.0.0/28")).errors).toEqual([]);
        expect(lines(withPublic("10.136.0.0/29")).errors).toEqual(['mesos-cluster:network.zones[0].publicSubnetCidr: "10.136.0.0/29" must have a prefix from /16 to /28 (AWS limits)']);
    });
});

describe("masters and quorum nodes over two zones", () => {
    const twoZones = (master: number, quorum: number) => lines(withPatch(dev, { network: { zones: ZONES.slice(0, 2) }, nodes: { master: { count: master }, quorum: { count: quorum } } })).errors;
    const odd = (role: string, count: number) => `mesos-cluster:nodes.${role}.count: ${count} must be odd, from 1 to 9: an even ${role} group tolerates no more failures than the odd one below it`;

    it("9 masters, the most allowed, still lose their quorum with the zone that holds 5", () => {
        expect(twoZones(9, 3)).toEqual([
            "mesos-cluster:network.zones: 2 zones put 5 of 9 masters in eu-west-1a (node N in zone (N-1) mod 2); losing that zone leaves 4, short of the masters' quorum (Mesos replicated log, ZooKeeper) of 5: list 3 zones, or list one zone for a dev or test cluster",
            "mesos-cluster:network.zones: 2 zones put 2 of 3 quorum nodes in eu-west-1a (node N in zone (N-1) mod 2); losing that zone leaves 1, short of the etcd quorum of 2: list 3 zones, or list one zone for a dev or test cluster",
        ]);
    });

    it("a count of 0, an even one or one above 9 is refused by its own rule only, not again for the zones", () => {
        expect(twoZones(0, 11)).toEqual([odd("quorum", 11), odd("master", 0), 'mesos-cluster:preferredLeader: "master-1" is not a master; choose one of  or "" for none']);
        expect(twoZones(4, 1)).toEqual([
            "mesos-cluster:network.zones: 2 zones, but 1 quorum node sits in one of them (eu-west-1a): losing that zone loses it, and the etcd quorum with it: list 3 zones and use 3 quorum nodes, or list one zone for a dev or test cluster",
            odd("master", 4),
        ]);
    });

    it("9 quorum nodes over three zones pass", () => {
        expect(lines(withPatch(dev, { nodes: { quorum: { count: 9 } } }))).toEqual({ errors: [], warnings: [] });
    });
});

describe("fixed addresses in one zone", () => {
    const single = singleZoneRawConfig();
    const oneZone = "mesos-cluster:network: every node is in one availability zone (eu-west-1a): its outage takes every master and quorum node, and so the whole cluster, down at once; list 3 zones in network.zones for production";

    it("a planned address taken by an explicit one is named by the count that plans it", () => {
        expect(lines(withPatch(single, { nodes: { master: { ips: ["10.136.64.101", "10.136.64.12", "10.136.64.13"] } } }))).toEqual({
            errors: ['mesos-cluster:nodes.worker.count: "10.136.64.101" of worker-1 is already the address of master-1'],
            warnings: [oneZone],
        });
    });

    it("an explicit address outside the one subnet names no zone", () => {
        expect(lines(withPatch(single, { nodes: { worker: { ips: ["10.136.64.101", "10.136.0.50", "10.136.64.103"] } } })).errors).toEqual([
            'mesos-cluster:nodes.worker.ips[1]: "10.136.0.50" is outside privateSubnetCidr 10.136.64.0/18',
        ]);
    });

    it("explicit addresses fit a subnet too small for the planned offsets", () => {
        const small = withPatch(single, {
            network: { privateSubnetCidr: "10.136.64.0/28" },
            nodes: { quorum: { ips: ["10.136.64.7", "10.136.64.8", "10.136.64.9"] }, master: { ips: ["10.136.64.10", "10.136.64.11", "10.136.64.12"] }, worker: { count: 0 } },
        });
        expect(lines(small)).toEqual({ errors: [], warnings: [oneZone] });
    });
});

describe("admin networks: the total SSH is open to", () => {
    const admin = (adminCidrs: string[]) => lines(withPatch(dev, { adminCidrs }));
    const warn = (total: number) => `mesos-cluster:adminCidrs: opens SSH on the border to ${total} addresses, more than a /16; every one of them can try to log in`;

    it.each([
        ["exactly a /16", ["10.0.0.0/16"], []],
        ["two /17s, a /16 together", ["10.0.0.0/17", "10.0.128.0/17"], []],
        ["a /16 and one address", ["10.0.0.0/16", "192.0.2.1/32"], [warn(65537)]],
        ["a block starting at address 0", ["0.0.0.0/10"], [warn(4194304)]],
        ["two /9s, exactly a /8 together", ["10.0.0.0/9", "11.0.0.0/9"], [warn(16777216)]],
    ])("%s: warned only above a /16", (_label, adminCidrs, warnings) => {
        expect(admin(adminCidrs)).toEqual({ errors: [], warnings });
    });

    it("more than a /8 is an error, without the warning besides", () => {
        expect(admin(["1.0.0.0/8", "2.0.0.0/8"])).toEqual({
            errors: ["mesos-cluster:adminCidrs: together open SSH to 33554432 addresses, more than a /8 (16777216); the internet split into pieces is still the internet: list your admin networks"],
            warnings: [],
        });
    });

    it("a network listed after a smaller one inside it is refused, and the warning counts their union once", () => {
        expect(admin(["10.1.0.0/16", "10.0.0.0/12"])).toEqual({
            errors: ['mesos-cluster:adminCidrs[1]: "10.0.0.0/12" overlaps adminCidrs[0] 10.1.0.0/16; list each network once'],
            warnings: [warn(1048576)],
        });
    });

    it("the same network address with another prefix overlaps; it is no duplicate", () => {
        expect(admin(["10.0.0.0/16", "10.0.0.0/24"]).errors).toEqual(['mesos-cluster:adminCidrs[1]: "10.0.0.0/24" overlaps adminCidrs[0] 10.0.0.0/16; list each network once']);
    });
});

describe("the preferred leader", () => {
    it('"" means none, and passes', () => {
        expect(lines(withPatch(dev, { preferredLeader: "" }))).toEqual({ errors: [], warnings: [] });
    });
});

describe("the SSH public key's blob", () => {
    /** A blob whose type field says `length` bytes follow, followed by `body`. */
    const key = (length: number, body: string) => {
        const header = Buffer.alloc(4);
        header.writeUInt32BE(length);
        return `ssh-ed25519 ${Buffer.concat([header, Buffer.from(body, "latin1")]).toString("base64")}`;
    };
    const corrupt = "mesos-cluster:sshPublicKey: the ssh-ed25519 key does not decode: its base64 blob is truncated or corrupt";
    const holds = (type: string) => `mesos-cluster:sshPublicKey: says ssh-ed25519 but its blob holds a "${type}" key; copy the line from the .pub file whole`;
    it.each([
        ["an empty type", 0, "ssh-ed25519", corrupt],
        ["a type of 1 byte", 1, "s", holds("s")],
        ["a type of 64 bytes, the longest read", 64, "a".repeat(64), holds("a".repeat(64))],
        ["a type of 65 bytes", 65, "a".repeat(65), corrupt],
        ["a type longer than the blob", 11, "ssh", corrupt],
        ["a type that ends the blob exactly", 3, "abc", holds("abc")],
    ])("%s", (_label, length, body, expected) => {
        expect(lines(withPatch(dev, { sshPublicKey: key(length, body) })).errors).toEqual([expected]);
    });
});

describe("schema values set explicitly", () => {
    it.each([
        ["an SSH user other than root", { sshUser: "admin" }],
        ["an image with a version tag", { images: { marathon: "docker.io/mesosphere/marathon:v1.11.25" } }],
        ["an image from a registry with a port", { images: { zookeeper: "registry.example.com:5000/zookeeper:3.9.3" } }],
    ])("accepts %s", (_label, patch) => {
        expect(lines(withPatch(dev, patch))).toEqual({ errors: [], warnings: [] });
    });

    it("refuses an image whose registry port is no TCP port", () => {
        expect(lines(withPatch(dev, { images: { zookeeper: "registry.example.com:99999/zookeeper:3.9.3" } })).errors).toEqual([
            'mesos-cluster:images.zookeeper: "registry.example.com:99999/zookeeper:3.9.3" is refused: its registry port 99999 is not a TCP port (1-65535)',
        ]);
    });
});

describe("Docker Hub images without a Docker Hub credential", () => {
    const required = (images: string) =>
        `mesos-cluster:dockerHub: is required: ${images} exist only on Docker Hub and are pulled through the cluster's ECR pull-through cache, which needs a Docker Hub username and access token (Docker Hub allows 10 anonymous pulls per hour per IP address, and every private node pulls through the NAT gateway's one address, so no node pulls from it anonymously): pulumi config set --path mesos-cluster:dockerHub.username NAME && pulumi config set --secret --path mesos-cluster:dockerHub.accessToken < TOKEN_FILE; or override those images.<key> with a registry that serves them`;
    const MASTER_IMAGES = "images.mesosMaster (docker.io/mesosphere/mesos-master:1.7.0), images.marathon (docker.io/mesosphere/marathon:v1.11.24), images.mesosDns (docker.io/mesosphere/mesos-dns:v0.6.0)";

    it("names every default Docker Hub image some node pulls", () => {
        expect(lines(withoutHub)).toEqual({
            errors: [required(`${MASTER_IMAGES}, images.mesosAgent (docker.io/mesosphere/mesos-slave:1.7.0), images.marathonLb (docker.io/mesosphere/marathon-lb:v1.14.1)`)],
            warnings: [],
        });
    });

    it("with no workers and the VPN on: the VPN's image, not the agent's", () => {
        expect(lines(withPatch(withoutHub, { vpn: { enabled: true }, nodes: { worker: { count: 0 } } })).errors).toEqual([
            required(`images.pritunl (docker.io/jippi/pritunl:1.32.3697.80), ${MASTER_IMAGES}`),
        ]);
    });

    it("an override on Docker Hub is allowed with a warning; one on another registry needs nothing", () => {
        const overridden = withPatch(withoutHub, { images: { marathon: "docker.io/mesosphere/marathon:v1.11.25", mesosDns: "registry.example.com/mesos-dns:v0.6.0" } });
        expect(lines(overridden)).toEqual({
            errors: [
                required(
                    "images.mesosMaster (docker.io/mesosphere/mesos-master:1.7.0), images.mesosAgent (docker.io/mesosphere/mesos-slave:1.7.0), images.marathonLb (docker.io/mesosphere/marathon-lb:v1.14.1)",
                ),
            ],
            warnings: [
                'mesos-cluster:images.marathon: "docker.io/mesosphere/marathon:v1.11.25" is on Docker Hub and mesos-cluster:dockerHub is not set, so every node that runs it pulls it anonymously: Docker Hub allows 10 anonymous pulls per hour per IP address, and every private node pulls through the NAT gateway\'s one address; set mesos-cluster:dockerHub to pull it through the cluster\'s ECR pull-through cache',
            ],
        });
    });

    it("every Docker Hub image moved to another registry: no credential needed", () => {
        const moved = withPatch(withoutHub, {
            images: {
                mesosMaster: "registry.example.com/mesosphere/mesos-master:1.7.0",
                marathon: "registry.example.com/mesosphere/marathon:v1.11.24",
                mesosDns: "registry.example.com/mesosphere/mesos-dns:v0.6.0",
                mesosAgent: "registry.example.com/mesosphere/mesos-slave:1.7.0",
                marathonLb: "registry.example.com/mesosphere/marathon-lb:v1.14.1",
            },
        });
        expect(lines(moved)).toEqual({ errors: [], warnings: [] });
    });
});

describe("the operator's password", () => {
    const weak =
        "mesos-cluster:httpOperatorPassword: (value hidden) is too weak: use at least 3 of lower case, upper case, digits and symbols (or 24 characters or more), with at least 8 different characters; choose another, or unset it and let the program generate one: pulumi config rm mesos-cluster:httpOperatorPassword";
    const named = (name: string) =>
        `mesos-cluster:httpOperatorPassword: (value hidden) contains "${name}", a name anyone would try first; choose another, or unset it and let the program generate one: pulumi config rm mesos-cluster:httpOperatorPassword`;
    const errorsFor = (httpOperatorPassword: string, clusterId = "cell-1") => lines(withPatch(dev, { httpOperatorPassword, clusterId })).errors;

    it.each([
        ["upper case and digits only", "ABCDEFGH12345678", [weak]],
        ["lower case and digits only", "abcdefgh12345678", [weak]],
        ["lower and upper case only", "abcdefghABCDEFGH", [weak]],
        ["three classes, 16 characters, exactly 8 different", "aaBB11ccDD22eeFF", []],
        ["four classes, 16 characters", "aaBB11!!ccDD22@@", []],
        ["three classes, only 7 different characters", "aaBB11!!ccDD22aa", [weak]],
        ["one class, 24 characters", "abcdefghijklmnopqrstuvwx", []],
        ["one class, 23 characters", "abcdefghijklmnopqrstuvw", [weak]],
        ["password in capitals", "zz1!PASSWORD-Qx7k", [named("password")]],
        ["marathon", "zz1!Marathon-Qx7k", [named("marathon")]],
        ["mesos", "zz1!mesos-Qx7kqq", [named("mesos")]],
    ])("%s", (_label, password, expected) => {
        expect(errorsFor(password)).toEqual(expected);
    });

    it("128 characters pass, the longest allowed", () => {
        const longest = `Aa1!${"bcdefghijk".repeat(12)}lmno`;
        expect(longest).toHaveLength(128);
        expect(errorsFor(longest)).toEqual([]);
    });

    it("a cluster id of 4 characters counts as a name; one of 2 is too short to", () => {
        expect(errorsFor("Xy7!cell-Qw3#Rt5$", "cell")).toEqual([named("cell")]);
        expect(errorsFor("Xy7!c1-Qw3#Rt5$Z", "c1")).toEqual([]);
    });
});

describe("one broken value does not hide the other problems", () => {
    it("a list item of the wrong type: the other rules still run", () => {
        expect(lines(withPatch(dev, { adminCidrs: ["10.0.0.0/16", 5], domain: "Bad" })).errors).toEqual([
            "mesos-cluster:adminCidrs[1]: 5 is not a string",
            'mesos-cluster:domain: "Bad" is not a lower-case DNS domain like cell-1.dc-1.demo.lan',
        ]);
    });

    it("an unknown key beside a value does not skip that value's rules", () => {
        expect(lines(withPatch(dev, { nodes: { master: { count: 2, cout: 3 } } })).errors).toEqual([
            "mesos-cluster:nodes.master.cout: unknown key; did you mean mesos-cluster:nodes.master.count?",
            "mesos-cluster:nodes.master.count: 2 must be odd, from 1 to 9: an even master group tolerates no more failures than the odd one below it",
        ]);
    });

    it("a broken zone, or a broken network, skips the zone rules: no warning built from the defaults", () => {
        const badZone = withPatch(dev, { network: { zones: [ZONES[0], { ...ZONES[1], name: "eu-west-1" }, ZONES[2]] } });
        expect(lines(badZone)).toEqual({ errors: ['mesos-cluster:network.zones[1].name: "eu-west-1" is not an availability zone like eu-west-1a'], warnings: [] });
        expect(lines(withPatch(dev, { network: "10.0.0.0/16" }))).toEqual({ errors: ['mesos-cluster:network: "10.0.0.0/16" is not a object'], warnings: [] });
    });
});
