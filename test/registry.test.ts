import { spawnSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_IMAGES, roleImageKeys } from "../components/catalog/services";
import { checkConfig } from "../components/config/load";
import { validateConfig, RawConfig } from "../components/config/validate";
import { cacheRepositoriesArn, ecrCacheStatements, roleStatements } from "../components/iam/policies";
import { planCluster } from "../components/plan/clusterPlan";
import {
    DOCKER_HUB,
    dockerHubCachePrefix,
    ECR_PREFIX,
    ECR_PREFIX_MAX,
    isDockerHubImage,
    parseImage,
    pullReference,
    registryHostProblem,
} from "../components/registry/images";
import { cacheRoles, cacheUpstreamImages, firstBootPulls, pullWarnings } from "../components/registry/pulls";
import { TEMPLATES_DIR } from "../components/userdata/render";
import { renderAllUserData } from "../components/userdata/userData";
import { isSecretValue, MOCK_ACCOUNT, type Evaluation } from "../scripts/offline/mockEngine";
import { readStackConfig } from "../scripts/offline/stackConfig";
import { devRawConfig, devStackConfig, singleZoneRawConfig, withPatch } from "./helpers/devConfig";
import { byName, evaluateStack, ofType } from "./helpers/evaluate";

const plan = (patch: Record<string, unknown> = {}) => {
    const result = validateConfig(withPatch(devRawConfig(), patch));
    if (!result.ok) throw new Error(result.errors.join("\n"));
    return planCluster(result.config);
};
/** One zone, one NAT gateway: every private node's pulls leave through one address. */
const oneZone = (patch: Record<string, unknown> = {}) => {
    const result = validateConfig(withPatch(singleZoneRawConfig(), patch));
    if (!result.ok) throw new Error(result.errors.join("\n"));
    return planCluster(result.config);
};
const withoutDockerHub = (patch: Record<string, unknown> = {}): RawConfig => {
    const { dockerHub: _hub, ...raw } = withPatch(devRawConfig(), patch);
    return raw;
};

describe("image references", () => {
    it.each([
        ["zookeeper:3.9.3", DOCKER_HUB, "library/zookeeper", ":3.9.3"],
        ["docker.io/mesosphere/marathon:v1", DOCKER_HUB, "mesosphere/marathon", ":v1"],
        ["index.docker.io/library/redis:7", DOCKER_HUB, "library/redis", ":7"],
        ["registry-1.docker.io/nginx:1", DOCKER_HUB, "library/nginx", ":1"],
        ["mesosphere/mesos-master:1.7.0", DOCKER_HUB, "mesosphere/mesos-master", ":1.7.0"],
        ["quay.io/prometheus/prometheus:v2.55.1", "quay.io", "prometheus/prometheus", ":v2.55.1"],
        ["localhost:5000/app:1", "localhost:5000", "app", ":1"],
        ["localhost/app:1", "localhost", "app", ":1"],
        [`gcr.io/x/y@sha256:${"a".repeat(64)}`, "gcr.io", "x/y", `@sha256:${"a".repeat(64)}`],
    ])("%s is on %s as %s", (image, registry, repository, reference) => {
        expect(parseImage(image)).toEqual({ registry, repository, reference });
    });

    it("sends Docker Hub images through the cache, official ones under library/, and leaves the others", () => {
        const registry = { region: "eu-west-1", dockerHubCache: { prefix: "cell-1-dockerhub" } };
        expect(pullReference("docker.io/mesosphere/mesos-master:1.7.0", registry)).toBe("${ECR_REGISTRY}/cell-1-dockerhub/mesosphere/mesos-master:1.7.0");
        expect(pullReference("redis:7", registry)).toBe("${ECR_REGISTRY}/cell-1-dockerhub/library/redis:7");
        expect(pullReference("quay.io/prometheus/prometheus:v2.55.1", registry)).toBe("quay.io/prometheus/prometheus:v2.55.1");
        expect(pullReference("docker.io/mesosphere/mesos-master:1.7.0", { region: "eu-west-1" })).toBe("docker.io/mesosphere/mesos-master:1.7.0");
    });

    it("refuses malformed registry hosts the reference grammar lets through", () => {
        expect(registryHostProblem("quay.io")).toBeUndefined();
        expect(registryHostProblem("registry.example.com:5000")).toBeUndefined();
        expect(registryHostProblem("123456789012.dkr.ecr.eu-west-1.amazonaws.com")).toBeUndefined();
        expect(registryHostProblem("10.0.0.1:5000")).toBeUndefined();
        expect(registryHostProblem("registry.example.com:70000")).toMatch(/not a TCP port/);
        expect(registryHostProblem("999.1.1.1")).toMatch(/neither an IPv4 address/);
        expect(registryHostProblem(`${"a".repeat(64)}.example.com`)).toMatch(/longer than 63/);
        expect(registryHostProblem("12345.dkr.ecr.eu-west-1.amazonaws.com")).toMatch(/not an ECR registry/);
        expect(registryHostProblem("123456789012.dkr.ecr.amazonaws.com")).toMatch(/not an ECR registry/);
    });

    it("makes an ECR-valid prefix of at most 30 characters for every cluster id, distinct per id", () => {
        expect(dockerHubCachePrefix("cell-1")).toBe("cell-1-dockerhub");
        const ids = ["a1", "cell--1", "c".repeat(20), "c".repeat(21), "x".repeat(32), `${"x".repeat(31)}y`, `ab-${"-".repeat(25)}cd`, "a".repeat(19) + "--b"];
        const prefixes = ids.map(dockerHubCachePrefix);
        for (const prefix of prefixes) {
            expect(prefix.length, prefix).toBeLessThanOrEqual(ECR_PREFIX_MAX);
            expect(prefix, prefix).toMatch(ECR_PREFIX);
        }
        expect(new Set(prefixes.slice(4, 6)).size).toBe(2);
    });
});

