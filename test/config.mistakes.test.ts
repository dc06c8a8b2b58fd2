import { generateKeyPairSync } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as sshpk from "sshpk";
import { describe, expect, it } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import { checkConfig, loadConfig } from "../components/config/load";
import { ConfigError, validateConfig } from "../components/config/validate";
import { readStackConfig } from "../scripts/offline/stackConfig";
import { devRawConfig, devStackConfig, singleZoneRawConfig, withPatch } from "./helpers/devConfig";
import { FIVE_MISTAKES_ERRORS, FIVE_MISTAKES_YAML } from "./helpers/mistakes";

// Every class of config mistake, each with the exact line that refuses it. validateConfig and
// checkConfig only: no program evaluation here (the plan CLI test runs one file end to end).

const dev = devRawConfig();
const stack = devStackConfig();
const secret = (key: string) => stack.secretKeys.includes(key);

function result(patch: Record<string, unknown>) {
    return validateConfig(withPatch(dev, patch));
}
const errorsOf = (patch: Record<string, unknown>) => {
    const r = result(patch);
    return r.ok ? [] : r.errors;
};

/** checkConfig's lines for the dev stack's engine config with `extra` keys laid over it. */
function checkLines(extra: Record<string, string>, isSecret = secret): { errors: string[]; warnings: string[] } {
    try {
        const checked = checkConfig({ ...stack.config, ...extra }, isSecret);
        return { errors: [], warnings: [...checked.warnings] };
    } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        return { errors: [...err.lines], warnings: [...err.warnings] };
    }
}

const sshKey = (pem: string) => sshpk.parseKey(pem, "pem").toString("ssh").replace(/ \(unnamed\)$/, "");
const spki = { type: "spki", format: "pem" } as const;
const RSA_1024 = sshKey(generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey.export(spki) as string);
const RSA_2048 = sshKey(generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey.export(spki) as string);
const ED25519 = sshKey(generateKeyPairSync("ed25519").publicKey.export(spki) as string);
const ecdsa = (namedCurve: string) => sshKey(generateKeyPairSync("ec", { namedCurve }).publicKey.export(spki) as string);
const ED25519_BLOB = ED25519.split(" ")[1];

describe("every mistake in one run", () => {
    it("a file with five independent mistakes prints exactly five error lines", () => {
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "five-")), "Pulumi.five.yaml");
        fs.writeFileSync(file, FIVE_MISTAKES_YAML);
        const config = readStackConfig(file);
        let lines: readonly string[] = [];
        try {
            checkConfig(config.config, (key) => config.secretKeys.includes(key));
        } catch (err) {
            lines = (err as ConfigError).lines;
        }
        expect(lines.map((line) => `error: ${line}`)).toEqual(FIVE_MISTAKES_ERRORS);
    });

    // A shape error skips only the rules that read that key; every other rule still runs.
    const table: [string, Record<string, unknown>, string[]][] = [
        [
            "a string count beside a world-open CIDR",
            { nodes: { worker: { count: "three" } }, adminCidrs: ["0.0.0.0/0"] },
            ['mesos-cluster:nodes.worker.count: "three" is not a number', 'mesos-cluster:adminCidrs[0]: "0.0.0.0/0" opens SSH to the whole internet; list your admin networks'],
        ],
        [
            "a broken master count skips the preferred-leader rule, not the CIDR rule",
            { nodes: { master: { count: "three" } }, preferredLeader: "master-7", network: { vpcCidr: "10.0.0.0/8" } },
            ['mesos-cluster:nodes.master.count: "three" is not a number', 'mesos-cluster:network.vpcCidr: "10.0.0.0/8" must have a prefix from /16 to /28 (AWS limits)'],
        ],
        [
            "a broken subnet skips the IP rules, not the even quorum",
            { network: { privateSubnetCidr: 18 }, nodes: { quorum: { count: 2 }, master: { ips: ["1.2.3.4", "1.2.3.5", "1.2.3.6"] } } },
            [
                "mesos-cluster:network.privateSubnetCidr: 18 is not a string",
                "mesos-cluster:nodes.quorum.count: 2 must be odd, from 1 to 9: an even quorum group tolerates no more failures than the odd one below it",
            ],
        ],
        [
            "a missing public key beside an unknown key and a bad domain",
            { sshPublicKey: undefined, workerz: 3, domain: "Bad_Domain" },
            [
                "mesos-cluster:sshPublicKey: is required",
                "mesos-cluster:workerz: unknown key",
                'mesos-cluster:domain: "Bad_Domain" is not a lower-case DNS domain like cell-1.dc-1.demo.lan',
            ],
        ],
    ];
    it.each(table)("%s", (_label, patch, expected) => {
        const raw = withPatch(dev, patch);
        if ("sshPublicKey" in patch && patch.sshPublicKey === undefined) delete raw.sshPublicKey;
        const r = validateConfig(raw);
        // The unknown key's line ends with the known keys; compare its start only.
        const errors = r.ok ? [] : r.errors.map((line) => line.replace(/^(mesos-cluster:workerz: unknown key);.*$/, "$1"));
        expect(errors).toEqual(expected);
    });
});

