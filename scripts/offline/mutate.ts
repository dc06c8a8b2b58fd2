import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

// `npm run mutate [-- folder ...]`: StrykerJS over components/, one folder at a time, each
// against its own tests (issue 15).
//
// Why per folder: most test files evaluate the whole program in a beforeAll, so a mutant in
// config/ or plan/ (reached by every evaluation) ran a dozen program evaluations, and a
// survivor ran all of them: a run over components/ was projected at 7-8 hours on two cores.
// Each folder's mutants run here against the files that test that folder (the table below),
// which is what a developer changing that folder runs too. A mutant those files miss is
// reported as a survivor even if another file would kill it: the score is a lower bound of
// the whole suite's, never an overstatement.
//
// Stryker's incremental file (reports/stryker-incremental.json) keeps each folder's results
// across runs, so a later run re-tests only mutants whose code or covering tests changed;
// `-- --force` re-tests everything. The summary at the end reads that file.

/** The test files that test each folder of components/ (paths relative to the project). */
export const FOLDER_TESTS: Readonly<Record<string, readonly string[]>> = {
    config: ["config", "config.mistakes", "config.files", "config.survivors", "config.survivors2", "secrets.config", "zones.config"],
    // The pure planning tests only: the program-level files (membership, zones.program) reach
    // every plan mutant through a whole evaluation each, which made this run hours long.
    plan: ["plan.survivors", "plan.survivors2", "planning.property", "zones.placement", "launcher", "poststeps.plan", "catalog"],
    catalog: ["catalog", "catalog.survivors", "catalog.survivors2", "securityMatrix", "securityMatrix.listen", "auth.units", "auth.contents", "secrets.sentinel", "secrets.fetch", "etcd.tls.unit", "userdata", "poststeps.plan"],
    poststeps: ["poststeps.dialWindow", "poststeps.survivors", "poststeps.plan", "poststeps", "poststeps.scripts", "scripts.refusals", "regressions", "auth.scripts", "etcd.tls.unit"],
    userdata: ["userdata", "userdata.survivors", "encode", "launcher", "validators", "auth.units", "sshHostKeys", "secrets.fetch", "membership", "registry"],
    security: ["security.survivors", "securityMatrix", "securityMatrix.listen", "catalog"],
    network: ["network.survivors", "zones.program", "program"],
    registry: ["registry", "registry.survivors", "registry.survivors2", "userdata"],
    secrets: ["secrets.survivors", "clusterSecrets.survivors", "auth.contents", "secrets.config", "etcd.tls.certs", "etcd.tls.program", "secrets.sentinel", "sshHostKeys", "program"],
    iam: ["iam.survivors", "membership", "registry", "secrets.config", "secrets.fetch", "program"],
    dns: ["dns.survivors", "membership", "program", "zones.program"],
    nodes: ["nodes.survivors", "program", "membership", "zones.program", "sshHostKeys", "regressions"],
    bundles: ["bundles.survivors", "membership", "program"],
    runtime: ["runtime.survivors", "batches", "evaluationCost", "program"],
    text: ["text.survivors", "poststeps.plan", "userdata"],
    // components/cluster.ts, the composition: the program-level files.
    ".": ["cluster.survivors", "program", "membership", "zones.program", "secrets.sentinel", "securityMatrix"],
};

const ROOT = path.resolve(__dirname, "..", "..");
const INCREMENTAL = path.join(ROOT, "reports", "stryker-incremental.json");

function mutateGlob(folder: string): string {
    return folder === "." ? "components/*.ts" : `components/${folder}/**/*.ts`;
}

function testFiles(folder: string): string[] {
    return FOLDER_TESTS[folder]!.map((name) => {
        const file = `test/${name}.test.ts`;
        if (!fs.existsSync(path.join(ROOT, file))) throw new Error(`mutate: ${file}, listed for components/${folder}, does not exist`);
        return file;
    });
}

interface ReportMutant {
    status: string;
}
interface Report {
    files: Record<string, { mutants: ReportMutant[] }>;
}