describe("the catalog's images", () => {
    it("come from Docker Hub only where nothing else publishes them, and then through the cache", () => {
        const onHub = Object.entries(DEFAULT_IMAGES).filter(([, image]) => isDockerHubImage(image)).map(([key]) => key);
        expect(onHub).toEqual(["mesosMaster", "mesosAgent", "marathon", "mesosDns", "marathonLb", "pritunl"]);
        for (const image of Object.values(DEFAULT_IMAGES)) expect(parseImage(image).registry).not.toBe("");
    });

    it("every image reference in every rendered unit and bundle names a registry host other than Docker Hub", () => {
        // The VPN on, so Pritunl's unit is rendered too; every role, every node.
        const rendered = renderAllUserData(plan({ vpn: { enabled: true } }));
        const references: string[] = [];
        // Each `docker run` with its continuation lines joined.
        const runs = /\/usr\/bin\/docker run\b[^\n]*/g;
        for (const bundle of rendered.bundles.values()) {
            for (const file of bundle.files.filter((f) => f.path.startsWith("/etc/systemd/system/"))) {
                const text = file.content.replace(/\\\n/g, " ");
                // The argument after the options of `docker run` is the image; the agent's
                // ExecStartPre hands its two images to the image builder.
                for (const run of text.match(runs) ?? []) {
                    // The image: the first word that is a reference (a path with a tag or digest),
                    // not an option, a mount (`src:dst`) or a URL.
                    const words = run.split(/\s+/).filter(Boolean);
                    const image = words.find((w) => /^(\$\{ECR_REGISTRY\}\/)?[a-z0-9][^\s:/]*(\/[^\s:/]+)+(:[\w.-]+)?(@sha256:[0-9a-f]{64})?$/.test(w) && /[:@]/.test(w));
                    references.push(image ?? `no image in ${file.path}`);
                }
                const pre = /^ExecStartPre=\/usr\/local\/sbin\/mesos-agent-image (\S+) (\S+) /m.exec(text);
                if (pre) references.push(pre[1], pre[2]);
            }
        }
        expect(references.length).toBeGreaterThanOrEqual(15);
        for (const reference of references.filter((r) => r !== "mesos-cluster/mesos-agent:local")) {
            const host = reference.split("/")[0];
            expect(host, reference).toMatch(/^(\$\{ECR_REGISTRY\}|[a-z0-9-]+(\.[a-z0-9-]+)+(:\d+)?)$/);
            expect(isDockerHubImage(reference.replace("${ECR_REGISTRY}", "123456789012.dkr.ecr.eu-west-1.amazonaws.com")), reference).toBe(false);
        }
        expect(references).toContain("${ECR_REGISTRY}/cell-1-dockerhub/mesosphere/mesos-master:1.7.0");
        expect(references).toContain("${ECR_REGISTRY}/cell-1-dockerhub/jippi/pritunl:1.32.3697.80");
    });

    it("units read ECR_REGISTRY from the file the bundle writes before it starts them", () => {
        const rendered = renderAllUserData(plan());
        for (const bundle of rendered.bundles.values()) {
            const lines = bundle.script.split("\n");
            const setup = lines.indexOf("/usr/local/sbin/mesos-cluster-registry");
            expect(setup, bundle.role).toBeGreaterThan(0);
            expect(setup, bundle.role).toBeLessThan(lines.findIndex((l) => l.startsWith("systemctl enable --now")));
            for (const unit of bundle.files.filter((f) => f.path.endsWith(".service"))) {
                expect(unit.content, unit.path).toContain("EnvironmentFile=/etc/mesos-cluster/registry.env\n");
                expect(unit.content, unit.path).toContain("Environment=DOCKER_CONFIG=/root/.docker\n");
            }
        }
        const agent = rendered.bundles.get("worker")!.files.find((f) => f.path.endsWith("mesos-agent.service"))!.content;
        expect(agent).toContain("-v /root/.docker:/root/.docker:ro");
        expect(agent).toContain("--docker_config=file:///root/.docker/config.json");
    });
});