describe("keys nothing reads", () => {
    const near = (key: string, suggestion: string) => `${key}: unknown key; did you mean ${suggestion}? (this project reads mesos-cluster:* and aws:* keys)`;
    const table: [string, Record<string, string>, string[]][] = [
        ["a misspelled namespace", { "mesos-clusters:nodes": "{}" }, [near("mesos-clusters:nodes", "mesos-cluster:nodes")]],
        ["a namespace typo far from the project's", { "mesos:adminCidrs": "[]" }, [near("mesos:adminCidrs", "mesos-cluster:adminCidrs")]],
        ["a namespace nothing resembles", { "foo:bar": "1" }, ["foo:bar: unknown key (this project reads mesos-cluster:* and aws:* keys)"]],
        ["the region in the project's namespace", { "mesos-cluster:region": "us-east-1" }, ["mesos-cluster:region: unknown key; did you mean aws:region?"]],
        ["a misspelled top-level key", { "mesos-cluster:node": "{}" }, ["mesos-cluster:node: unknown key; did you mean mesos-cluster:nodes?"]],
        ["a misspelled role", { "mesos-cluster:nodes": '{"workers":{"count":3}}' }, ['mesos-cluster:nodes.workers: unknown role "workers"; roles are border, quorum, master, worker; did you mean worker?']],
        ["a misspelled key inside a role", { "mesos-cluster:nodes": '{"master":{"cout":3}}' }, ["mesos-cluster:nodes.master.cout: unknown key; did you mean mesos-cluster:nodes.master.count?"]],
        ["a misspelled network key", { "mesos-cluster:network": '{"vpcCIDR":"10.0.0.0/16"}' }, ["mesos-cluster:network.vpcCIDR: unknown key; did you mean mesos-cluster:network.vpcCidr?"]],
        ["a misspelled image", { "mesos-cluster:images": '{"zookeper":"zookeeper:3.9.3"}' }, ["mesos-cluster:images.zookeper: unknown key; did you mean mesos-cluster:images.zookeeper?"]],
        ["a key inside ami nothing resembles", { "mesos-cluster:ami": '{"flavour":"x"}' }, ["mesos-cluster:ami.flavour: unknown key; known keys here: id, owner, namePattern"]],
        ["the AWS provider's and the engine's own keys", { "aws:profile": "ops", "pulumi:tags": "{}" }, []],
    ];
    it.each(table)("%s", (_label, extra, expected) => {
        expect(checkLines(extra).errors).toEqual(expected);
    });
});

