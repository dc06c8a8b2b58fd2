import { createHash } from "crypto";
import * as zlib from "zlib";
import { describe, expect, it, vi } from "vitest";
import { validateConfig } from "../components/config/validate";
import { ClusterPlan, planCluster } from "../components/plan/clusterPlan";
import { decodeUserData, encodeUserData, UserDataTooLarge } from "../components/userdata/encode";
import { template, unitImage, unitWord, yamlScalar } from "../components/userdata/render";
import { renderRoleBundle } from "../components/userdata/roleBundle";
import { controlPlane, nodeFiles, roleValues } from "../components/userdata/roleValues";
import { nodeEnvFile, renderAllUserData, renderCloudConfig } from "../components/userdata/userData";
import { devRawConfig, withPatch } from "./helpers/devConfig";

// Issue 15: tests written against the mutants StrykerJS left alive in components/userdata/.
// Expected values are written out (read off the dev stack's plan by hand: masters 10.136.64.11,
// 10.136.128.11, 10.136.192.11; quorum nodes at .21 of the same subnets).

function planOf(patch: Record<string, unknown> = {}): ClusterPlan {
    const validated = validateConfig(withPatch(devRawConfig(), patch));
    if (!validated.ok) throw new Error(validated.errors.join("\n"));
    return planCluster(validated.config);
}
const dev = planOf();
const node = (plan: ClusterPlan, name: string) => plan.nodes.find((n) => n.name === name)!;

/** ASCII text that gzip barely compresses (base64 of a fixed pseudo-random byte stream). */
function noise(length: number): string {
    let s = 7;
    const bytes = Buffer.alloc(length);
    for (let i = 0; i < length; i++) {
        s = (Math.imul(s, 1103515245) + 12345) >>> 0;
        bytes[i] = s >>> 24;
    }
    return bytes.toString("base64").slice(0, length);
}

describe("encodeUserData at the edges", () => {
    it("accepts gzipped user data of exactly 16384 bytes and refuses 16385", () => {
        // The lengths whose level-9 gzip is 16384 and 16385 bytes, found by search (zlib's output
        // is deterministic for a given build); both are well over 16384 bytes raw.
        const gzipped = (text: string) => zlib.gzipSync(Buffer.from(text), { level: 9 }).length;
        let fits: string | undefined;
        let over: string | undefined;
        for (let length = 21_000; length < 24_000 && !(fits && over); length++) {
            const text = noise(length);
            const size = gzipped(text);
            if (size === 16384 && !fits) fits = text;
            if (size === 16385 && !over) over = text;
        }
        expect(fits, "a text that gzips to 16384 bytes").toBeDefined();
        expect(over, "a text that gzips to 16385 bytes").toBeDefined();
        expect(encodeUserData(fits!)).toMatchObject({ gzip: true, bytes: 16384, textBytes: fits!.length });
        expect(() => encodeUserData(over!)).toThrow(UserDataTooLarge);
    });

    it("gzips at level 9, not at zlib's default", () => {
        const text = `#cloud-config\n${Array.from({ length: 3000 }, (_, i) => `worker-${(i * 7919) % 1000} 10.136.${i % 256}.${(i * 31) % 256} ${"abcdefgh".slice(i % 8)}\n`).join("")}`;
        const best = zlib.gzipSync(Buffer.from(text), { level: 9 }).length;
        expect(zlib.gzipSync(Buffer.from(text)).length).not.toBe(best); // the text tells them apart
        expect(encodeUserData(text).bytes).toBe(best);
    });

    it("says how large the refused user data was", () => {
        const text = noise(30_000);
        let error: UserDataTooLarge | undefined;
        try {
            encodeUserData(text);
        } catch (err) {
            error = err as UserDataTooLarge;
        }
        expect(error).toBeInstanceOf(UserDataTooLarge);
        expect(error!.textBytes).toBe(30_000);
        expect(error!.gzipBytes).toBeGreaterThan(16384);
        expect(error!.message).toBe(`user data is 30000 bytes, ${error!.gzipBytes} gzipped; EC2 allows 16384`);
    });

    it("decodes plain text, even empty, before any gzipped form, and refuses neither", () => {
        const gz = zlib.gzipSync(Buffer.from("gzipped")).toString("base64");
        expect(decodeUserData({ userData: "plain" })).toBe("plain");
        expect(decodeUserData({ userData: "", userDataBase64: gz })).toBe("");
        expect(decodeUserData({ userDataBase64: gz })).toBe("gzipped");
        expect(() => decodeUserData({})).toThrow(/^no user data$/);
    });
});