describe("first-boot pulls", () => {
    it("counts the dev stack per egress address and registry: nothing from Docker Hub", () => {
        // Three zones: each zone's nodes leave through their own zone's NAT gateway.
        const zones = firstBootPulls(plan());
        expect(new Set(zones.map((r) => r.natAddress))).toEqual(new Set(["10.136.0.11", "10.136.0.5", "10.136.1.5", "10.136.2.5"]));
        expect(zones.filter((r) => r.natAddress === "10.136.1.5").map((r) => [r.registry, r.pulls])).toEqual([
            ["quay.io", 5],
            ["public.ecr.aws", 2],
            ["<account>.dkr.ecr.eu-west-1.amazonaws.com", 5],
            ["gcr.io", 2],
        ]);
        const rows = firstBootPulls(oneZone());
        const ecr = "<account>.dkr.ecr.eu-west-1.amazonaws.com";
        expect(rows).toEqual([
            { natAddress: "10.136.0.11", via: "border-1", registry: "quay.io", pulls: 1 },
            { natAddress: "10.136.0.5", via: "nat-gateway eu-west-1a", registry: "quay.io", pulls: 15 },
            { natAddress: "10.136.0.5", via: "nat-gateway eu-west-1a", registry: "public.ecr.aws", pulls: 6 },
            { natAddress: "10.136.0.5", via: "nat-gateway eu-west-1a", registry: ecr, pulls: 15 },
            { natAddress: "10.136.0.5", via: "nat-gateway eu-west-1a", registry: "gcr.io", pulls: 6 },
        ]);
        expect(pullWarnings(rows)).toEqual([]);
    });

    it("counts each role's units' images, workers' docker CLI included", () => {
        expect(roleImageKeys("worker", { vpn: false })).toEqual(["mesosAgent", "dockerCli", "marathonLb", "cadvisor", "nodeExporter"]);
        expect(roleImageKeys("border", { vpn: true })).toEqual(["nodeExporter", "pritunl"]);
    });

    it("scales with the workers (500) and warns when anonymous Docker Hub would be asked for more than 10 an hour", () => {
        const big = firstBootPulls(oneZone({ nodes: { worker: { count: 500 } } }));
        expect(big.find((r) => r.registry.includes("dkr.ecr"))?.pulls).toBe(3 * 3 + 500 * 2);
        expect(big.find((r) => r.registry === "public.ecr.aws")?.pulls).toBe(503);
        expect(pullWarnings(big)).toEqual([]);
        // Without credentials, an override on Docker Hub is pulled anonymously by every worker.
        const elsewhere = Object.fromEntries(["mesosMaster", "mesosAgent", "marathon", "mesosDns"].map((k) => [k, `registry.example.com/mirror/${k.toLowerCase()}:1`]));
        const { dockerHub: _hub, ...raw } = withPatch(singleZoneRawConfig(), { nodes: { worker: { count: 20 } }, images: { ...elsewhere, marathonLb: "docker.io/mesosphere/marathon-lb:v1.14.2" } });
        const checked = validateConfig(raw as RawConfig);
        if (!checked.ok) throw new Error(checked.errors.join("\n"));
        const hub = firstBootPulls(planCluster(checked.config));
        const row = hub.find((r) => r.registry === DOCKER_HUB)!;
        expect(row).toEqual({ natAddress: "10.136.0.5", via: "nat-gateway eu-west-1a", registry: DOCKER_HUB, pulls: 20, limitPerHour: 10 });
        expect(pullWarnings(hub)).toEqual([
            expect.stringMatching(new RegExp(`^first boot pulls ${row.pulls} images from docker.io through 10.136.0.5 \\(nat-gateway eu-west-1a\\), more than the 10 per hour`)),
        ]);
    });

    it("gives the cache's read policy to the roles that pull through it, workers always (their tasks)", () => {
        expect(cacheRoles(plan())).toEqual(["master", "worker"]);
        expect(cacheRoles(plan({ vpn: { enabled: true } }))).toEqual(["border", "master", "worker"]);
        expect(cacheUpstreamImages(plan())).toHaveLength(5);
    });
});

