import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { ETCD_TLS } from "../components/catalog/etcd";
import { secretPath } from "../components/catalog/secrets";
import { validateConfig } from "../components/config/validate";
import { planCluster } from "../components/plan/clusterPlan";
import { planPostSteps } from "../components/poststeps/sequence";
import { renderRoleBundle } from "../components/userdata/roleBundle";
import { devRawConfig } from "./helpers/devConfig";
import { run } from "./helpers/postSteps";
import { scratch, shims } from "./helpers/standIns";

// Issue 12, etcd: the quorum bundle's unit and etcdctl wrapper, and the member swap's command,
// as the plan writes them (the TLS behaviour itself: test/etcd.tls.swap.test.ts, the lab).

const validated = validateConfig(devRawConfig());
if (!validated.ok) throw new Error(validated.errors.join("\n"));
const plan = planCluster(validated.config);
const bundle = renderRoleBundle(plan, "quorum");
const file = (p: string) => bundle.files.find((f) => f.path === p)!;
const execStart = file("/etc/systemd/system/etcd.service").content.replace(/\\\n/g, " ").split("\n").find((l) => l.startsWith("ExecStart="))!.replace(/\s+/g, " ");

describe("the etcd unit", () => {
    it("names the secrets contract's files", () => {
        expect(ETCD_TLS).toEqual({
            ca: "/etc/mesos-cluster/secrets/etcd-ca.crt",
            cert: "/etc/mesos-cluster/secrets/etcd-node.crt",
            key: "/etc/mesos-cluster/secrets/etcd-node.key",
            clientCert: "/etc/mesos-cluster/secrets/etcd-client.crt",
            clientKey: "/etc/mesos-cluster/secrets/etcd-client.key",
        });
        expect(ETCD_TLS.ca).toBe(secretPath("etcdCa"));
    });

    it("serves TLS on both ports and demands a certificate of etcd's CA from clients and peers, literally", () => {
        const S = "/etc/mesos-cluster/secrets";
        expect(execStart).toBe(
            "ExecStart=/usr/bin/docker run --rm --name %N --network host -v /var/lib/etcd:/var/lib/etcd" +
            ` -v ${S}/etcd-ca.crt:${S}/etcd-ca.crt:ro -v ${S}/etcd-node.crt:${S}/etcd-node.crt:ro -v ${S}/etcd-node.key:${S}/etcd-node.key:ro` +
            " --env-file /etc/mesos-cluster/etcd.env quay.io/coreos/etcd:v3.5.17 /usr/local/bin/etcd --name ${NODE_NAME} --data-dir /var/lib/etcd" +
            " --listen-peer-urls https://${NODE_IP}:2380 --initial-advertise-peer-urls https://${NODE_IP}:2380" +
            " --listen-client-urls https://${NODE_IP}:2379,https://127.0.0.1:2379 --advertise-client-urls https://${NODE_IP}:2379" +
            ` --client-cert-auth --trusted-ca-file ${S}/etcd-ca.crt --cert-file ${S}/etcd-node.crt --key-file ${S}/etcd-node.key` +
            ` --peer-client-cert-auth --peer-trusted-ca-file ${S}/etcd-ca.crt --peer-cert-file ${S}/etcd-node.crt --peer-key-file ${S}/etcd-node.key` +
            " --initial-cluster-token cell-1 --auto-compaction-mode periodic --auto-compaction-retention 1h --quota-backend-bytes 2147483648",
        );
    });

    it("mounts only etcd's own files of the secrets directory: not etcdctl's key, not the SSH host key", () => {
        const mounts = [...execStart.matchAll(/ -v ([^:\s]+):/g)].map((m) => m[1]);
        expect(mounts.filter((m) => m.startsWith("/etc/mesos-cluster/secrets"))).toEqual([ETCD_TLS.ca, ETCD_TLS.cert, ETCD_TLS.key]);
    });

    it("initial cluster in the env file: https peer URLs", () => {
        expect(plan.etcdInitialCluster).toBe("quorum-1=https://10.136.64.21:2380,quorum-2=https://10.136.128.21:2380,quorum-3=https://10.136.192.21:2380");
    });
});

