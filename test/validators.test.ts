import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { beforeAll, describe, expect, it } from "vitest";
import { RawConfig, validateConfig } from "../components/config/validate";
import { planCluster } from "../components/plan/clusterPlan";
import { TEMPLATES_DIR, yamlScalar } from "../components/userdata/render";
import { NodeUserData, renderAllUserData } from "../components/userdata/userData";
import {
    CloudConfigDoc,
    INSTALL_HINT,
    isExecutableFile,
    isUnitFile,
    readNode,
    requireTool,
    shellcheck,
    validateCloudConfigs,
    verifyUnits,
    verifyUnitsAsync,
    type VerifyResult,
} from "./helpers/validators";
import { devRawConfig, withPatch } from "./helpers/devConfig";

// Every rendered document of the dev stack, a 5-master stack and the dev stack with the VPN
// on (the only way pritunl.service is rendered), checked by the tools a node itself uses.

function renderStack(raw: RawConfig): Map<string, NodeUserData> {
    const validated = validateConfig(raw);
    if (!validated.ok) throw new Error(validated.errors.join("\n"));
    const rendered = renderAllUserData(planCluster(validated.config));
    expect(rendered.errors).toEqual([]);
    return rendered.userData;
}

const stacks = (): Map<string, Map<string, NodeUserData>> =>
    new Map([
        ["dev", renderStack(devRawConfig())],
        ["five-masters", renderStack(withPatch(devRawConfig(), { nodes: { master: { count: 5 } } }))],
        ["vpn", renderStack(withPatch(devRawConfig(), { vpn: { enabled: true } }))],
    ]);

let allDocs: Map<string, string>; // "stack/node" -> cloud-config text
let parsed: Map<string, CloudConfigDoc>; // the node's cloud-config with every file it ends up with
let bundleScripts: Map<string, string>; // "stack/role bundle" -> the bundle's install script

beforeAll(() => {
    allDocs = new Map();
    parsed = new Map();
    bundleScripts = new Map();
    for (const [stack, nodes] of stacks()) {
        for (const [node, data] of nodes) {
            allDocs.set(`${stack}/${node}`, data.text);
            parsed.set(`${stack}/${node}`, readNode(data));
            bundleScripts.set(`${stack}/${data.bundle.role} bundle`, data.bundle.script);
        }
    }
});

function timed<T>(label: string, fn: () => T): T {
    const start = performance.now();
    try {
        return fn();
    } finally {
        console.log(`${label}: ${Math.round(performance.now() - start)} ms`);
    }
}