describe("config", () => {
    const errors = (raw: RawConfig) => {
        const result = validateConfig(raw);
        return result.ok ? [] : result.errors;
    };
    const warnings = (raw: RawConfig) => validateConfig(raw).warnings;

    it("refuses a missing Docker Hub credential while services still need Docker Hub, naming them", () => {
        const [line, ...rest] = errors(withoutDockerHub());
        expect(rest).toEqual([]);
        expect(line.startsWith("mesos-cluster:dockerHub: is required: images.mesosMaster (docker.io/mesosphere/mesos-master:1.7.0), images.marathon (")).toBe(true);
        for (const key of ["mesosMaster", "mesosAgent", "marathon", "mesosDns", "marathonLb"]) expect(line).toContain(`images.${key} (`);
        expect(line).not.toContain("images.pritunl"); // the VPN is off: no node pulls it
        expect(line).toContain("10 anonymous pulls per hour per IP address");
    });

    it("needs no credential when every Docker Hub image is overridden elsewhere", () => {
        const elsewhere = Object.fromEntries(["mesosMaster", "mesosAgent", "marathon", "mesosDns", "marathonLb"].map((k) => [k, `registry.example.com/mirror/${k.toLowerCase()}:1`]));
        expect(errors(withoutDockerHub({ images: elsewhere }))).toEqual([]);
    });

    it("warns, stating the limit, for an override that points at Docker Hub without credentials", () => {
        const elsewhere = Object.fromEntries(["mesosMaster", "mesosAgent", "marathon", "mesosDns"].map((k) => [k, `registry.example.com/mirror/${k.toLowerCase()}:1`]));
        for (const image of ["mesosphere/marathon-lb:v1.14.2", "docker.io/mesosphere/marathon-lb:v1.14.2", "index.docker.io/mesosphere/marathon-lb:v1.14.2", "registry-1.docker.io/mesosphere/marathon-lb:v1.14.2"]) {
            const raw = withoutDockerHub({ images: { ...elsewhere, marathonLb: image } });
            expect(errors(raw), image).toEqual([]);
            expect(warnings(raw), image).toEqual([
                `mesos-cluster:images.marathonLb: "${image}" is on Docker Hub and mesos-cluster:dockerHub is not set, so every node that runs it pulls it anonymously: Docker Hub allows 10 anonymous pulls per hour per IP address, and every private node pulls through the NAT gateway's one address; set mesos-cluster:dockerHub to pull it through the cluster's ECR pull-through cache`,
            ]);
        }
        // With the credential, the same override goes through the cache: no warning.
        expect(warnings(withPatch(devRawConfig(), { images: { marathonLb: "mesosphere/marathon-lb:v1.14.2" } }))).toEqual([]);
    });

    it.each([
        ["a port out of range", "registry.example.com:70000/app:1", /is refused: its registry port 70000 is not a TCP port/],
        ["a dotted number that is no address", "300.1.1.1/app:1", /is refused: its registry host 300\.1\.1\.1 is neither an IPv4 address nor a DNS name/],
        ["an ECR host without an account", "dkr.ecr.eu-west-1.amazonaws.com/app:1", /is refused: its registry host .* is not an ECR registry/],
        ["an empty host", "/app:1", /is not an image reference/],
    ])("refuses an override with %s", (_label, image, message) => {
        const [line] = errors(withPatch(devRawConfig(), { images: { marathon: image } }));
        expect(line).toMatch(new RegExp(`^mesos-cluster:images\\.marathon: ${JSON.stringify(image).replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} ${message.source.replace(/^\//, "")}`));
    });

    it("refuses a malformed credential without echoing the token", () => {
        expect(errors(withPatch(devRawConfig(), { dockerHub: { username: "No Such User" } }))).toEqual([
            'mesos-cluster:dockerHub.username: "No Such User" is not a Docker ID (4-30 lower-case letters and digits)',
        ]);
        expect(errors(withPatch(devRawConfig(), { dockerHub: { accessToken: "" } }))).toEqual(["mesos-cluster:dockerHub.accessToken: (value hidden) must not be empty"]);
        const typo = errors(withPatch(devRawConfig(), { dockerHub: { acessToken: "dckr_pat_s3cr3t" } }));
        expect(typo.join("\n")).not.toContain("s3cr3t");
        expect(typo[0]).toMatch(/^mesos-cluster:dockerHub\.acessToken: unknown key; did you mean mesos-cluster:dockerHub\.accessToken\?/);
        const notObject = errors({ ...devRawConfig(), dockerHub: "dckr_pat_s3cr3t" });
        expect(notObject).toEqual(["mesos-cluster:dockerHub: is not a object (value hidden)"]);
    });

    it("refuses a token set in clear text, and reads a secret one", () => {
        const all = { ...devStackConfig().config, "mesos-cluster:dockerHub": JSON.stringify({ username: "yourdockerid", accessToken: "dckr_pat_s3cr3t" }) };
        expect(() => checkConfig(all, (key) => key !== "mesos-cluster:dockerHub")).toThrow(
            /mesos-cluster:dockerHub\.accessToken: is set in clear text in the stack file \(value hidden\); remove it and set it as a secret: pulumi config set --secret --path mesos-cluster:dockerHub\.accessToken < TOKEN_FILE/,
        );
        try {
            checkConfig(all, () => false);
        } catch (err) {
            expect(String(err)).not.toContain("s3cr3t");
        }
        expect(checkConfig(all, () => true).config.dockerHub?.username).toBe("yourdockerid");
    });

    it("reads the token a `pulumi config set --secret --path` nests in the stack file as a placeholder, marked secret", () => {
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "ecr-")), "Pulumi.x.yaml");
        fs.writeFileSync(file, "config:\n  mesos-cluster:dockerHub:\n    username: someone\n    accessToken:\n      secure: v1:abc\n");
        const read = readStackConfig(file);
        expect(read.secretKeys).toContain("mesos-cluster:dockerHub");
        expect(JSON.parse(read.config["mesos-cluster:dockerHub"])).toEqual({ username: "someone", accessToken: "offline-plan-placeholder" });
    });
});