const DETECTED = new Set(["Killed", "Timeout"]);
const UNDETECTED = new Set(["Survived", "NoCoverage"]);

/** Per folder: detected / (detected + undetected), as Stryker's own score; Ignored and errors apart. */
export function summarize(report: Report): string[] {
    const rows = new Map<string, Record<string, number>>();
    for (const [file, { mutants }] of Object.entries(report.files)) {
        const rel = path.relative("components", file.replace(/^.*?components\//, "components/"));
        const folder = rel.includes("/") ? rel.split("/")[0]! : ".";
        const row = rows.get(folder) ?? {};
        for (const m of mutants) row[m.status] = (row[m.status] ?? 0) + 1;
        rows.set(folder, row);
    }
    const lines = ["folder | score | killed | timeout | survived | no coverage | ignored | errors"];
    const total: Record<string, number> = {};
    const line = (name: string, row: Record<string, number>) => {
        const n = (k: string) => row[k] ?? 0;
        const detected = n("Killed") + n("Timeout");
        const undetected = n("Survived") + n("NoCoverage");
        const score = detected + undetected === 0 ? "-" : `${((100 * detected) / (detected + undetected)).toFixed(1)}%`;
        const errors = Object.entries(row).filter(([k]) => !DETECTED.has(k) && !UNDETECTED.has(k) && k !== "Ignored").reduce((s, [, v]) => s + v, 0);
        return `${name} | ${score} | ${n("Killed")} | ${n("Timeout")} | ${n("Survived")} | ${n("NoCoverage")} | ${n("Ignored")} | ${errors}`;
    };
    for (const [folder, row] of [...rows].sort(([a], [b]) => a.localeCompare(b))) {
        lines.push(line(folder, row));
        for (const [k, v] of Object.entries(row)) total[k] = (total[k] ?? 0) + v;
    }
    lines.push(line("components/", total));
    return lines;
}

export async function main(argv: string[]): Promise<number> {
    const strykerArgs = argv.filter((a) => a.startsWith("--"));
    const asked = argv.filter((a) => !a.startsWith("--"));
    for (const folder of asked) {
        if (!(folder in FOLDER_TESTS)) {
            console.error(`error: mutate: no folder "${folder}" under components/; one of: ${Object.keys(FOLDER_TESTS).join(", ")}`);
            return 2;
        }
    }
    const onDisk = fs.readdirSync(path.join(ROOT, "components"), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
    const unlisted = onDisk.filter((d) => !(d in FOLDER_TESTS));
    if (unlisted.length > 0) {
        console.error(`error: mutate: components/${unlisted.join(", components/")} has no tests listed in scripts/offline/mutate.ts (FOLDER_TESTS)`);
        return 2;
    }
    const folders = asked.length > 0 ? asked : Object.keys(FOLDER_TESTS);
    for (const folder of folders) {
        const tests = testFiles(folder);
        console.log(`mutate: ${mutateGlob(folder)} against ${tests.join(" ")}`);
        const started = Date.now();
        const run = spawnSync(process.execPath, [path.join(ROOT, "node_modules", "@stryker-mutator", "core", "bin", "stryker.js"), "run", "--mutate", mutateGlob(folder), ...strykerArgs], {
            cwd: ROOT,
            stdio: "inherit",
            env: { ...process.env, MUTATE_TESTS: tests.join(",") },
        });
        console.log(`mutate: ${folder} took ${((Date.now() - started) / 60000).toFixed(1)} min`);
        if (run.status !== 0) {
            console.error(`error: mutate: Stryker failed on components/${folder} (exit ${run.status ?? run.signal})`);
            return 1;
        }
    }
    if (fs.existsSync(INCREMENTAL)) {
        console.log(`\nmutation score per folder (every run kept in ${path.relative(ROOT, INCREMENTAL)}):`);
        for (const l of summarize(JSON.parse(fs.readFileSync(INCREMENTAL, "utf8")) as Report)) console.log(l);
    }
    return 0;
}