describe("tools", () => {
    it("are required, not skipped: a missing one fails with the install command", () => {
        expect(() => requireTool("no-such-validator-xyz")).toThrow(INSTALL_HINT);
        expect(INSTALL_HINT).toBe("apt-get install cloud-init shellcheck systemd");
        for (const tool of ["/usr/bin/python3", "cloud-init", "systemd-analyze", "shellcheck"]) {
            expect(requireTool(tool)).toMatch(/^\//);
        }
    });
});

describe("cloud-init schema", () => {
    it("accepts every rendered cloud-config (dev, 5 masters, VPN on)", () => {
        expect(allDocs.size).toBe(10 + 12 + 10);
        const results = timed(`cloud-init schema, ${allDocs.size} documents`, () => validateCloudConfigs(allDocs));
        expect(results.size).toBe(allDocs.size);
        for (const [name, problems] of results) expect(problems, name).toEqual([]);
    });

    it("is strict: an unknown top-level key, a bad write_files item and a bad type are refused", () => {
        const good = allDocs.get("dev/master-1")!;
        const broken = new Map([
            ["unknown-key", `${good}bogus_key: 1\n`],
            ["typo-in-module-key", good.replace(/^runcmd:/m, "run_cmd:")],
            ["bad-write-files-item", `${good.replace(/^runcmd:/m, "write_files:\n  - path: /x\n    mode: '0644'\nruncmd:")}`],
            ["bad-type", good.replace(/^package_update: true$/m, "package_update: [yes]")],
            ["no-header", good.replace(/^#cloud-config\n/, "")],
        ]);
        const results = validateCloudConfigs(broken);
        expect(results.get("unknown-key")).toEqual(["bogus_key: unknown top-level key"]);
        expect(results.get("typo-in-module-key")).toEqual(["run_cmd: unknown top-level key"]);
        expect(results.get("bad-write-files-item")!.join("\n")).toMatch(/mode/);
        expect(results.get("bad-type")!.join("\n")).toMatch(/package_update/);
        expect(results.get("no-header")).toContain("first line is not #cloud-config");
    });

    it("parses hostile strings written by the yaml helper back to the exact value (cloud-init's own YAML loader)", () => {
        const hostile = ["a: b", "x\ny: z", "'\"", "$(reboot)", "`id`", "#c", "- l", "\u2028\u0085\u007f", "tab\there", "😀"];
        const doc = `#cloud-config\nbootcmd:\n${hostile.map((h) => `  - [echo, ${yamlScalar(h)}]`).join("\n")}\n`;
        expect(validateCloudConfigs(new Map([["hostile", doc]])).get("hostile")).toEqual([]);
        // Read back by the same PyYAML cloud-init uses, compared in Python.
        const check = spawnSync(
            "/usr/bin/python3",
            ["-c", "import json,sys\nfrom cloudinit import safeyaml\nd=safeyaml.load(sys.stdin.read())\nprint(json.dumps([c[1] for c in d['bootcmd']]))"],
            { input: doc, encoding: "utf8" },
        );
        expect(check.stderr).toBe("");
        expect(JSON.parse(check.stdout)).toEqual(hostile);
    });
});

describe("systemd-analyze verify", () => {
    it("passes every unit of every node with no output at all", async () => {
        let units = 0;
        const start = performance.now();
        // A node's root is made of its packages and files only: nodes whose are the same (most
        // nodes of a role) are verified once. Side by side, a few at a time: each run is a
        // process of its own over a root of ~300 linked files.
        const rootOf = (doc: CloudConfigDoc) => JSON.stringify([doc.packages, doc.files]);
        const distinct = new Map<string, CloudConfigDoc>();
        for (const doc of parsed.values()) if (!distinct.has(rootOf(doc))) distinct.set(rootOf(doc), doc);
        const queue = [...distinct];
        const results = new Map<string, VerifyResult>();
        await Promise.all(
            Array.from({ length: 4 }, async () => {
                for (let next = queue.shift(); next; next = queue.shift()) results.set(next[0], await verifyUnitsAsync(next[1]));
            }),
        );
        console.log(`systemd-analyze verify, ${parsed.size} nodes in ${distinct.size} distinct roots: ${Math.round(performance.now() - start)} ms`);
        for (const [name, doc] of parsed) {
            units += doc.files.filter(isUnitFile).length;
            const result = results.get(rootOf(doc))!;
            expect(result.output, name).toBe("");
            expect(result.status, name).toBe(0);
        }
        console.log(`systemd-analyze verify: ${units} unit files`);
        expect(units).toBeGreaterThan(40);
    });

    it("reports an unknown directive, a missing binary and a binary from a package that is not installed", () => {
        const doc = parsed.get("dev/master-1")!;
        const withUnit = (content: string): CloudConfigDoc => ({
            ...doc,
            files: [...doc.files.filter((f) => !f.path.endsWith("/marathon.service")), { path: "/etc/systemd/system/marathon.service", permissions: "0644", content }],
        });
        const marathon = doc.files.find((f) => f.path.endsWith("/marathon.service"))!.content;
        const unknownKey = verifyUnits(withUnit(marathon.replace("Restart=always", "Restart=always\nRestartt=5")));
        expect(unknownKey.output).toMatch(/Unknown key 'Restartt'/);
        const missing = verifyUnits(withUnit(marathon.replace("ExecStop=/usr/bin/docker", "ExecStop=/usr/bin/dokcer")));
        expect(missing.output).toMatch(/\/usr\/bin\/dokcer is not executable/);
        const noDocker = verifyUnits({ ...doc, packages: doc.packages.filter((p) => p !== "docker.io") });
        expect(noDocker.output).toMatch(/\/usr\/bin\/docker is not executable|docker\.service not found/);
    });
});

describe("shellcheck", () => {
    it("finds nothing in any script a node runs or the project ships", () => {
        const scripts = new Map<string, string>();
        for (const [name, doc] of parsed) {
            for (const file of doc.files.filter(isExecutableFile)) scripts.set(`${file.path} (${name})`, file.content);
        }
        for (const [name, script] of bundleScripts) scripts.set(`bundle (${name})`, script);
        const filesDir = path.join(TEMPLATES_DIR, "files");
        for (const file of fs.readdirSync(filesDir).filter((f) => f.endsWith(".sh"))) {
            scripts.set(file, fs.readFileSync(path.join(filesDir, file), "utf8"));
        }
        const paths = new Set([...scripts.keys()].map((k) => k.split(" ")[0]));
        expect(paths).toEqual(
            new Set([
                "/usr/local/bin/clusterstat",
                "/usr/local/bin/zk-static-ensemble",
                "/usr/local/bin/cluster-status",
                "/usr/local/bin/etcdctl",
                "/usr/local/sbin/mesos-agent-image",
                "/usr/local/sbin/mesos-cluster-registry",
                "bundle",
                "clusterstat.sh",
                "cluster-status.sh",
                "zk-static-ensemble.sh",
                "mesos-agent-image.sh",
                "mesos-cluster-registry.sh",
            ]),
        );
        const result = timed(`shellcheck, ${scripts.size} scripts`, () => shellcheck(scripts));
        expect(result.output).toBe("");
        expect(result.status).toBe(0);
    });

    it("reports a finding in a broken script", () => {
        const result = shellcheck(new Map([["broken.sh", "#!/bin/bash\nrm -rf $1/*\n"]]));
        expect(result.status).not.toBe(0);
        expect(result.output).toMatch(/SC2086|SC2115/);
    });
});