describe("IAM policies (pure)", () => {
    const scope = { region: "eu-west-1", account: "111122223333", prefix: "cell-1-dockerhub" };

    it("grant the token on * and only the pull and cache-fill actions on the cache's repositories", () => {
        expect(ecrCacheStatements(scope)).toEqual([
            { Sid: "EcrToken", Effect: "Allow", Action: ["ecr:GetAuthorizationToken"], Resource: "*" },
            {
                Sid: "PullThroughDockerHubCache",
                Effect: "Allow",
                Action: ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchImportUpstreamImage", "ecr:CreateRepository"],
                Resource: "arn:aws:ecr:eu-west-1:111122223333:repository/cell-1-dockerhub/*",
            },
        ]);
        expect(cacheRepositoriesArn({ ...scope, region: "cn-north-1" })).toBe("arn:aws-cn:ecr:cn-north-1:111122223333:repository/cell-1-dockerhub/*");
        expect(ecrCacheStatements(scope).flatMap((s) => s.Action).filter((a) => /Put|Delete|Upload|Set|\*/.test(a))).toEqual([]);
    });

    it("give each role its own statements only", () => {
        expect(roleStatements("quorum")).toEqual([]);
        expect(roleStatements("worker", scope)).toEqual(ecrCacheStatements(scope));
        expect(roleStatements("master", scope)).toEqual([{ Effect: "Allow", Action: ["ec2:DescribeInstances"], Resource: "*" }, ...ecrCacheStatements(scope)]);
    });
});