describe("a node's own files and cloud-config", () => {
    it("writes the node env file, one plain word a value", () => {
        expect(nodeEnvFile(node(dev, "master-2"))).toBe("NODE_NAME=master-2\nNODE_FQDN=master-2.cell-1.dc-1.demo.lan\nNODE_IP=10.136.128.11\nNODE_ROLE=master\n");
        expect(() => nodeEnvFile({ ...node(dev, "worker-1"), fqdn: "worker-1 evil" })).toThrow('unsafe value for a systemd unit or hosts file: "worker-1 evil"');
    });

    it("gives a master its env file, the Exhibitor file and the Mesos-DNS config, a worker only its env file", () => {
        const master = renderCloudConfig(dev, node(dev, "master-2"), renderRoleBundle(dev, "master"));
        expect(master.files.map((f) => [f.path, f.permissions])).toEqual([
            ["/etc/ssh/sshd_config.d/05-mesos-cluster-host-key.conf", "0644"],
            ["/etc/mesos-cluster/node.env", "0644"],
            ["/etc/mesos-cluster/exhibitor", "0644"],
            ["/etc/mesos-dns/config.json", "0644"],
        ]);
        expect(master.files[2].content).toBe("EXHIBITOR_BACKEND=STATIC\nEXHIBITOR_STATICENSEMBLE=1:10.136.128.11,2:10.136.192.11,3:10.136.64.11\n");
        const worker = renderCloudConfig(dev, node(dev, "worker-1"), renderRoleBundle(dev, "worker"));
        expect(worker.files).toEqual([
            {
                path: "/etc/ssh/sshd_config.d/05-mesos-cluster-host-key.conf",
                permissions: "0644",
                content: "# mesos-cluster: the host key the program generated and the post-steps pin; no other.\nHostKey /etc/ssh/ssh_host_ed25519_key\n",
            },
            { path: "/etc/mesos-cluster/node.env", permissions: "0644", content: "NODE_NAME=worker-1\nNODE_FQDN=worker-1.cell-1.dc-1.demo.lan\nNODE_IP=10.136.64.101\nNODE_ROLE=worker\n" }]);
        expect(nodeFiles(controlPlane(dev), node(dev, "quorum-1"))).toEqual([]);
        expect(nodeFiles(controlPlane(dev), node(dev, "border-1"))).toEqual([]);
    });

    it("reboots only workers once at first boot, and writes files with mode 0644 unless told", () => {
        const text = (name: string, role: "worker" | "master" | "border" | "quorum") => renderCloudConfig(dev, node(dev, name), renderRoleBundle(dev, role)).text;
        expect(text("worker-2", "worker")).toContain("\npower_state:\n  mode: reboot\n");
        for (const [name, role] of [["master-1", "master"], ["quorum-1", "quorum"], ["border-1", "border"]] as const) expect(text(name, role), name).not.toContain("power_state");
        expect(text("border-1", "border")).toContain('  - path: "/etc/mesos-cluster/node.env"\n    permissions: "0644"\n    content: "NODE_NAME=border-1\\n');
        expect(text("border-1", "border")).toContain('hostname: "border-1"\nfqdn: "border-1.cell-1.dc-1.demo.lan"\n');
    });

    it("configures Mesos-DNS on a master in full", () => {
        const config = nodeFiles(controlPlane(dev), node(dev, "master-2")).find((f) => f.path === "/etc/mesos-dns/config.json")!.content;
        expect(config.endsWith("}\n")).toBe(true);
        expect(JSON.parse(config)).toEqual({
            zk: "zk://10.136.64.11:2181,10.136.128.11:2181,10.136.192.11:2181/mesos",
            masters: ["10.136.64.11:5050", "10.136.128.11:5050", "10.136.192.11:5050"],
            refreshSeconds: 60,
            ttl: 60,
            domain: "mesos",
            port: 53,
            listener: "10.136.128.11",
            resolvers: ["169.254.169.253"],
            timeout: 5,
            httpon: true,
            httpport: 8123,
            externalon: true,
            SOAMname: "ns1.mesos",
            SOARname: "root.ns1.mesos",
            IPSources: ["netinfo", "mesos", "host"],
        });
        expect(config.split("\n")[1]).toBe(' "zk": "zk://10.136.64.11:2181,10.136.128.11:2181,10.136.192.11:2181/mesos",');
    });

    it("derives the masters file for masters and Marathon's URLs for workers, nothing for the others", () => {
        const control = controlPlane(dev);
        expect(roleValues(control, "master")).toEqual({ mastersFile: "master-1 10.136.64.11\nmaster-2 10.136.128.11\nmaster-3 10.136.192.11\n" });
        expect(roleValues(control, "worker")).toEqual({ marathonUrls: ["http://10.136.64.11:8080", "http://10.136.128.11:8080", "http://10.136.192.11:8080"] });
        expect(roleValues(control, "border")).toEqual({});
        expect(roleValues(control, "quorum")).toEqual({
            etcdTls: {
                ca: "/etc/mesos-cluster/secrets/etcd-ca.crt",
                cert: "/etc/mesos-cluster/secrets/etcd-node.crt",
                key: "/etc/mesos-cluster/secrets/etcd-node.key",
                clientCert: "/etc/mesos-cluster/secrets/etcd-client.crt",
                clientKey: "/etc/mesos-cluster/secrets/etcd-client.key",
            },
        });
        expect(control.masters.map((n) => n.name)).toEqual(["master-1", "master-2", "master-3"]);
        expect(control.quorum.map((n) => n.name)).toEqual(["quorum-1", "quorum-2", "quorum-3"]);
        expect(control).toMatchObject({ mesosQuorum: 2, exhibitorStaticEnsemble: "1:10.136.128.11,2:10.136.192.11,3:10.136.64.11" });
        expect(control.etcdInitialCluster).toBe("quorum-1=https://10.136.64.21:2380,quorum-2=https://10.136.128.21:2380,quorum-3=https://10.136.192.21:2380");
        expect(control.marathonZk).toBe("zk://10.136.64.11:2181,10.136.128.11:2181,10.136.192.11:2181/marathon");
    });
});