describe("the etcdctl wrapper", () => {
    const wrapper = file("/usr/local/bin/etcdctl");
    /** The wrapper run with a docker that prints its argv, one word a line. */
    const argv = async (...args: string[]) => {
        const dir = scratch("etcdctl-wrapper");
        const script = path.join(dir, "etcdctl");
        fs.writeFileSync(script, wrapper.content.replace("exec /usr/bin/docker ", "exec docker "), { mode: 0o755 });
        const r = await run(script, args, { env: shims({ docker: 'printf "%s\\n" "$@"' }) });
        expect(r.code, r.stderr).toBe(0);
        return r.stdout.trimEnd().split("\n");
    };

    it("is installed executable by the quorum bundle", () => {
        expect(wrapper.permissions).toBe("0755");
        expect(wrapper.content).toMatch(/^#!\/bin\/sh\n/);
    });

    it("hands etcdctl the client certificate through its environment, read-only mounts, the node's own member by default", async () => {
        const words = await argv("member", "list");
        const S = "/etc/mesos-cluster/secrets";
        expect(words).toEqual([
            "run", "--rm", "-i", "--network", "host", "-e", "ETCDCTL_API=3",
            "-v", `${S}/etcd-ca.crt:${S}/etcd-ca.crt:ro`, "-v", `${S}/etcd-client.crt:${S}/etcd-client.crt:ro`, "-v", `${S}/etcd-client.key:${S}/etcd-client.key:ro`,
            "-e", `ETCDCTL_CACERT=${S}/etcd-ca.crt`, "-e", `ETCDCTL_CERT=${S}/etcd-client.crt`, "-e", `ETCDCTL_KEY=${S}/etcd-client.key`,
            "-e", "ETCDCTL_ENDPOINTS=https://127.0.0.1:2379",
            "--entrypoint", "/usr/local/bin/etcdctl", "quay.io/coreos/etcd:v3.5.17", "member", "list",
        ]);
    });

    it("sets no ETCDCTL_ENDPOINTS when the caller gives --endpoints (etcdctl refuses a flag its environment also sets)", async () => {
        for (const given of [["--endpoints=https://10.136.64.22:2379"], ["--endpoints", "https://10.136.64.22:2379"]]) {
            const words = await argv(...given, "endpoint", "health");
            expect(words.filter((w) => w.startsWith("ETCDCTL_ENDPOINTS"))).toEqual([]);
            expect(words.slice(-given.length - 2)).toEqual([...given, "endpoint", "health"]);
        }
    });
});

describe("etcd-member-swap as the plan writes it", () => {
    const swaps = planPostSteps(plan).filter((s) => s.step === "etcd-member-swap");

    it("gives https URLs only, and the wrapper as its etcdctl", () => {
        const q1 = swaps.find((s) => s.node === "quorum-1")!;
        expect(q1.args).toEqual([
            "--name", "quorum-1",
            "--peer-url", "https://10.136.64.21:2380",
            "--client-url", "https://10.136.64.21:2379",
            "--env-file", "/etc/mesos-cluster/etcd.env",
            "--data-dir", "/var/lib/etcd",
            "--unit", "etcd.service",
            "--etcdctl", "/usr/local/bin/etcdctl",
            "--grace", "90",
            "--timeout", "600",
            "https://10.136.128.21:2379", "https://10.136.192.21:2379",
        ]);
        for (const s of swaps) expect(s.args.filter((a) => a.startsWith("http://"))).toEqual([]);
        // The wrapper holds the certificate: the swap passes none (etcdctl would refuse the clash).
        for (const s of swaps) expect(s.args.filter((a) => /^--(cacert|cert|key)/.test(a))).toEqual([]);
    });
});