describe("the cache as AWS resources (dev stack under mocks)", () => {
    let dev: Evaluation;
    beforeAll(async () => {
        dev = await evaluateStack();
    }, 60_000);

    it("creates one pull-through cache rule for Docker Hub with the cluster's prefix and its credential", () => {
        const [rule] = ofType(dev, "aws:ecr/pullThroughCacheRule:PullThroughCacheRule");
        expect(ofType(dev, "aws:ecr/pullThroughCacheRule:PullThroughCacheRule")).toHaveLength(1);
        const secret = byName(dev, "cell-1-dockerhub-credential");
        expect(secret.type).toBe("aws:secretsmanager/secret:Secret");
        expect(rule.inputs).toMatchObject({ ecrRepositoryPrefix: "cell-1-dockerhub", upstreamRegistryUrl: "registry-1.docker.io" });
        expect(secret.inputs.namePrefix).toMatch(/^ecr-pullthroughcache\/cell-1-dockerhub-/);
        expect(rule.dependsOn).toContain(ofType(dev, "aws:secretsmanager/secretVersion:SecretVersion")[0].urn);
    });

    it("keeps the credential a secret: the secret version's string is secret on the wire", () => {
        const [version] = ofType(dev, "aws:secretsmanager/secretVersion:SecretVersion");
        expect(isSecretValue(version.wireInputs.secretString)).toBe(true);
        expect(JSON.parse(version.inputs.secretString.value)).toEqual({ username: "yourdockerid", accessToken: "offline-plan-placeholder" });
        // Nothing else the program registers carries the token.
        for (const r of dev.resources.filter((x) => x !== version)) expect(JSON.stringify(r.inputs), r.name).not.toContain("accessToken");
    });

    it("boots every node after the cache rule and its role's policy exist", () => {
        const rule = ofType(dev, "aws:ecr/pullThroughCacheRule:PullThroughCacheRule")[0].urn;
        const policies = new Map(ofType(dev, "aws:iam/rolePolicy:RolePolicy").map((p) => [p.name, p.urn]));
        for (const node of ofType(dev, "aws:ec2/instance:Instance")) {
            expect(node.dependsOn, node.name).toContain(rule);
            const own = policies.get(`cell-1-iam-${node.inputs.tags.Role}`);
            if (own) expect(node.dependsOn, node.name).toContain(own);
        }
    });

    it("has no cache, no Secrets Manager secret and no ECR statement when every Docker Hub image is overridden and no credential is set", async () => {
        const elsewhere = Object.fromEntries(["mesosMaster", "mesosAgent", "marathon", "mesosDns", "marathonLb"].map((k) => [k, `registry.example.com/mirror/${k.toLowerCase()}:1`]));
        const bare = await evaluateStack({ config: { "mesos-cluster:images": JSON.stringify(elsewhere) }, omit: ["mesos-cluster:dockerHub"] });
        expect(ofType(bare, "aws:ecr/pullThroughCacheRule:PullThroughCacheRule")).toEqual([]);
        expect(ofType(bare, "aws:secretsmanager/secret:Secret")).toEqual([]);
        // Every role still reads its own secrets from SSM (issue 12); none has an ECR statement.
        const policies = ofType(bare, "aws:iam/rolePolicy:RolePolicy");
        expect(policies.map((p) => p.name)).toEqual(["cell-1-iam-border", "cell-1-iam-quorum", "cell-1-iam-master", "cell-1-iam-worker"]);
        for (const p of policies) expect(JSON.stringify(p.inputs.policy)).not.toContain("ecr:");
        expect(MOCK_ACCOUNT).toMatch(/^\d{12}$/);
    }, 60_000);
});

