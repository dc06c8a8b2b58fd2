import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";

/**
 * Offline checks of rendered user data with the real tools a node would use: cloud-init's own
 * schema, systemd's unit verifier and shellcheck. Used by the tests; nothing here runs at
 * `pulumi up`.
 */

export const INSTALL_HINT = "apt-get install cloud-init shellcheck systemd";

/** Fails loudly when a validator is missing: a skipped validation would pass silently. */
export function requireTool(executable: string): string {
    const found = [executable, ...(process.env.PATH ?? "").split(":").map((dir) => path.join(dir, executable))].find(
        (candidate) => path.isAbsolute(candidate) && isExecutable(candidate),
    );
    if (!found) throw new Error(`${executable} is not installed; the offline validation needs it: ${INSTALL_HINT}`);
    return found;
}

function isExecutable(file: string): boolean {
    try {
        fs.accessSync(file, fs.constants.X_OK);
        return fs.statSync(file).isFile();
    } catch {
        return false;
    }
}

export interface WrittenFile {
    readonly path: string;
    readonly permissions: string;
    readonly content: string;
}

export interface CloudConfigDoc {
    readonly packages: readonly string[];
    readonly files: readonly WrittenFile[];
    readonly doc: Record<string, unknown>;
}

/** The parts of a rendered #cloud-config the validators look at. */
export function readCloudConfig(text: string): CloudConfigDoc {
    const doc = parse(text) as Record<string, unknown>;
    const items = (doc.write_files ?? []) as { path: string; permissions?: string; content?: string }[];
    return {
        doc,
        packages: (doc.packages ?? []) as string[],
        files: items.map((item) => ({ path: item.path, permissions: item.permissions ?? "0644", content: item.content ?? "" })),
    };
}

/**
 * A node as it ends up after first boot: its cloud-config (packages, keys) with every file it
 * holds, those its user data writes and those its role bundle installs.
 */
export function readNode(data: { readonly text: string; readonly bundle: { readonly files: readonly WrittenFile[] } }): CloudConfigDoc {
    const doc = readCloudConfig(data.text);
    return { ...doc, files: [...doc.files, ...data.bundle.files] };
}

export const isUnitFile = (file: WrittenFile) => file.path.startsWith("/etc/systemd/system/") && file.path.endsWith(".service");
export const isExecutableFile = (file: WrittenFile) => (parseInt(file.permissions, 8) & 0o111) !== 0;

