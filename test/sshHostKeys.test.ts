import * as path from "path";
import * as sshpk from "sshpk";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { HOST_KEY_BINDING } from "../components/catalog/secrets";
import { roleContext, template } from "../components/userdata/render";
import { planCluster } from "../components/plan/clusterPlan";
import { validateConfig } from "../components/config/validate";
import { rawFromStackConfig } from "../components/config/load";
import { decodeUserData } from "../components/userdata/encode";
import { evaluateProgram, Evaluation, isSecretValue, RegisteredResource } from "../scripts/offline/mockEngine";
import { readStackConfig } from "../scripts/offline/stackConfig";
import { TYPES } from "../scripts/offline/resourceTypes";
import { parse } from "yaml";

/**
 * Issue 12, item 5: SSH host keys are known before a node boots. The program generates each
 * node's ed25519 key; its lifecycle is the instance's (replacementTrigger = instance id); every
 * post-step connection pins it, the jump's included; the node installs it before sshd starts.
 */

const ROOT = path.resolve(__dirname, "..");
const KEY = "tls:index/privateKey:PrivateKey";
const PARAMETER = "aws:ssm/parameter:Parameter";
/** An input as the program passed it (the capture keeps Pulumi's secret wrapper). */
const plain = (value: unknown): any => (isSecretValue(value) ? (value as { value: unknown }).value : value);

async function evaluate(ids?: Record<string, string>): Promise<Evaluation> {
    const stack = readStackConfig(path.join(ROOT, "Pulumi.dev.yaml"));
    vi.resetModules();
    return evaluateProgram({ config: stack.config, secretKeys: stack.secretKeys, ids, load: () => import("../index.js") as Promise<Record<string, unknown>> });
}

interface Pinned {
    readonly host: string;
    readonly hostKey: string;
    readonly proxyHost: string;
    readonly proxyHostKey: string;
}

function connection(command: RegisteredResource): Pinned {
    const c = isSecretValue(command.inputs.connection) ? command.inputs.connection.value : command.inputs.connection;
    return { host: c.host, hostKey: c.hostKey, proxyHost: c.proxy.host, proxyHostKey: c.proxy.hostKey };
}

function hostKeys(evaluation: Evaluation): Map<string, { resource: RegisteredResource; publicKey: string }> {
    const keys = new Map<string, { resource: RegisteredResource; publicKey: string }>();
    for (const binding of evaluation.resources.filter((r) => r.type === PARAMETER && String(r.inputs.name).endsWith(`/${HOST_KEY_BINDING}`))) {
        const node = String(binding.inputs.name).split("/")[3];
        const [, ...pub] = String(plain(binding.inputs.value)).split(" ");
        const resource = evaluation.resources.find((r) => r.type === KEY && r.name === `cell-1-${node}-ssh-host-key`)!;
        keys.set(node, { resource, publicKey: pub.join(" ") });
    }
    return keys;
}