describe("mesos-cluster-registry (the node's ECR registry from its identity)", () => {
    it("writes ECR_REGISTRY and credHelpers (with the auths key Mesos needs) from IMDSv2", async () => {
        const server = http.createServer((req, res) => {
            if (req.method === "PUT" && req.url === "/latest/api/token") return void res.end("tok");
            if (req.url === "/latest/dynamic/instance-identity/document" && req.headers["x-aws-ec2-metadata-token"] === "tok") {
                return void res.end(JSON.stringify({ accountId: "111122223333", region: "eu-west-1", instanceId: "i-1" }, null, 2));
            }
            res.statusCode = 401;
            res.end();
        });
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        const port = (server.address() as { port: number }).port;
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "registry-"));
        const script = path.join(TEMPLATES_DIR, "files", "mesos-cluster-registry.sh");
        const run = await new Promise<{ status: number | null; stderr: string }>((resolve) => {
            const child = require("child_process").spawn("bash", [script, path.join(dir, "registry.env"), path.join(dir, "docker")], { env: { PATH: process.env.PATH, IMDS: `http://127.0.0.1:${port}` } });
            let stderr = "";
            child.stderr.on("data", (d: Buffer) => (stderr += d));
            child.on("close", (status: number | null) => resolve({ status, stderr }));
        });
        server.close();
        expect(run.stderr).toBe("");
        expect(run.status).toBe(0);
        expect(fs.readFileSync(path.join(dir, "registry.env"), "utf8")).toBe("ECR_REGISTRY=111122223333.dkr.ecr.eu-west-1.amazonaws.com\n");
        expect(JSON.parse(fs.readFileSync(path.join(dir, "docker", "config.json"), "utf8"))).toEqual({ auths: {}, credHelpers: { "111122223333.dkr.ecr.eu-west-1.amazonaws.com": "ecr-login" } });
        expect(fs.statSync(path.join(dir, "docker", "config.json")).mode & 0o777).toBe(0o600);
    });

    it("puts the helper, its loader and libraries in the agent image's build context", () => {
        const helper = spawnSync("sh", ["-c", "command -v docker-credential-ecr-login || command -v ls"], { encoding: "utf8" }).stdout.trim();
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ctx-"));
        const run = spawnSync("bash", [path.join(TEMPLATES_DIR, "files", "mesos-agent-image.sh"), "--context-only", helper, dir], { encoding: "utf8" });
        expect(run.stderr).toBe("");
        expect(run.status).toBe(0);
        const files = fs.readdirSync(path.join(dir, "ecr-login")).sort();
        expect(files).toEqual(expect.arrayContaining(["ca-certificates.crt", "docker-credential-ecr-login", "ld.so", "libc.so.6"]));
        const wrapper = fs.readFileSync(path.join(dir, "docker-credential-ecr-login"), "utf8");
        expect(wrapper).toBe('#!/bin/sh\nSSL_CERT_FILE=/opt/ecr-login/ca-certificates.crt exec /opt/ecr-login/ld.so --library-path /opt/ecr-login /opt/ecr-login/docker-credential-ecr-login "$@"\n');
        // The wrapper runs the copied program with the copied loader, whatever the image's libc.
        const selfRun = spawnSync(path.join(dir, "ecr-login", "ld.so"), ["--library-path", path.join(dir, "ecr-login"), path.join(dir, "ecr-login", "docker-credential-ecr-login"), helper.endsWith("ls") ? "--version" : "version"], { encoding: "utf8" });
        expect(selfRun.status).toBe(0);
    });
});