describe("renderAllUserData", () => {
    it("renders a bundle only for roles that have nodes, and gives each node its own files then its bundle's", () => {
        const none = renderAllUserData(planOf({ nodes: { worker: { count: 0 } } }));
        expect([...none.bundles.keys()]).toEqual(["border", "quorum", "master"]);
        expect([...none.userData.keys()].sort()).toEqual(["border-1", "master-1", "master-2", "master-3", "quorum-1", "quorum-2", "quorum-3"]);
        const all = renderAllUserData(dev);
        expect([...all.bundles.keys()]).toEqual(["border", "quorum", "master", "worker"]);
        const quorum = all.userData.get("quorum-2")!;
        expect(quorum.files.map((f) => f.path)).toEqual([
            "/etc/ssh/sshd_config.d/05-mesos-cluster-host-key.conf",
            "/etc/mesos-cluster/node.env",
            "/etc/docker/daemon.json",
            "/etc/mesos-cluster/units",
            "/usr/local/bin/clusterstat",
            "/usr/local/sbin/mesos-cluster-registry",
            "/etc/mesos-cluster/etcd.env",
            "/usr/local/bin/etcdctl",
            "/etc/systemd/system/etcd.service",
            "/etc/systemd/system/node-exporter.service",
        ]);
        expect(quorum).toMatchObject({ gzip: false, bytes: Buffer.byteLength(quorum.text), userData: quorum.text });
        expect(quorum.bundle).toBe(all.bundles.get("quorum"));
        expect(all.errors).toEqual([]);
    });

    it("reports every node whose user data cannot fit, by its role's key, instead of throwing", () => {
        const huge: ClusterPlan = { ...dev, sshPublicKey: `ssh-ed25519 ${noise(40_000)}` };
        const { errors, userData } = renderAllUserData(huge);
        expect(userData.size).toBe(0);
        expect(errors).toHaveLength(10);
        expect(errors[0]).toMatch(/^mesos-cluster:nodes\.border: border-1: user data is \d+ bytes, \d+ gzipped; EC2 allows 16384$/);
        expect(errors.filter((e) => e.startsWith("mesos-cluster:nodes.worker: worker-3: "))).toHaveLength(1);
    });
});

