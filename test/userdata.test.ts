import { spawnSync } from "child_process";
import * as zlib from "zlib";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { RawConfig, validateConfig } from "../components/config/validate";
import { ClusterPlan, planCluster } from "../components/plan/clusterPlan";
import { USER_DATA_LIMIT } from "../components/userdata/encode";
import { shellQuote as shQuote } from "../components/text/shellQuote";
import { unitWord, yamlScalar } from "../components/userdata/render";
import { roleUnits } from "../components/catalog/services";
import { pullReference } from "../components/registry/images";
import { NodeUserData, renderAllUserData } from "../components/userdata/userData";
import { isUnitFile, readNode, WrittenFile } from "./helpers/validators";
import { devRawConfig, withPatch } from "./helpers/devConfig";

function planOf(raw: RawConfig): ClusterPlan {
    const validated = validateConfig(raw);
    if (!validated.ok) throw new Error(validated.errors.join("\n"));
    return planCluster(validated.config);
}

function render(raw: RawConfig): Map<string, NodeUserData> {
    const rendered = renderAllUserData(planOf(raw));
    expect(rendered.errors).toEqual([]);
    return rendered.userData;
}

const dev = render(devRawConfig());
const devPlan = planOf(devRawConfig());

function files(node: string, stack = dev): Map<string, WrittenFile> {
    return new Map(readNode(stack.get(node)!).files.map((f) => [f.path, f]));
}
const file = (node: string, p: string, stack = dev) => {
    const found = files(node, stack).get(p);
    if (!found) throw new Error(`${node} writes no ${p}`);
    return found.content;
};
/**
 * A unit as systemd runs it on that node: ${NODE_*} from the node's env file, %N the unit's
 * name, %% a percent sign (the unit files themselves are the same on every node of a role).
 */
const unit = (node: string, name: string, stack = dev) => {
    const env = Object.fromEntries(file(node, "/etc/mesos-cluster/node.env", stack).trim().split("\n").map((line) => line.split("=")));
    return file(node, `/etc/systemd/system/${name}`, stack)
        .replace(/\$\{(NODE_[A-Z]+)\}/g, (_, key: string) => env[key] ?? `<unset ${key}>`)
        .replace(/%N/g, name.replace(/\.service$/, ""))
        .replace(/%%/g, "%");
};
const execStart = (unitText: string) => /^ExecStart=((?:.*\\\n)*.*)$/m.exec(unitText)![1].replace(/\\\n\s*/g, "");

describe("each role boots into its services", () => {
    const expected: Record<string, string[]> = {
        "border-1": ["node-exporter.service"],
        "quorum-1": ["etcd.service", "node-exporter.service"],
        "master-1": ["zookeeper.service", "mesos-master.service", "marathon.service", "mesos-dns.service", "prometheus.service", "cadvisor.service", "node-exporter.service"],
        "worker-1": ["mesos-agent.service", "marathon-lb.service", "cadvisor.service", "node-exporter.service"],
    };

    it.each(Object.entries(expected))("%s writes exactly its role's units, enables them with docker and lists them for clusterstat", (node, units) => {
        const doc = readNode(dev.get(node)!);
        expect(doc.files.filter(isUnitFile).map((f) => f.path.replace("/etc/systemd/system/", "")).sort()).toEqual([...units].sort());
        expect(doc.packages).toContain("docker.io");
        // The bundle enables and starts them; the user data runs the bundle (and only that).
        expect(dev.get(node)!.bundle.script).toContain(`\nsystemctl enable --now ${["docker.service", ...units].join(" ")}\n`);
        expect((doc.doc.runcmd as string[][]).length).toBe(1);
        expect(file(node, "/etc/mesos-cluster/units")).toBe(["docker.service", ...units].map((u) => `${u}\n`).join(""));
        expect(files(node).get("/usr/local/bin/clusterstat")?.permissions).toBe("0755");
    });

    it("master unit names are the contract the post-steps use", () => {
        expect(roleUnits("master", { vpn: false })).toEqual(expect.arrayContaining(["zookeeper.service", "mesos-master.service", "marathon.service", "mesos-dns.service"]));
    });

    it("every unit runs one --rm host-network container named after itself, pinned, restarted, after docker", () => {
        const config = validateConfig(devRawConfig());
        if (!config.ok) throw new Error("dev config");
        const plan = planCluster(config.config);
        const images = Object.values(config.config.images).map((image) => pullReference(image, plan.registry));
        for (const [node, data] of render(withPatch(devRawConfig(), { vpn: { enabled: true } }))) {
            for (const f of readNode(data).files.filter(isUnitFile)) {
                const name = f.path.replace(/^.*\/(.*)\.service$/, "$1");
                const where = `${node} ${name}`;
                expect(f.content, where).toMatch(/^Restart=always$/m);
                expect(f.content, where).toMatch(/^After=docker\.service\b/m);
                expect(f.content, where).toMatch(/^Requires=docker\.service$/m);
                expect(unit(node, `${name}.service`, render(withPatch(devRawConfig(), { vpn: { enabled: true } }))), where).toContain(`ExecStartPre=-/usr/bin/docker rm -f ${name}\n`);
                expect(f.content, where).toMatch(/^WantedBy=multi-user\.target$/m);
                const run = execStart(f.content).replace(/%N/g, name);
                expect(run, where).toContain(`/usr/bin/docker run --rm --name ${name} --network host `);
                // The agent runs the image built on the node from the configured ones.
                const used = name === "mesos-agent" ? f.content : run;
                expect(images.some((image) => used.includes(` ${image}`)), where).toBe(true);
            }
        }
    });
});