describe("unsafe values", () => {
    const adminKey = "mesos-cluster:adminCidrs";
    const table: [string, Record<string, unknown>, string[]][] = [
        ["the whole internet", { adminCidrs: ["0.0.0.0/0"] }, [`${adminKey}[0]: "0.0.0.0/0" opens SSH to the whole internet; list your admin networks`]],
        [
            "the internet in two halves",
            { adminCidrs: ["0.0.0.0/1", "128.0.0.0/1"] },
            [
                `${adminKey}[0]: "0.0.0.0/1" opens SSH to 2147483648 addresses, more than a /8; list your admin networks`,
                `${adminKey}[1]: "128.0.0.0/1" opens SSH to 2147483648 addresses, more than a /8; list your admin networks`,
            ],
        ],
        ["a block larger than a /8", { adminCidrs: ["10.0.0.0/7"] }, [`${adminKey}[0]: "10.0.0.0/7" opens SSH to 33554432 addresses, more than a /8; list your admin networks`]],
        [
            "two /8s, more than a /8 together",
            { adminCidrs: ["1.0.0.0/8", "2.0.0.0/8"] },
            [`${adminKey}: together open SSH to 33554432 addresses, more than a /8 (16777216); the internet split into pieces is still the internet: list your admin networks`],
        ],
        [
            "a duplicate CIDR",
            { adminCidrs: ["203.0.113.0/24", "198.51.100.0/24", "203.0.113.0/24"] },
            [`${adminKey}[2]: "203.0.113.0/24" duplicates adminCidrs[0]; EC2 refuses the second identical rule, but only at pulumi up`],
        ],
        [
            "overlapping CIDRs",
            { adminCidrs: ["203.0.113.0/24", "203.0.113.128/25"] },
            [`${adminKey}[1]: "203.0.113.128/25" overlaps adminCidrs[0] 203.0.113.0/24; list each network once`],
        ],
        ["root as the SSH user", { sshUser: "root" }, ['mesos-cluster:sshUser: "root" is refused: the nodes disable root SSH logins (PermitRootLogin no), so every post-step would fail; use the image\'s user, ubuntu']],
        [
            "an image tagged latest",
            { images: { marathon: "mesosphere/marathon:latest" } },
            ['mesos-cluster:images.marathon: "mesosphere/marathon:latest" is tagged latest, which changes under a running cluster on the next restart; pin a version tag or a digest'],
        ],
        [
            "an image without a tag",
            { images: { zookeeper: "zookeeper" } },
            ['mesos-cluster:images.zookeeper: "zookeeper" is not a pinned image reference like name:tag or name@sha256:<digest>: no tag means latest, which changes under a running cluster'],
        ],
        [
            "an image with a space",
            { images: { zookeeper: "zookeeper:3.9.3 --privileged" } },
            ['mesos-cluster:images.zookeeper: "zookeeper:3.9.3 --privileged" is not an image reference like name:tag or name@sha256:<digest> (one word, no spaces or specifiers)'],
        ],
        ["an RSA key of 1024 bits", { sshPublicKey: RSA_1024 }, ["mesos-cluster:sshPublicKey: is an RSA key of 1024 bits; RSA keys need at least 2048 bits (or use ed25519)"]],
        [
            "a type word that does not match the blob",
            { sshPublicKey: `ssh-rsa ${ED25519_BLOB} op@host` },
            ['mesos-cluster:sshPublicKey: says ssh-rsa but its blob holds a "ssh-ed25519" key; copy the line from the .pub file whole'],
        ],
        ["a truncated blob", { sshPublicKey: `ssh-ed25519 ${ED25519_BLOB.slice(0, -8)}` }, ["mesos-cluster:sshPublicKey: the ssh-ed25519 key does not decode: its base64 blob is truncated or corrupt"]],
        ["a blob that is not a key", { sshPublicKey: "ssh-ed25519 AAAA" }, ["mesos-cluster:sshPublicKey: the ssh-ed25519 key does not decode: its base64 blob is truncated or corrupt"]],
        ["a DSA key", { sshPublicKey: "ssh-dss AAAAB3NzaC1kc3MAAACB" }, ["mesos-cluster:sshPublicKey: ssh-dss: DSA keys are refused: OpenSSH no longer accepts them; use ed25519, ecdsa or RSA of at least 2048 bits"]],
        [
            "a security-key key",
            { sshPublicKey: "sk-ssh-ed25519@openssh.com AAAAGnNrLXNzaC1lZDI1NTE5QG9wZW5zc2guY29t" },
            [
                "mesos-cluster:sshPublicKey: sk-ssh-ed25519@openssh.com: security-key (FIDO) keys need the token at every login, which the post-step commands cannot touch; use ed25519, ecdsa or RSA of at least 2048 bits",
            ],
        ],
        ["an unknown key type", { sshPublicKey: "ssh-foo AAAA" }, ['mesos-cluster:sshPublicKey: "ssh-foo" is not an SSH key type; use ssh-ed25519, ecdsa-sha2-nistp256/384/521 or ssh-rsa']],
    ];
    it.each(table)("refuses %s", (_label, patch, expected) => {
        expect(errorsOf(patch)).toEqual(expected);
    });

    it.each([
        ["ed25519", ED25519],
        ["ed25519 with a comment", `${ED25519} op.er@host_1`],
        ["RSA 2048", RSA_2048],
        ["ecdsa P-256", ecdsa("P-256")],
        ["ecdsa P-384", ecdsa("P-384")],
        ["ecdsa P-521", ecdsa("P-521")],
    ])("accepts an %s public key", (_label, key) => {
        expect(errorsOf({ sshPublicKey: key })).toEqual([]);
    });

    it("refuses a private key set in clear text, with the command that sets it as a secret, without echoing it", () => {
        const clear = "-----BEGIN OPENSSH PRIVATE KEY-----\ns3cr3t-material\n-----END OPENSSH PRIVATE KEY-----\n";
        const { errors } = checkLines({ "mesos-cluster:sshPrivateKey": clear }, (key) => key !== "mesos-cluster:sshPrivateKey");
        expect(errors).toEqual([
            "mesos-cluster:sshPrivateKey: is set in clear text in the stack file (value hidden); remove it and set it as a secret: pulumi config set --secret mesos-cluster:sshPrivateKey < ~/.ssh/id_ed25519",
        ]);
        expect(errors.join("\n")).not.toContain("s3cr3t");
    });

    it("in the program, asks the engine whether the private key is a secret", () => {
        pulumi.runtime.setAllConfig(stack.config, []);
        expect(() => loadConfig()).toThrowError(/^error: mesos-cluster:sshPrivateKey: is set in clear text in the stack file/);
        pulumi.runtime.setAllConfig(stack.config, stack.secretKeys);
        expect(loadConfig().config.clusterId).toBe("cell-1");
    });

    const types: [string, boolean][] = [
        ["m5.large", true],
        ["m7i-flex.large", true],
        ["c6gn.16xlarge", true],
        ["u-6tb1.metal", true],
        ["mac2-m2pro.metal", true],
        ["r7iz.metal-16xl", true],
        ["t3.nano", true],
        ["m5.larg", false],
        ["m5", false],
        ["M5.large", false],
        ["m.large", false],
        ["m5.large.x", false],
        ["m5.huge", false],
    ];
    it.each(types)("instance type %s accepted: %s", (type, ok) => {
        const expected = ok ? [] : [`mesos-cluster:nodes.worker.instanceType: ${JSON.stringify(type)} is not an EC2 instance type: expected family.size like m5.large, c6gn.16xlarge or m7i-flex.large`];
        expect(errorsOf({ nodes: { worker: { instanceType: type } } })).toEqual(expected);
    });

    it("an image pinned by digest may carry any tag", () => {
        expect(errorsOf({ images: { marathon: `mesosphere/marathon:latest@sha256:${"a".repeat(64)}` } })).toEqual([]);
    });

    // Dangerous but allowed: a warning that says why, on stderr (the CLIs) or the engine's log.
    const warned: [string, string[], string][] = [
        ["no admin network", [], "mesos-cluster:adminCidrs: is empty, so no network may SSH to the border; the post-step commands (run where pulumi runs, through the border) will not connect"],
        ["a /12 of admins", ["172.16.0.0/12"], "mesos-cluster:adminCidrs: opens SSH on the border to 1048576 addresses, more than a /16; every one of them can try to log in"],
    ];
    it.each(warned)("warns about %s", (_label, adminCidrs, warning) => {
        const r = result({ adminCidrs });
        expect(r.ok).toBe(true);
        expect(r.warnings).toEqual([warning]);
    });

    it("the dev stack passes without a warning", () => {
        expect(validateConfig(dev)).toMatchObject({ ok: true, warnings: [] });
    });
});