describe("role bundles", () => {
    /** The files the install script writes, read back out of its here-documents. */
    function written(script: string): { path: string; permissions: string; content: string }[] {
        const out: { path: string; permissions: string; content: string }[] = [];
        const lines = script.split("\n");
        for (let i = 0; i < lines.length; i++) {
            const put = /^put (\S+) (\d{4}) <<'MESOS_CLUSTER_FILE'$/.exec(lines[i]);
            if (!put) continue;
            const end = lines.indexOf("MESOS_CLUSTER_FILE", i + 1);
            out.push({ path: put[1], permissions: put[2], content: `${lines.slice(i + 1, end).join("\n")}\n` });
            i = end;
        }
        return out;
    }

    it("install exactly their files, each in a here-document of its own", () => {
        for (const role of ["border", "quorum", "master", "worker"] as const) {
            const bundle = renderRoleBundle(dev, role);
            const expected = bundle.files.map((f) => ({ ...f, content: f.content.endsWith("\n") ? f.content : `${f.content}\n` }));
            expect(written(bundle.script), role).toEqual(expected.map(({ path, permissions, content }) => ({ path, permissions, content })));
        }
    });

    it("start with the strict header and end with the registry setup, docker restart and the role's units", () => {
        const script = (role: "border" | "quorum" | "master" | "worker") => renderRoleBundle(dev, role).script;
        expect(script("quorum").split("\n").slice(0, 5)).toEqual([
            "#!/bin/bash",
            "# The quorum bundle of cell-1 (mesos-cluster): installs the role's files and starts",
            "# its units. Run once by cloud-init at first boot, after its sha256 matched the user data.",
            "set -euo pipefail",
            'put() { install -D -m "$2" /dev/stdin "$1"; }',
        ]);
        const tail = (role: "border" | "quorum" | "master" | "worker", n: number) => script(role).split("\n").slice(-n - 1, -1);
        expect(tail("quorum", 6)).toEqual([
            "MESOS_CLUSTER_FILE",
            'for f in etcd-ca.crt etcd-node.crt etcd-node.key etcd-client.crt etcd-client.key; do [ -s /etc/mesos-cluster/secrets/"$f" ] || { echo "mesos-cluster: /etc/mesos-cluster/secrets/$f is missing: the boot fetch of secrets failed (cloud-init-output.log)" >&2; exit 1; }; done',
            "/usr/local/sbin/mesos-cluster-registry",
            "systemctl daemon-reload",
            "systemctl restart docker.service",
            "systemctl enable --now docker.service etcd.service node-exporter.service",
        ]);
        expect(tail("worker", 7)).toEqual([
            "MESOS_CLUSTER_FILE",
            "update-grub",
            'for f in mesos-agent-credential.json http-operator zk-mesos-url; do [ -s /etc/mesos-cluster/secrets/"$f" ] || { echo "mesos-cluster: /etc/mesos-cluster/secrets/$f is missing: the boot fetch of secrets failed (cloud-init-output.log)" >&2; exit 1; }; done',
            "/usr/local/sbin/mesos-cluster-registry",
            "systemctl daemon-reload",
            "systemctl restart docker.service",
            "systemctl enable --now docker.service mesos-agent.service marathon-lb.service cadvisor.service node-exporter.service",
        ]);
        expect(tail("border", 3)).toEqual([
            "systemctl restart docker.service",
            "systemctl enable --now docker.service node-exporter.service",
            "systemctl try-reload-or-restart ssh.service",
        ]);
        expect(script("master")).not.toContain("update-grub");
        expect(script("master")).not.toContain("ssh.service");
        expect(script("master").endsWith("node-exporter.service\n")).toBe(true);
    });

    it("are kept under their content's sha256", () => {
        const bundle = renderRoleBundle(dev, "master");
        const sha = createHash("sha256").update(bundle.script).digest("hex");
        expect(bundle).toMatchObject({ role: "master", sha256: sha, key: `bundles/master-${sha}.sh` });
    });

    it("carry the role's own files, written out", () => {
        const content = (role: "quorum" | "master" | "worker", p: string) => renderRoleBundle(dev, role).files.find((f) => f.path === p);
        expect(content("quorum", "/etc/mesos-cluster/etcd.env")).toEqual({
            path: "/etc/mesos-cluster/etcd.env",
            permissions: "0644",
            content: "ETCD_INITIAL_CLUSTER=quorum-1=https://10.136.64.21:2380,quorum-2=https://10.136.128.21:2380,quorum-3=https://10.136.192.21:2380\nETCD_INITIAL_CLUSTER_STATE=new\n",
        });
        expect(content("quorum", "/usr/local/bin/etcdctl")).toEqual({
            path: "/usr/local/bin/etcdctl",
            permissions: "0755",
            content: [
                "#!/bin/sh",
                "# etcdctl of the etcd image this node runs, with the cluster's etcd client certificate",
                "# (installed by the quorum bundle). Give --endpoints, or it asks this node's own member.",
                "endpoints=https://127.0.0.1:2379",
                'for arg in "$@"; do case $arg in --endpoints | --endpoints=*) endpoints= ;; esac; done',
                "exec /usr/bin/docker run --rm -i --network host -e ETCDCTL_API=3 -v /etc/mesos-cluster/secrets/etcd-ca.crt:/etc/mesos-cluster/secrets/etcd-ca.crt:ro -v /etc/mesos-cluster/secrets/etcd-client.crt:/etc/mesos-cluster/secrets/etcd-client.crt:ro -v /etc/mesos-cluster/secrets/etcd-client.key:/etc/mesos-cluster/secrets/etcd-client.key:ro \\",
                "  -e ETCDCTL_CACERT=/etc/mesos-cluster/secrets/etcd-ca.crt -e ETCDCTL_CERT=/etc/mesos-cluster/secrets/etcd-client.crt -e ETCDCTL_KEY=/etc/mesos-cluster/secrets/etcd-client.key \\",
                '  ${endpoints:+-e ETCDCTL_ENDPOINTS=$endpoints} --entrypoint /usr/local/bin/etcdctl quay.io/coreos/etcd:v3.5.17 "$@"',
                "",
            ].join("\n"),
        });
        expect(content("worker", "/etc/docker/daemon.json")!.content).toBe('{\n  "log-driver": "local",\n  "log-opts": {\n    "max-size": "20m",\n    "max-file": "5"\n  }\n}\n');
        expect(content("master", "/etc/mesos-cluster/masters")!.content).toBe("master-1 10.136.64.11\nmaster-2 10.136.128.11\nmaster-3 10.136.192.11\n");
        expect(content("master", "/etc/mesos-cluster/units")!.content).toBe(
            "docker.service\nzookeeper.service\nmesos-master.service\nmarathon.service\nmesos-dns.service\nprometheus.service\ncadvisor.service\nnode-exporter.service\n",
        );
        expect(content("worker", "/etc/default/grub.d/99-mesos-cgroup-v1.cfg")!.content).toBe(
            'GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX systemd.unified_cgroup_hierarchy=0 SYSTEMD_CGROUP_ENABLE_LEGACY_FORCE=1"\n',
        );
    });

    it("refuse a file holding the here-document's delimiter as a line", () => {
        const plan: ClusterPlan = { ...dev, etcdInitialCluster: "quorum-1=http://10.136.64.21:2380\nMESOS_CLUSTER_FILE" };
        expect(() => renderRoleBundle(plan, "quorum")).toThrow(/^\/etc\/mesos-cluster\/etcd\.env contains the line MESOS_CLUSTER_FILE$/);
        // Inside a line it is harmless.
        expect(() => renderRoleBundle({ ...dev, etcdInitialCluster: "x-MESOS_CLUSTER_FILE" }, "quorum")).not.toThrow();
    });
});

