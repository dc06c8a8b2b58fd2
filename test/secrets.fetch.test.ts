import { ChildProcess, spawn, spawnSync } from "child_process";
import { generateKeyPairSync } from "crypto";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import * as sshpk from "sshpk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { secretStatements } from "../components/iam/policies";
import { secretsFetchArgs } from "../components/userdata/secretsFetch";

/**
 * The boot fetch (templates/files/mesos-cluster-secrets.py) against the lab's SSM stand-in
 * (test/lab/ssm-stub.py) on loopback, with the arguments the user data gives it: it waits for the
 * host-key binding of its own instance, writes 0400 files atomically in a 0700 directory and the
 * host key 0600, refuses to install a key the binding does not name, and gives up loudly.
 * Needs python3 with boto3 (python3-boto3, scripts/setup-debian.sh); skipped without it.
 */

const ROOT = path.resolve(__dirname, "..");
const FETCH = path.join(ROOT, "templates", "files", "mesos-cluster-secrets.py");
const STUB = path.join(ROOT, "test", "lab", "ssm-stub.py");
const hasBoto3 = spawnSync("python3", ["-c", "import boto3"]).status === 0;
const scope = { region: "eu-west-1", account: "123456789012", clusterId: "c1" };

function ed25519(): { openssh: string; pub: string } {
    const { privateKey } = generateKeyPairSync("ed25519");
    const key = sshpk.parsePrivateKey(privateKey.export({ format: "pem", type: "pkcs8" }).toString(), "pem");
    return { openssh: key.toString("openssh"), pub: key.toPublic().toString("ssh").split(" ").slice(0, 2).join(" ") };
}

async function freePort(): Promise<number> {
    return new Promise((resolve) => {
        const server = net.createServer().listen(0, "127.0.0.1", () => {
            const port = (server.address() as net.AddressInfo).port;
            server.close(() => resolve(port));
        });
    });
}

