import * as fs from "fs";
import * as path from "path";
import { LabError, must, run, RunResult } from "./proc";
import type { LabNode, LabPlan } from "./plan";

/**
 * Secrets reach the lab's hosts as the program delivers them: each node's boot runs the boot
 * fetch of its user data (templates/files/mesos-cluster-secrets.py, the same text and
 * arguments), with its role's credentials, against ssm-stub.py: the SSM JSON protocol serving
 * the parameters the evaluation registered and refusing what the role's IAM policy (the plan's
 * own RolePolicy) does not allow. It listens in the DNS server's namespace, on the VPC
 * resolver's address, reached from every subnet through the router (SSM is reached through the
 * NAT gateway on AWS). A replaced node gets the host key the replaced plan made for its new
 * instance id: the stand-in swaps that node's key and binding before the node boots.
 */

const HERE = __dirname;
const NET = path.join(HERE, "net.sh");
export const SSM_PORT = 8111;

/** An access key id per role: the role's instance profile, as the stand-in knows it. */
export function accessKeyId(role: string): string {
    return `AKIALAB${role.toUpperCase()}`;
}

interface StubData {
    region: string;
    account: string;
    parameters: Record<string, { Type: string; Value: string; Modified: number }>;
    principals: Record<string, { role: string; statements: readonly unknown[] }>;
}

export class LabSsm {
    readonly dir: string;
    private readonly data: StubData;

    constructor(
        private readonly plan: LabPlan,
        private readonly labDir: string,
        private readonly prefix: string,
        readonly address: string,
    ) {
        this.dir = path.join(labDir, "ssm");
        const now = Date.now() / 1000;
        this.data = {
            region: plan.secrets.region,
            account: plan.secrets.account,
            parameters: Object.fromEntries([...plan.secrets.parameters].map(([name, p]) => [name, { ...p, Modified: now }])),
            principals: Object.fromEntries([...plan.secrets.policies].map(([role, statements]) => [accessKeyId(role), { role, statements }])),
        };
    }

    get endpoint(): string {
        return `http://${this.address}:${SSM_PORT}`;
    }

    get dataFile(): string {
        return path.join(this.dir, "parameters.json");
    }

    get logFile(): string {
        return path.join(this.dir, "ssm.log");
    }

    /** In the DNS namespace (which must be up); returns once it listens. */
    start(): void {
        fs.rmSync(this.dir, { recursive: true, force: true });
        fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
        this.write();
        must(["bash", NET, "ssm-up", `${this.address}:${SSM_PORT}`, path.join(HERE, "ssm-stub.py"), this.dataFile, this.logFile], "net.sh ssm-up",
            { env: { ...process.env, LAB_DIR: this.labDir, LAB_PREFIX: this.prefix } });
    }

    private write(): void {
        const tmp = `${this.dataFile}.tmp`;
        fs.writeFileSync(tmp, JSON.stringify(this.data), { mode: 0o600 });
        fs.renameSync(tmp, this.dataFile);
    }

    /**
     * The node's own parameters as `source` (the plan that created its instance) has them: the
     * replaced plan's host key and binding for a replaced node, the grown plan's for a new one.
     */
    install(node: LabNode, source: LabPlan): void {
        const own = `/${node.tags.Cluster}/${node.role}/${node.name}/`;
        const mine = [...source.secrets.parameters].filter(([name]) => name.startsWith(own));
        if (mine.length === 0) throw new LabError(`${node.name}: the plan has no parameter under ${own}`);
        // A node that already had parameters keeps its etcd certificates (the plans' CAs differ).
        const existing = Object.keys(this.data.parameters).some((name) => name.startsWith(own));
        const now = Date.now() / 1000;
        for (const [name, p] of mine) {
            if (existing && source !== this.plan && !/\/(ssh_host_ed25519_key|host-key-binding)$/.test(name)) continue;
            this.data.parameters[name] = { ...p, Modified: now };
        }
        for (const [name, p] of source.secrets.parameters) if (!(name in this.data.parameters)) this.data.parameters[name] = { ...p, Modified: now };
        this.write();
    }

    /** The node's boot fetch as a script the node's init runs before sshd: its user data's own. */
    bootScript(node: LabNode, hostKeyFile: string, scriptFile: string): string {
        const args = [...node.fetch.args, "--host-key", hostKeyFile, "--endpoint-url", this.endpoint, "--instance-id", node.instanceId, "--timeout", "60"];
        return [
            "#!/bin/sh",
            "# The lab's boot fetch: the user data's, with the role's credentials and the lab's SSM endpoint.",
            "set -e",
            `export AWS_ACCESS_KEY_ID=${accessKeyId(node.role)} AWS_SECRET_ACCESS_KEY=lab-not-checked AWS_EC2_METADATA_DISABLED=true`,
            `exec /usr/bin/python3 ${scriptFile} ${args.join(" ")}`,
            "",
        ].join("\n");
    }

    /** One SSM call from inside a node's network namespace with `role`'s credentials: the stand-in's answer. */
    probe(inNet: (argv: readonly string[]) => RunResult, role: string, target: "GetParametersByPath" | "GetParameter", name: string): { ok: boolean; error: string } {
        const py = [
            "import boto3, sys",
            `c = boto3.client('ssm', region_name='${this.data.region}', endpoint_url='${this.endpoint}', aws_access_key_id='${accessKeyId(role)}', aws_secret_access_key='x')`,
            "try:",
            target === "GetParameter" ? `    c.get_parameter(Name='${name}', WithDecryption=True)` : `    c.get_parameters_by_path(Path='${name}', WithDecryption=True)`,
            "    print('ok')",
            "except Exception as e:",
            "    print(type(e).__name__ + ': ' + str(e))",
        ].join("\n");
        const r = inNet(["env", "AWS_EC2_METADATA_DISABLED=true", "python3", "-c", py]);
        const out = r.stdout.trim();
        return { ok: out === "ok", error: out === "ok" ? "" : out || r.stderr.trim() };
    }

    /** The stand-in's log lines (ALLOW/DENY per request). */
    log(): string[] {
        return fs.existsSync(this.logFile) ? fs.readFileSync(this.logFile, "utf8").split("\n").filter(Boolean) : [];
    }
}

/** Whether a process in the namespace listens (for net.sh's wait). */
export function listening(ns: string, port: number): boolean {
    return run(["ip", "netns", "exec", ns, "ss", "-Hltn", `sport = :${port}`]).stdout.trim() !== "";
}