describe("render helpers", () => {
    it("escapes everything outside printable ASCII in YAML scalars, astral characters with \\U", () => {
        expect(yamlScalar("a\u0085b\u2028c")).toBe('"a\\u0085b\\u2028c"');
        expect(yamlScalar("é")).toBe('"\\u00e9"');
        expect(yamlScalar("\u{1f600}")).toBe('"\\U0001f600"');
        expect(yamlScalar("\uffff")).toBe('"\\uffff"'); // the last code point written with \u
        expect(yamlScalar("\x7f")).toBe('"\\u007f"');
        expect(yamlScalar("~ plain ~")).toBe('"~ plain ~"');
        expect(yamlScalar(5)).toBe("5");
        expect(yamlScalar(true)).toBe("true");
        // A list is a YAML flow sequence of JSON strings: its strings are escaped the same way,
        // or a raw U+2028 inside would end the line for cloud-init's YAML 1.1 parser.
        expect(yamlScalar(["a\u2028b", "é"])).toBe('["a\\u2028b","\\u00e9"]');
        // A value JSON cannot write is refused, not rendered as the text "undefined".
        expect(() => yamlScalar(undefined)).toThrow("no YAML scalar for undefined");
    });

    it("takes a unit word only whole, and an image behind ${ECR_REGISTRY}/ as one word after it", () => {
        expect(unitWord("a-b_c.d:e/f,g=h@i+j")).toBe("a-b_c.d:e/f,g=h@i+j");
        expect(() => unitWord("ok bad")).toThrow('unsafe value for a systemd unit or hosts file: "ok bad"');
        expect(() => unitWord("x\n")).toThrow();
        expect(() => unitWord("$x")).toThrow();
        expect(unitImage("${ECR_REGISTRY}/cell-1-dockerhub/mesosphere/marathon:v1")).toBe("${ECR_REGISTRY}/cell-1-dockerhub/mesosphere/marathon:v1");
        expect(unitImage("quay.io/coreos/etcd:v3.5.17")).toBe("quay.io/coreos/etcd:v3.5.17");
        expect(() => unitImage("${ECR_REGISTRY}/a b")).toThrow('unsafe value for a systemd unit or hosts file: "a b"');
        expect(() => unitImage("${OTHER}/a")).toThrow('unsafe value for a systemd unit or hosts file: "${OTHER}/a"');
    });

    it("refuses to render a template whose value is missing, instead of writing an empty string", async () => {
        // Afresh: templates compile once per module, so the compile options must be read here.
        vi.resetModules();
        const render = await import("../components/userdata/render.js");
        expect(() => render.template("partials/install-bundle.hbs")({})).toThrow(/"key" not defined/);
        expect(template("partials/install-bundle.hbs")({ bundle: { key: "bundles/k.sh", sha256: "f00" } })).toContain("https://$b/bundles/k.sh");
    });

});