// The cases run side by side (two of them wait out the fetch's own --timeout): each is a node of
// its own (its own key, binding and directory) under the one stand-in.
describe.skipIf(!hasBoto3)("the boot fetch against the SSM stand-in", { concurrent: true }, () => {
    let dir: string;
    let stub: ChildProcess;
    let endpoint: string;
    const key = ed25519();
    const data = {
        region: scope.region,
        account: scope.account,
        parameters: {
            "/c1/worker/http-operator": { Type: "SecureString", Value: "operator:pw" },
            "/c1/worker/zk-mesos-url": { Type: "SecureString", Value: "zk://mesos:pw@10.0.0.1:2181/mesos" },
            "/c1/worker/mesos-agent-credential.json": { Type: "SecureString", Value: '{"principal":"mesos-agent","secret":"s"}\n' },
            ...Object.fromEntries([1, 2, 3, 4].map((n) => [`/c1/worker/worker-${n}/ssh_host_ed25519_key`, { Type: "SecureString", Value: key.openssh }])),
            "/c1/master/mesos-credentials.json": { Type: "SecureString", Value: "{}" },
        } as Record<string, { Type: string; Value: string }>,
        principals: {
            AKIALABWORKER: { role: "worker", statements: secretStatements("worker", scope) },
            AKIALABMASTER: { role: "master", statements: secretStatements("master", scope) },
        },
    };
    // The stand-in reads the file at every request: write it whole, then rename it into place.
    const write = () => {
        fs.writeFileSync(path.join(dir, "data.json.tmp"), JSON.stringify(data));
        fs.renameSync(path.join(dir, "data.json.tmp"), path.join(dir, "data.json"));
    };
    const bind = (node: string, value: string) => {
        data.parameters[`/c1/worker/${node}/host-key-binding`] = { Type: "String", Value: value };
        write();
    };

    beforeAll(async () => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "fetch-"));
        write();
        const port = await freePort();
        endpoint = `http://127.0.0.1:${port}`;
        stub = spawn("python3", [STUB, "--listen", `127.0.0.1:${port}`, "--data", path.join(dir, "data.json")], { stdio: "ignore" });
        for (let i = 0; i < 50; i++) {
            const up = await new Promise<boolean>((resolve) => net.connect(port, "127.0.0.1").on("connect", function (this: net.Socket) { this.end(); resolve(true); }).on("error", () => resolve(false)));
            if (up) break;
            await new Promise((r) => setTimeout(r, 100));
        }
    });
    afterAll(() => {
        stub?.kill();
        fs.rmSync(dir, { recursive: true, force: true });
    });

    /** The node's own directory: its secrets and its host key. */
    const nodeDir = (node: string) => path.join(dir, node);

    /**
     * The user data's arguments for a worker, redirected into the node's directory. `onErr`
     * sees stderr as it arrives (the whole of it so far), e.g. to act once it waits.
     */
    function fetch(node: string, extra: string[], role = "WORKER", onErr?: (err: string) => void): Promise<{ code: number; err: string }> {
        const args = [...secretsFetchArgs({ clusterId: "c1", region: scope.region }, "worker")];
        const at = (flag: string) => args.indexOf(flag) + 1;
        args[at("--dir")] = path.join(nodeDir(node), "secrets");
        args[at("--host-key")] = path.join(nodeDir(node), "ssh", "ssh_host_ed25519_key");
        return new Promise((resolve) => {
            const child = spawn("python3", [FETCH, ...args, "--endpoint-url", endpoint, "--instance-id", "i-0abc", "--node-name", node, ...extra], {
                env: { ...process.env, AWS_ACCESS_KEY_ID: `AKIALAB${role}`, AWS_SECRET_ACCESS_KEY: "x", AWS_EC2_METADATA_DISABLED: "true" },
            });
            let err = "";
            child.stderr.on("data", (d) => {
                err += d;
                onErr?.(err);
            });
            child.on("close", (code) => resolve({ code: code ?? 1, err }));
        });
    }

    it("gives up loudly when the binding never names this instance (a predecessor's key is never installed)", async () => {
        bind("worker-1", `i-0old ${key.pub}`);
        const r = await fetch("worker-1", ["--timeout", "3"]);
        expect(r.code).toBe(1);
        expect(r.err).toMatch(/gave up after 3 s: \/c1\/worker\/worker-1\/host-key-binding names i-0old, not this instance \(i-0abc\) yet/);
        expect(fs.existsSync(path.join(nodeDir("worker-1"), "ssh", "ssh_host_ed25519_key"))).toBe(false);
        expect(fs.existsSync(path.join(nodeDir("worker-1"), "secrets"))).toBe(false);
    }, 30_000);

    it("refuses a binding whose public key is not the stored key's", async () => {
        bind("worker-2", `i-0abc ${ed25519().pub}`);
        const r = await fetch("worker-2", ["--timeout", "3"]);
        expect(r.code).toBe(1);
        expect(r.err).toMatch(/ssh_host_ed25519_key is not the key host-key-binding names yet/);
        expect(fs.existsSync(path.join(nodeDir("worker-2"), "ssh", "ssh_host_ed25519_key"))).toBe(false);
    }, 30_000);

    it("waits for its binding, then writes every file 0400 in a 0700 directory and the host key 0600", async () => {
        // The binding appears only once the fetch has said it waits for it (a fixed sleep raced
        // a slow start of python and boto3 on a loaded machine).
        let bound = false;
        const r = await fetch("worker-3", ["--timeout", "30"], "WORKER", (err) => {
            if (bound || !/waiting: /.test(err)) return;
            bound = true;
            bind("worker-3", `i-0abc ${key.pub}`);
        });
        expect(bound).toBe(true);
        expect(r.err).toMatch(/waiting: no ssh_host_ed25519_key|waiting: .*host-key-binding names nothing/);
        expect(r.code).toBe(0);
        const secrets = path.join(nodeDir("worker-3"), "secrets");
        expect(fs.statSync(secrets).mode & 0o777).toBe(0o700);
        expect(fs.readdirSync(secrets).sort()).toEqual(["http-operator", "mesos-agent-credential.json", "zk-mesos-url"]);
        for (const f of fs.readdirSync(secrets)) expect(fs.statSync(path.join(secrets, f)).mode & 0o777).toBe(0o400);
        expect(fs.readFileSync(path.join(secrets, "http-operator"), "utf8")).toBe("operator:pw");
        const hostKey = path.join(nodeDir("worker-3"), "ssh", "ssh_host_ed25519_key");
        expect(fs.statSync(hostKey).mode & 0o777).toBe(0o600);
        expect(fs.readFileSync(`${hostKey}.pub`, "utf8").trim()).toBe(key.pub);
        // Idempotent: again, same result.
        expect((await fetch("worker-3", ["--timeout", "10"])).code).toBe(0);
        expect(fs.readdirSync(secrets).filter((f) => f.startsWith(".tmp-"))).toEqual([]);
    }, 60_000);

    it("another role's credentials are refused on this role's path (the stand-in plays IAM with the policy)", async () => {
        const r = await fetch("worker-4", ["--timeout", "3"], "MASTER");
        expect(r.code).toBe(1);
        expect(r.err).toMatch(/AccessDenied/);
        expect(fs.existsSync(path.join(nodeDir("worker-4"), "secrets"))).toBe(false);
    }, 30_000);
});