describe("masters", () => {
    it("write the Exhibitor env file at the documented path: exactly the two lines of the plan", () => {
        const content = file("master-2", "/etc/mesos-cluster/exhibitor");
        expect(content).toBe(`EXHIBITOR_BACKEND=STATIC\nEXHIBITOR_STATICENSEMBLE=${devPlan.exhibitorStaticEnsemble}\n`);
        expect(content).toBe("EXHIBITOR_BACKEND=STATIC\nEXHIBITOR_STATICENSEMBLE=1:10.136.128.11,2:10.136.192.11,3:10.136.64.11\n");
        expect(files("master-2").get("/usr/local/bin/zk-static-ensemble")?.permissions).toBe("0755");
    });

    it("start ZooKeeper through the launcher with the node's own IP, then the official image", () => {
        const run = execStart(unit("master-2", "zookeeper.service"));
        expect(run).toMatch(
            /^\/usr\/local\/bin\/zk-static-ensemble --env \/etc\/mesos-cluster\/exhibitor --ip 10\.136\.128\.11 --conf-dir \/etc\/zookeeper\/conf --data-dir \/var\/lib\/zookeeper --cfg-data-dir \/data --ports 2181:2888:3888 -- \/usr\/bin\/docker run /,
        );
        expect(run).toContain("-v /etc/zookeeper/conf/zoo.cfg:/conf/zoo.cfg:ro -v /var/lib/zookeeper:/data public.ecr.aws/docker/library/zookeeper:3.9.3");
    });

    it("run mesos-master with the plan's quorum, zk, and the node's name and address", () => {
        const run = execStart(unit("master-3", "mesos-master.service"));
        for (const flag of [`--quorum=${devPlan.mesosQuorum}`, "--zk=file:///etc/mesos-cluster/secrets/zk-mesos-url", "--hostname=master-3.cell-1.dc-1.demo.lan", "--ip=10.136.192.11", "--advertise_ip=10.136.192.11", "--work_dir=/var/lib/mesos", "--cluster=cell-1"]) {
            expect(run).toContain(` ${flag}`);
        }
        expect(devPlan.mesosQuorum).toBe(2);
    });

    it("run marathon on 8080, its zk URLs in its env file (test/auth.units.test.ts)", () => {
        const run = execStart(unit("master-1", "marathon.service"));
        expect(run).toContain(" --env-file /etc/mesos-cluster/secrets/marathon.env ");
        expect(run).toContain(" --hostname master-1.cell-1.dc-1.demo.lan --http_port 8080");
    });

    it("configure mesos-dns with the plan's zk, the masters and the cluster domain, listening on the node's IP", () => {
        const config = JSON.parse(file("master-1", "/etc/mesos-dns/config.json"));
        // Mesos-DNS serves its own domain; the node domain is the private zone's.
        expect(config).toMatchObject({ zk: devPlan.mesosZk, domain: "mesos", listener: "10.136.64.11", resolvers: ["169.254.169.253"], masters: ["10.136.64.11:5050", "10.136.128.11:5050", "10.136.192.11:5050"] });
    });

    it("discover node-exporter on every node and cadvisor on masters and workers through EC2, by the cluster's tags", () => {
        const config = parse(file("master-1", "/etc/prometheus/prometheus.yml"));
        const job = (name: string) => config.scrape_configs.find((c: { job_name: string }) => c.job_name === name);
        expect(job("node").static_configs).toBeUndefined();
        expect(job("node").ec2_sd_configs).toEqual([
            { region: "eu-west-1", port: 9100, filters: [{ name: "tag:Cluster", values: ["cell-1"] }, { name: "instance-state-name", values: ["running"] }] },
        ]);
        expect(job("cadvisor").ec2_sd_configs).toEqual([
            {
                region: "eu-west-1",
                port: 4194,
                filters: [{ name: "tag:Cluster", values: ["cell-1"] }, { name: "tag:Role", values: ["master", "worker"] }, { name: "instance-state-name", values: ["running"] }],
            },
        ]);
        for (const name of ["node", "cadvisor"]) {
            expect(job(name).relabel_configs).toEqual([
                { source_labels: ["__meta_ec2_tag_Name"], target_label: "instance" },
                { source_labels: ["__meta_ec2_tag_Role"], target_label: "role" },
            ]);
        }
        expect(execStart(unit("master-1", "prometheus.service"))).toContain("--web.listen-address=10.136.64.11:9090");
        expect(execStart(unit("master-1", "cadvisor.service"))).toContain("--listen_ip=10.136.64.11 --port=4194");
        expect(execStart(unit("border-1", "node-exporter.service"))).toContain("--web.listen-address=10.136.0.11:9100");
    });

    it("carry cluster-status and the list of masters it asks", () => {
        expect(files("master-1").get("/usr/local/bin/cluster-status")?.permissions).toBe("0755");
        expect(file("master-1", "/etc/mesos-cluster/masters")).toBe("master-1 10.136.64.11\nmaster-2 10.136.128.11\nmaster-3 10.136.192.11\n");
        expect(file("master-1", "/usr/local/bin/cluster-status")).toMatch(/curl -sI --max-time "\$timeout" "http:\/\/\$ip:5050\/redirect"/);
        expect(files("worker-1").has("/usr/local/bin/cluster-status")).toBe(false);
    });
});