// Module-level constants (UNIT_WORD, CGROUP_V1_GRUB) take a mutant only when their module loads
// after StrykerJS activated it, i.e. in a module graph loaded inside the test, not at import.
describe("module constants, loaded afresh", () => {
    it("a unit word is matched whole, from its start to its end", async () => {
        vi.resetModules();
        const render = await import("../components/userdata/render.js");
        expect(() => render.unitWord("ok bad")).toThrow('unsafe value for a systemd unit or hosts file: "ok bad"');
        expect(() => render.unitWord("$x-ok")).toThrow();
        expect(() => render.unitWord("ok-$x")).toThrow();
        expect(render.unitWord("ok")).toBe("ok");
    });

    it("the workers' grub file and the border's sshd file are in their bundles", async () => {
        vi.resetModules();
        const bundles = await import("../components/userdata/roleBundle.js");
        const files = (role: "border" | "worker") => bundles.renderRoleBundle(dev, role).files;
        expect(files("worker").find((f) => f.path === "/etc/default/grub.d/99-mesos-cgroup-v1.cfg")?.content).toBe(
            'GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX systemd.unified_cgroup_hierarchy=0 SYSTEMD_CGROUP_ENABLE_LEGACY_FORCE=1"\n',
        );
        expect(files("border").map((f) => f.path)).toEqual([
            "/etc/docker/daemon.json",
            "/etc/mesos-cluster/units",
            "/usr/local/bin/clusterstat",
            "/usr/local/sbin/mesos-cluster-registry",
            "/etc/ssh/sshd_config.d/10-mesos-cluster.conf",
            "/etc/systemd/system/node-exporter.service",
        ]);
    });
});