describe("host keys: generated, tied to the instance, pinned by every connection", () => {
    let evaluation: Evaluation;
    let replaced: Evaluation;
    beforeAll(async () => {
        evaluation = await evaluate();
        // pulumi up --replace of master-1's instance: a new instance id.
        replaced = await evaluate({ "cell-1-master-1": "i-0new0master1" });
    }, 180_000);

    it("one ed25519 key per node, its replacement trigger the node's instance id", () => {
        const instances = evaluation.resources.filter((r) => r.type === TYPES.instance);
        const keys = hostKeys(evaluation);
        expect(keys.size).toBe(instances.length);
        for (const instance of instances) {
            const key = keys.get(instance.inputs.tags.Name)!;
            expect(key.resource.inputs.algorithm).toBe("ED25519");
            expect(key.resource.replacementTrigger).toBe(instance.id);
            expect(sshpk.parseKey(key.publicKey, "ssh").type).toBe("ed25519");
        }
        expect(new Set([...keys.values()].map((k) => k.publicKey)).size).toBe(keys.size);
    });

    it("every remote.Command pins its node's key and the border's for the jump, in the form @pulumi/command parses (authorized_keys)", () => {
        const keys = hostKeys(evaluation);
        const ipToNode = new Map(evaluation.resources.filter((r) => r.type === TYPES.instance).map((r) => [r.inputs.privateIp as string, r.inputs.tags.Name as string]));
        const commands = evaluation.resources.filter((r) => r.type === TYPES.remoteCommand);
        expect(commands.length).toBeGreaterThan(20);
        for (const command of commands) {
            const c = connection(command);
            expect(c.hostKey, command.name).toBe(keys.get(ipToNode.get(c.host)!)!.publicKey);
            expect(c.proxyHostKey, command.name).toBe(keys.get("border-1")!.publicKey);
            expect(c.hostKey).toMatch(/^ssh-ed25519 [A-Za-z0-9+/]+=*$/);
        }
    });

    it("the binding parameter names the instance and the key's public half, and is written after the key", () => {
        const keys = hostKeys(evaluation);
        for (const binding of evaluation.resources.filter((r) => r.type === PARAMETER && String(r.inputs.name).endsWith(`/${HOST_KEY_BINDING}`))) {
            const node = String(binding.inputs.name).split("/")[3];
            const instance = evaluation.resources.find((r) => r.type === TYPES.instance && r.inputs.tags.Name === node)!;
            expect(binding.inputs.type).toBe("String");
            expect(plain(binding.inputs.value)).toBe(`${instance.id} ${keys.get(node)!.publicKey}`);
            const stored = evaluation.resources.find((r) => r.type === PARAMETER && r.inputs.name === String(binding.inputs.name).replace(HOST_KEY_BINDING, "ssh_host_ed25519_key"))!;
            expect(stored.inputs.type).toBe("SecureString");
            expect(binding.dependsOn).toContain(stored.urn);
        }
    });

    it("a replaced instance gets a new key in the same run, and the commands that connect to it pin the new one", () => {
        const before = hostKeys(evaluation);
        const after = hostKeys(replaced);
        expect(after.get("master-1")!.publicKey).not.toBe(before.get("master-1")!.publicKey);
        for (const node of [...before.keys()].filter((n) => n !== "master-1")) expect(after.get(node)!.publicKey, node).toBe(before.get(node)!.publicKey);
        const onMaster1 = replaced.resources.filter((r) => r.type === TYPES.remoteCommand && connection(r).host === "10.136.64.11");
        expect(onMaster1.length).toBeGreaterThan(3);
        for (const command of onMaster1) expect(connection(command).hostKey).toBe(after.get("master-1")!.publicKey);
    });

    it("the instance boots only after its role's secrets exist (its own etcd files too)", () => {
        const quorum1 = evaluation.resources.find((r) => r.type === TYPES.instance && r.inputs.tags.Name === "quorum-1")!;
        const needed = evaluation.resources.filter((r) => r.type === PARAMETER && /^\/cell-1\/quorum\/(quorum-1\/etcd|[^/]+$)/.test(String(r.inputs.name)));
        expect(needed.length).toBe(5);
        for (const p of needed) expect(quorum1.dependsOn, String(p.inputs.name)).toContain(p.urn);
    });

    it("user data: bootcmd installs the key before sshd, cloud-init generates none, sshd offers only it", () => {
        const master = evaluation.resources.find((r) => r.type === TYPES.instance && r.inputs.tags.Name === "master-1")!;
        const doc = parse(decodeUserData(master.inputs)) as Record<string, any>;
        expect(doc.ssh_deletekeys).toBe(false);
        // Only where no key exists, i.e. only when the fetch failed: then the pinned commands refuse the node.
        expect(doc.ssh_genkeytypes).toEqual(["ed25519"]);
        const [cmd] = doc.bootcmd as string[][];
        expect(cmd.slice(0, 5)).toEqual(["cloud-init-per", "instance", "mesos-cluster-secrets", "sh", "-ec"]);
        expect(cmd[5]).toContain("exec /usr/local/sbin/mesos-cluster-secrets --region eu-west-1 --role-path /cell-1/master --dir /etc/mesos-cluster/secrets --host-key /etc/ssh/ssh_host_ed25519_key");
        const dropIn = (doc.write_files as { path: string; content: string }[]).find((f) => f.path.startsWith("/etc/ssh/sshd_config.d/"))!;
        expect(dropIn.path).toBe("/etc/ssh/sshd_config.d/05-mesos-cluster-host-key.conf");
        expect(dropIn.content).toMatch(/^HostKey \/etc\/ssh\/ssh_host_ed25519_key$/m);
    });
});

describe("the border's sshd", () => {
    it("refuses root and agent forwarding, lets only the operator's user in, keeps ProxyJump", () => {
        const stack = readStackConfig(path.join(ROOT, "Pulumi.dev.yaml"));
        const { sshPrivateKey: _k, ...raw } = rawFromStackConfig(stack.config);
        const validated = validateConfig(raw);
        if (!validated.ok) throw new Error(validated.errors.join("\n"));
        const text = template("partials/sshd-hardening.hbs")(roleContext(planCluster(validated.config), "border"));
        const lines = text.split("\n").filter((l) => l && !l.startsWith("#"));
        expect(lines).toEqual(expect.arrayContaining(["PermitRootLogin no", "AllowAgentForwarding no", "AllowUsers ubuntu", "AllowTcpForwarding yes", "PasswordAuthentication no"]));
    });
});