function tempDir(prefix: string): string {
    return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

// cloud-init's schema has no additionalProperties at the top (each module owns a slice), so
// `cloud-init schema` accepts a misspelt top-level key. The script below also refuses any key
// no module declares: a typo there would otherwise be silently ignored at boot.
const CLOUD_INIT_CHECK = String.raw`
import json, sys
from cloudinit import safeyaml
from cloudinit.config.schema import SchemaValidationError, get_schema, validate_cloudconfig_schema

schema = get_schema()
known = set()
for ref in schema.get("allOf", []):
    known |= set(schema["$defs"][ref["$ref"].split("/")[-1]].get("properties", {}))
if not known:
    sys.exit("cannot list the top-level keys of cloud-init's schema")
results = {}
for path in sys.argv[1:]:
    problems = []
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if not text.startswith("#cloud-config\n"):
        problems.append("first line is not #cloud-config")
    try:
        doc = safeyaml.load(text)
    except Exception as e:
        results[path] = problems + ["YAML: %s" % e]
        continue
    if not isinstance(doc, dict):
        results[path] = problems + ["not a mapping"]
        continue
    problems += ["%s: unknown top-level key" % key for key in sorted(set(doc) - known)]
    try:
        validate_cloudconfig_schema(doc, schema, strict=True, log_details=False)
    except SchemaValidationError as e:
        problems.append(str(e))
    results[path] = problems
print(json.dumps(results))
`;

/**
 * Validates many cloud-configs in one python process (cloud-init's import costs ~1 s; per
 * file it is milliseconds). Returns the problems per input name; empty lists when valid.
 */
export function validateCloudConfigs(docs: ReadonlyMap<string, string>): Map<string, string[]> {
    const python = requireTool("/usr/bin/python3");
    requireTool("cloud-init");
    const dir = tempDir("cloud-config-");
    try {
        const byFile = new Map<string, string>();
        [...docs.entries()].forEach(([name, text], i) => {
            const file = path.join(dir, `${i}.yaml`);
            fs.writeFileSync(file, text);
            byFile.set(file, name);
        });
        const run = spawnSync(python, ["-c", CLOUD_INIT_CHECK, ...byFile.keys()], { encoding: "utf8", maxBuffer: 64 << 20 });
        if (run.status !== 0) {
            throw new Error(`cloud-init schema check failed to run (${INSTALL_HINT}):\n${run.stderr}`);
        }
        const results = JSON.parse(run.stdout) as Record<string, string[]>;
        return new Map(Object.entries(results).map(([file, problems]) => [byFile.get(file) ?? file, problems]));
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/**
 * What the packages a cloud-config installs put on the node, as far as units refer to it.
 * Only listed packages get their files: a unit that needs a binary from a package the
 * cloud-config forgot fails verification.
 */
const PACKAGE_FILES: Readonly<Record<string, readonly string[]>> = {
    "docker.io": ["/usr/bin/docker", "/usr/bin/dockerd", "/usr/lib/systemd/system/docker.service", "/usr/lib/systemd/system/docker.socket"],
    curl: ["/usr/bin/curl"],
};

const STUB_UNITS: Readonly<Record<string, string>> = {
    "docker.service": "[Unit]\nDescription=stub of docker.io's unit\nRequires=docker.socket\n[Service]\nExecStart=/usr/bin/dockerd\n",
    "docker.socket": "[Unit]\nDescription=stub of docker.io's socket\n[Socket]\nListenStream=/run/docker.sock\n",
};

export interface VerifyResult {
    readonly status: number | null;
    /** Everything systemd-analyze printed: any line is a finding (warnings exit 0). */
    readonly output: string;
}

/**
 * `systemd-analyze verify --root=R` over a node's units, where R is the node's file system
 * as far as the units can see it:
 *   - this machine's systemd unit directory (sysinit.target, network-online.target, ...);
 *   - every file the node's cloud-config writes, with its content (units, launcher, configs);
 *   - stand-ins for the files its `packages` install (docker.io's binary and unit);
 *   - stand-ins for base-system commands (coreutils' install) that exist on this machine too.
 * verify checks that each Exec path is executable under --root, so a wrong path, a typo or a
 * binary from a package that is not installed is reported, as on the node itself.
 */
export function verifyUnits(doc: CloudConfigDoc): VerifyResult {
    const { root, args, env } = unitsRoot(doc);
    try {
        const run = spawnSync(args[0], args.slice(1), { encoding: "utf8", env });
        return { status: run.status, output: `${run.stdout}${run.stderr}`.trim() };
    } finally {
        fs.rmSync(root, { recursive: true, force: true });
    }
}

/** verifyUnits without blocking: many nodes' verifications run side by side. */
export async function verifyUnitsAsync(doc: CloudConfigDoc): Promise<VerifyResult> {
    const { root, args, env } = unitsRoot(doc);
    try {
        return await new Promise<VerifyResult>((resolve, reject) => {
            const child = spawn(args[0], args.slice(1), { env, stdio: ["ignore", "pipe", "pipe"] });
            let output = "";
            child.stdout.on("data", (chunk) => (output += chunk));
            child.stderr.on("data", (chunk) => (output += chunk));
            child.on("error", reject);
            child.on("close", (status) => resolve({ status, output: output.trim() }));
        });
    } finally {
        fs.rmSync(root, { recursive: true, force: true });
    }
}

/** The node's file system for verifyUnits, and the systemd-analyze command line over its units. */
function unitsRoot(doc: CloudConfigDoc): { root: string; args: string[]; env: NodeJS.ProcessEnv } {
    const analyze = requireTool("systemd-analyze");
    const root = tempDir("units-root-");
    try {
        const put = (file: string, content: string, mode: number) => {
            const target = path.join(root, file);
            fs.mkdirSync(path.dirname(target), { recursive: true });
            fs.writeFileSync(target, content, { mode });
        };
        linkTree(systemUnitsCopy(), path.join(root, "usr/lib/systemd/system"));
        for (const pkg of doc.packages) {
            for (const file of PACKAGE_FILES[pkg] ?? []) {
                const unit = STUB_UNITS[path.basename(file)];
                put(file, unit ?? "#!/bin/sh\nexit 0\n", unit ? 0o644 : 0o755);
            }
        }
        for (const file of doc.files) put(file.path, file.content, parseInt(file.permissions, 8));
        const units = doc.files.filter(isUnitFile);
        for (const unit of units) {
            for (const exec of execPaths(unit.content)) {
                const inRoot = path.join(root, exec);
                if (!fs.existsSync(inRoot) && isBaseSystemCommand(exec)) put(exec, "#!/bin/sh\nexit 0\n", 0o755);
            }
        }
        return {
            root,
            args: [analyze, "verify", `--root=${root}`, ...units.map((u) => path.basename(u.path))],
            env: { ...process.env, SYSTEMD_LOG_COLOR: "0", SYSTEMD_PAGER: "" },
        };
    } catch (err) {
        fs.rmSync(root, { recursive: true, force: true });
        throw err;
    }
}

let unitsCopy: string | undefined;

/** This machine's unit directory, copied once per process into the temp file system. */
function systemUnitsCopy(): string {
    if (!unitsCopy) {
        const dir = tempDir("system-units-");
        fs.cpSync(fs.realpathSync("/usr/lib/systemd/system"), dir, { recursive: true, verbatimSymlinks: true });
        process.once("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
        unitsCopy = dir;
    }
    return unitsCopy;
}

// Hard links to the copy: each node's root costs a few ms instead of a full copy. Symlinks are
// recreated as they are, since verify resolves them inside --root like systemd would.
function linkTree(from: string, to: string): void {
    fs.mkdirSync(to, { recursive: true });
    for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
        const source = path.join(from, entry.name);
        const target = path.join(to, entry.name);
        if (entry.isSymbolicLink()) fs.symlinkSync(fs.readlinkSync(source), target);
        else if (entry.isDirectory()) linkTree(source, target);
        else fs.linkSync(source, target);
    }
}

/** Absolute program paths of Exec*= lines, after systemd's -@:+! prefixes. */
export function execPaths(unit: string): string[] {
    const paths = new Set<string>();
    for (const match of unit.matchAll(/^Exec[A-Za-z]*=[-@:+!]*(\/\S+)/gm)) paths.add(match[1]);
    return [...paths];
}

// Coreutils and friends: present on Ubuntu 24.04 as here. Anything else must come from the
// cloud-config itself or from a listed package.
function isBaseSystemCommand(exec: string): boolean {
    return /^\/usr\/bin\/[a-z]+$/.test(exec) && !Object.values(PACKAGE_FILES).some((files) => files.includes(exec)) && isExecutable(exec);
}

export interface ShellcheckResult {
    readonly status: number | null;
    readonly output: string;
}

/** shellcheck at its default severity (style and up) over the scripts, by name. */
export function shellcheck(scripts: ReadonlyMap<string, string>): ShellcheckResult {
    const tool = requireTool("shellcheck");
    const dir = tempDir("scripts-");
    try {
        // Many nodes carry the same script: check each distinct text once, under its first name.
        const distinct = new Map<string, string>();
        for (const [name, content] of scripts) if (!distinct.has(content)) distinct.set(content, name);
        const files = [...distinct.entries()].map(([content, name], i) => {
            const file = path.join(dir, `${i}-${path.basename(name)}`);
            fs.writeFileSync(file, content, { mode: 0o755 });
            return file;
        });
        const run = spawnSync(tool, ["--format=gcc", ...files], { encoding: "utf8" });
        return { status: run.status, output: `${run.stdout}${run.stderr}`.trim() };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}