describe("quorum, workers, border", () => {
    it("quorum nodes run etcd with the plan's static initial cluster", () => {
        const run = execStart(unit("quorum-2", "etcd.service"));
        expect(run).toContain(` --name quorum-2 `);
        // The initial cluster and state come from the env file, so a rebuilt member can be
        // restarted with "existing" (etcd-member-swap) without touching the unit.
        expect(run).toContain(" --env-file /etc/mesos-cluster/etcd.env ");
        expect(run).not.toContain("--initial-cluster ");
        expect(file("quorum-2", "/etc/mesos-cluster/etcd.env")).toBe(
            "ETCD_INITIAL_CLUSTER=quorum-1=https://10.136.64.21:2380,quorum-2=https://10.136.128.21:2380,quorum-3=https://10.136.192.21:2380\nETCD_INITIAL_CLUSTER_STATE=new\n",
        );
        // Bounded disk: compaction and a backend quota.
        expect(run).toContain(" --auto-compaction-mode periodic --auto-compaction-retention 1h --quota-backend-bytes 2147483648");
        // TLS on both ports (issue 12; the flags are checked in test/etcd.tls.unit.test.ts).
        expect(run).toContain(" --listen-peer-urls https://10.136.128.21:2380 ");
        expect(run).toContain(" --advertise-client-urls https://10.136.128.21:2379 ");
    });

    it("quorum nodes run etcd and no ZooKeeper: nothing was the platform ensemble's client", () => {
        const names = readNode(dev.get("quorum-2")!).files.map((f) => f.path);
        expect(names).not.toContain("/etc/systemd/system/zookeeper.service");
        expect(names).not.toContain("/usr/local/bin/zk-static-ensemble");
        expect(names).toContain("/etc/systemd/system/etcd.service");
    });

    it("workers run mesos-agent against the plan's zk with both containerizers and the docker socket", () => {
        const run = execStart(unit("worker-2", "mesos-agent.service"));
        for (const flag of ["--master=file:///etc/mesos-cluster/secrets/zk-mesos-url", "--containerizers=docker,mesos", "--hostname=worker-2.cell-1.dc-1.demo.lan", "--ip=10.136.128.101"]) {
            expect(run).toContain(` ${flag}`);
        }
        expect(run).toContain("-v /var/run/docker.sock:/var/run/docker.sock");
    });

    it("workers run marathon-lb against every master's marathon", () => {
        expect(execStart(unit("worker-1", "marathon-lb.service"))).toMatch(/ --marathon http:\/\/10\.136\.64\.11:8080 http:\/\/10\.136\.128\.11:8080 http:\/\/10\.136\.192\.11:8080$/);
    });

    it("the border hardens sshd as the jump host", () => {
        const conf = file("border-1", "/etc/ssh/sshd_config.d/10-mesos-cluster.conf");
        const settings = Object.fromEntries(conf.split("\n").filter((l) => /^[A-Z]/.test(l)).map((l) => l.split(" ")));
        expect(settings).toEqual({
            PasswordAuthentication: "no",
            PermitRootLogin: "no",
            KbdInteractiveAuthentication: "no",
            AllowAgentForwarding: "no",
            AllowUsers: "ubuntu",
            AllowTcpForwarding: "yes",
            X11Forwarding: "no",
        });
    });

    it("Pritunl is rendered only when mesos-cluster:vpn.enabled is true", () => {
        expect(files("border-1").has("/etc/systemd/system/pritunl.service")).toBe(false);
        const vpn = render(withPatch(devRawConfig(), { vpn: { enabled: true } }));
        expect(execStart(unit("border-1", "pritunl.service", vpn))).toContain(" ${ECR_REGISTRY}/cell-1-dockerhub/jippi/pritunl:");
        expect(file("border-1", "/etc/mesos-cluster/units", vpn)).toContain("pritunl.service\n");
    });

    it("an image override from config reaches the unit", () => {
        const custom = render(withPatch(devRawConfig(), { images: { marathon: "registry.example.com:5000/ops/marathon:v1.11.24-patched" } }));
        expect(execStart(unit("master-1", "marathon.service", custom))).toContain(" registry.example.com:5000/ops/marathon:v1.11.24-patched ");
    });
});