describe("absurd sizes", () => {
    // One zone: the capacities are one subnet's (config.zones.test.ts has the same over zones).
    const single = singleZoneRawConfig();
    const errorsOf = (patch: Record<string, unknown>) => {
        const r = validateConfig(withPatch(single, patch));
        return r.ok ? [] : r.errors;
    };
    const table: [string, Record<string, unknown>, string[]][] = [
        ["a billion workers", { nodes: { worker: { count: 1e9 } } }, ["mesos-cluster:nodes.worker.count: 1000000000 is more than 65536, more nodes than the largest subnet allowed (/16) holds"]],
        [
            "a billion masters",
            { nodes: { master: { count: 1e9 } } },
            ["mesos-cluster:nodes.master.count: 1000000000 is more than 65536, more nodes than the largest subnet allowed (/16) holds"],
        ],
        ["a fractional count", { nodes: { worker: { count: 2.5 } } }, ["mesos-cluster:nodes.worker.count: 2.5 is not a whole number"]],
        ["a negative count", { nodes: { worker: { count: -1 } } }, ["mesos-cluster:nodes.worker.count: -1 must not be negative"]],
        [
            "more workers than the subnet holds",
            { nodes: { worker: { count: 60000 } } },
            [
                "mesos-cluster:nodes.worker.count: 60000 worker nodes do not fit privateSubnetCidr 10.136.64.0/18, which holds at most 16282 of them (worker-N at offset 100+N, below the broadcast address AWS reserves); use a larger subnet or explicit ips",
            ],
        ],
        [
            "quorum nodes in a subnet too small for their offsets",
            { network: { privateSubnetCidr: "10.136.64.0/28" }, nodes: { worker: { count: 0 } } },
            [
                "mesos-cluster:nodes.quorum.count: 3 quorum nodes do not fit privateSubnetCidr 10.136.64.0/28, which holds at most 0 of them (quorum-N at offset 20+N, below the broadcast address AWS reserves); use a larger subnet or explicit ips",
            ],
        ],
    ];
    it.each(table)("refuses %s", (_label, patch, expected) => {
        expect(errorsOf(patch)).toEqual(expected);
    });

    it("refuses absurd counts and validates the largest subnet's worth of workers in well under 10 s", () => {
        const started = performance.now();
        expect(errorsOf({ nodes: { worker: { count: 1e9 }, master: { count: 1e9 }, quorum: { count: 1e12 } } })).toHaveLength(3);
        // The most workers a /18 holds: every address computed and checked once.
        expect(errorsOf({ nodes: { worker: { count: 16282 } } })).toEqual([]);
        expect(performance.now() - started).toBeLessThan(10_000);
    });
});