describe("size: EC2's 16384-byte limit", () => {
    const biggest = (stack: Map<string, NodeUserData>) => [...stack.values()].reduce((a, b) => (b.textBytes > a.textBytes ? b : a));
    const report = (label: string, stack: Map<string, NodeUserData>) => {
        const big = biggest(stack);
        const gz = zlib.gzipSync(Buffer.from(big.text), { level: 9 }).length;
        console.log(`${label}: biggest ${big.node.name} ${big.textBytes} bytes plain, ${gz} gzipped; sent ${big.bytes} (${big.gzip ? "gzip" : "plain"})`);
        for (const data of stack.values()) {
            expect(data.bytes).toBeLessThanOrEqual(USER_DATA_LIMIT);
            expect(data.gzip).toBe(data.textBytes > USER_DATA_LIMIT);
        }
        return big;
    };

    it("fits for the dev stack", () => {
        report("dev", dev);
    });

    it("fits for 9 masters and 9 quorum nodes", () => {
        const stack = render(withPatch(devRawConfig(), { nodes: { master: { count: 9 }, quorum: { count: 9 } } }));
        expect(stack.size).toBe(1 + 9 + 9 + 3);
        expect(report("9 masters, 9 quorum", stack).node.role).toBe("master");
    });

    it("stays plain and under 8192 bytes at 1000 workers: user data does not grow with the cluster", () => {
        const plan = planOf(withPatch(devRawConfig(), { nodes: { worker: { count: 1000 } } }));
        const rendered = renderAllUserData(plan);
        expect(rendered.errors).toEqual([]);
        const big = report("1000 workers", rendered.userData);
        expect(big.gzip).toBe(false);
        expect(big.textBytes).toBeLessThanOrEqual(8192);
        expect(report("dev", dev).textBytes).toBe(big.textBytes);
    });
});

describe("safe rendering", () => {
    const hostile = ["a: b", "x\ny: z", "'\"", "$(touch /tmp/pwned)", "`id`", "#comment", "- item", "{a: 1}", "\\n", "\t\r", "\u2028\u2029\u0085", "\u007f\u0000", "😀 ü", "--- \n...", "&anchor *alias", "!!binary"];

    it.each(hostile.map((h) => [JSON.stringify(h), h]))("yaml helper: %s parses back to the exact value", (_, value) => {
        expect(parse(`key: ${yamlScalar(value)}\n`)).toEqual({ key: value });
        expect(yamlScalar(value)).toMatch(/^"[\x20-\x7e]*"$/);
    });

    it("sh helper: every hostile value comes back exactly from bash, nothing runs", () => {
        const values = hostile.filter((h) => !h.includes("\u0000")); // argv cannot carry NUL
        const script = values.map((v) => `printf '%s\\0' ${shQuote(v)}`).join("\n");
        const run = spawnSync("bash", ["-c", script], { encoding: "utf8" });
        expect(run.status).toBe(0);
        expect(run.stdout.split("\0").slice(0, -1)).toEqual(values);
    });

    it("unit values must be one plain word: anything systemd would split, expand or quote is refused", () => {
        expect(unitWord("zk://10.0.0.1:2181,10.0.0.2:2181/mesos")).toBe("zk://10.0.0.1:2181,10.0.0.2:2181/mesos");
        for (const bad of ["a b", "a\nb", "%n", "$HOME", "'x'", '"x"', "a;b", "", "`id`"]) expect(() => unitWord(bad)).toThrow(/unsafe value/);
    });

    it("a hostile value that bypasses validation fails the render instead of reshaping a unit or the node env file", () => {
        const evil = { ...devPlan, clusterId: "cell-1 --privileged" };
        expect(() => renderAllUserData(evil)).toThrow(/unsafe value/);
        const node = { ...devPlan.nodes[0], fqdn: "border-1.x\nNODE_IP=10.0.0.1" };
        const withNode = { ...devPlan, nodes: [node, ...devPlan.nodes.slice(1)] };
        expect(() => renderAllUserData(withNode)).toThrow(/unsafe value/);
    });

    const refused: [string, Record<string, unknown>, RegExp][] = [
        ["clusterId with a newline", { clusterId: "cell-1\nruncmd: [reboot]" }, /mesos-cluster:clusterId/],
        ["clusterId with a quote", { clusterId: "cell'1" }, /mesos-cluster:clusterId/],
        ["domain with YAML indicator", { domain: "a: b.lan" }, /mesos-cluster:domain/],
        ["domain with a newline", { domain: "cell-1.lan\n127.0.0.1 evil" }, /mesos-cluster:domain/],
        ["domain with $(...)", { domain: "$(reboot).lan" }, /mesos-cluster:domain/],
        ["image with a space", { images: { zookeeper: "zookeeper:3.9.3 --privileged" } }, /mesos-cluster:images\.zookeeper/],
        ["image with a newline", { images: { zookeeper: "zookeeper:3.9.3\nExecStartPre=/bin/rm" } }, /mesos-cluster:images\.zookeeper/],
        ["image with a systemd specifier", { images: { zookeeper: "zookeeper:%n" } }, /mesos-cluster:images\.zookeeper/],
        ["image without a tag", { images: { zookeeper: "zookeeper" } }, /mesos-cluster:images\.zookeeper: "zookeeper" is not a pinned image/],
        ["sshUser with backticks", { sshUser: "`id`" }, /mesos-cluster:sshUser/],
        ["sshPublicKey with a second line", { sshPublicKey: "ssh-ed25519 AAAAC3Nz x\nssh-rsa AAAA evil" }, /mesos-cluster:sshPublicKey/],
        ["sshPublicKey comment with a quote", { sshPublicKey: 'ssh-ed25519 AAAAC3Nz op"@x' }, /mesos-cluster:sshPublicKey/],
        ["an explicit IP with a newline", { nodes: { border: { count: 1, ips: ["10.136.0.11\n10.0.0.1 evil"] } } }, /mesos-cluster:nodes\.border\.ips\[0\]/],
    ];

    it.each(refused)("config validation refuses %s", (_, patch, message) => {
        const result = validateConfig(withPatch(devRawConfig(), patch));
        expect(result.ok).toBe(false);
        if (!result.ok) expect(result.errors.join("\n")).toMatch(message);
    });

    it("what validation accepts renders into YAML that parses back to the exact config values", () => {
        const raw = withPatch(devRawConfig(), { sshUser: "ops_user-1", sshPublicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICBAOmYOUvV6nJ4rrvAVkvJd48Wy0+8uQ73g+aelmulb op.er@host_1" });
        const text = render(raw).get("master-1")!.text;
        const doc = parse(text);
        expect(doc.users[0].name).toBe("ops_user-1");
        expect(doc.users[0].ssh_authorized_keys).toEqual(["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICBAOmYOUvV6nJ4rrvAVkvJd48Wy0+8uQ73g+aelmulb op.er@host_1"]);
        expect(doc.hostname).toBe("master-1");
        expect(doc.fqdn).toBe("master-1.cell-1.dc-1.demo.lan");
    });
});
