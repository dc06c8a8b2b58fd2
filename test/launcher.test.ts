import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { exhibitorEnvFile } from "../components/plan/ensemble";
import { TEMPLATES_DIR } from "../components/userdata/render";

// The launcher run for real, as the zookeeper units and the lab run it: a bash script, files in
// a temp dir, the command after `--` exec'd.

const LAUNCHER = path.join(TEMPLATES_DIR, "files", "zk-static-ensemble.sh");

let dir: string;
beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "launcher-"));
});
afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
});

function envFile(content: string): string {
    const file = path.join(dir, "exhibitor");
    fs.writeFileSync(file, content);
    return file;
}

function launch(env: string, ip: string, extra: string[] = [], command = ["printf", "%s|", "ran", "with spaces"]) {
    const conf = path.join(dir, "conf");
    const data = path.join(dir, "data");
    const run = spawnSync("bash", [LAUNCHER, "--env", env, "--ip", ip, "--conf-dir", conf, "--data-dir", data, ...extra, "--", ...command], {
        encoding: "utf8",
        cwd: dir,
    });
    const read = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined);
    return { ...run, conf, data, zooCfg: read(path.join(conf, "zoo.cfg")), myid: read(path.join(data, "myid")) };
}

/** Every file left anywhere under the temp dir, relative: temp files must never remain. */
function leftovers(): string[] {
    return (fs.readdirSync(dir, { recursive: true }) as string[]).sort();
}

const THREE = "EXHIBITOR_BACKEND=STATIC\nEXHIBITOR_STATICENSEMBLE=1:10.136.64.11,2:10.136.64.12,3:10.136.64.13\n";

describe("zk-static-ensemble writes zoo.cfg and myid, then execs the command", () => {
    it("writes the documented zoo.cfg for a three-member ensemble", () => {
        const run = launch(envFile(THREE), "10.136.64.12", ["--cfg-data-dir", "/data"]);
        expect(run.stderr).toBe("");
        expect(run.status).toBe(0);
        expect(run.stdout).toBe("ran|with spaces|");
        expect(run.zooCfg).toBe(
            [
                "tickTime=2000",
                "initLimit=10",
                "syncLimit=5",
                "dataDir=/data",
                "clientPort=2181",
                "clientPortAddress=10.136.64.12",
                "autopurge.snapRetainCount=3",
                "autopurge.purgeInterval=1",
                "4lw.commands.whitelist=srvr",
                "admin.enableServer=false",
                "reconfigEnabled=false",
                "standaloneEnabled=false",
                "quorumListenOnAllIPs=true",
                "server.1=10.136.64.11:2888:3888;10.136.64.11:2181",
                "server.2=10.136.64.12:2888:3888;10.136.64.12:2181",
                "server.3=10.136.64.13:2888:3888;10.136.64.13:2181",
                "",
            ].join("\n"),
        );
        expect(run.myid).toBe("2\n");
        expect(leftovers()).toEqual(["conf", "conf/zoo.cfg", "data", "data/myid", "exhibitor"]);
    });

    it("uses --data-dir as dataDir without --cfg-data-dir, and stays standalone-capable with one member", () => {
        const run = launch(envFile("EXHIBITOR_BACKEND=STATIC\nEXHIBITOR_STATICENSEMBLE=1:10.0.0.5\n"), "10.0.0.5");
        expect(run.status).toBe(0);
        expect(run.zooCfg).toContain(`dataDir=${run.data}\n`);
        expect(run.zooCfg).not.toContain("standaloneEnabled");
        expect(run.myid).toBe("1\n");
    });

    it("takes ids from the file, as the plan's string-sorted ensemble gives them (seed 001)", () => {
        const ips = Array.from({ length: 9 }, (_, i) => `10.0.0.${i + 5}`); // 10.0.0.10..13 sort before 10.0.0.5
        const env = exhibitorEnvFile(ips);
        expect(env).toMatch(/^EXHIBITOR_BACKEND=STATIC\nEXHIBITOR_STATICENSEMBLE=1:10\.0\.0\.10,/);
        const run = launch(envFile(env), "10.0.0.9");
        expect(run.status).toBe(0);
        expect(run.myid).toBe("9\n");
        expect(run.zooCfg).toContain("server.1=10.0.0.10:2888:3888;10.0.0.10:2181\n");
        expect(run.zooCfg!.match(/^server\./gm)).toHaveLength(9);
    });

    it("replaces existing files whole on a new ensemble (the rolling rewrite of seed 001)", () => {
        launch(envFile(THREE), "10.136.64.11");
        const run = launch(envFile("EXHIBITOR_BACKEND=STATIC\nEXHIBITOR_STATICENSEMBLE=1:10.136.64.11,2:10.136.64.14\n"), "10.136.64.14");
        expect(run.status).toBe(0);
        expect(run.myid).toBe("2\n");
        expect(run.zooCfg).toContain("server.2=10.136.64.14:2888:3888;10.136.64.14:2181\n");
        expect(run.zooCfg).not.toContain("server.3");
        expect(leftovers()).toEqual(["conf", "conf/zoo.cfg", "data", "data/myid", "exhibitor"]);
    });

    it("ignores other lines and never runs what the env file contains", () => {
        const marker = path.join(dir, "pwned");
        const env = envFile(`# comment\nEXHIBITOR_BACKEND=STATIC\nX=$(touch ${marker})\nEXHIBITOR_STATICENSEMBLE=1:10.0.0.5\n\`touch ${marker}\`\n`);
        const run = launch(env, "10.0.0.5");
        expect(run.status).toBe(0);
        expect(fs.existsSync(marker)).toBe(false);
    });

    it("reads a file without a final newline", () => {
        const run = launch(envFile("EXHIBITOR_BACKEND=STATIC\nEXHIBITOR_STATICENSEMBLE=1:10.0.0.5"), "10.0.0.5");
        expect(run.status).toBe(0);
        expect(run.myid).toBe("1\n");
    });
});

describe("zk-static-ensemble refuses, writes nothing and runs nothing", () => {
    const refusals: [string, string, string, RegExp][] = [
        ["its IP is not in the ensemble", THREE, "10.136.64.14", /10\.136\.64\.14 is not in the ensemble/],
        ["the backend is not STATIC", THREE.replace("STATIC", "S3"), "10.136.64.11", /EXHIBITOR_BACKEND is 'S3', only STATIC/],
        ["the backend is missing", "EXHIBITOR_STATICENSEMBLE=1:10.0.0.5\n", "10.0.0.5", /EXHIBITOR_BACKEND is ''/],
        ["the ensemble is missing", "EXHIBITOR_BACKEND=STATIC\n", "10.0.0.5", /EXHIBITOR_STATICENSEMBLE is missing/],
        ["a member has no id", "EXHIBITOR_BACKEND=STATIC\nEXHIBITOR_STATICENSEMBLE=10.0.0.5\n", "10.0.0.5", /malformed.*'10\.0\.0\.5'/],
        ["an id is zero", "EXHIBITOR_BACKEND=STATIC\nEXHIBITOR_STATICENSEMBLE=0:10.0.0.5\n", "10.0.0.5", /malformed/],
        ["an IP is not IPv4", "EXHIBITOR_BACKEND=STATIC\nEXHIBITOR_STATICENSEMBLE=1:10.0.0.256\n", "10.0.0.5", /malformed.*10\.0\.0\.256/],
        ["a member is empty", "EXHIBITOR_BACKEND=STATIC\nEXHIBITOR_STATICENSEMBLE=1:10.0.0.5,,2:10.0.0.6\n", "10.0.0.5", /malformed/],
        ["there is a trailing comma", "EXHIBITOR_BACKEND=STATIC\nEXHIBITOR_STATICENSEMBLE=1:10.0.0.5,\n", "10.0.0.5", /malformed/],
        ["an id is repeated", "EXHIBITOR_BACKEND=STATIC\nEXHIBITOR_STATICENSEMBLE=1:10.0.0.5,1:10.0.0.6\n", "10.0.0.5", /id 1 appears twice/],
        ["an id has four digits", "EXHIBITOR_BACKEND=STATIC\nEXHIBITOR_STATICENSEMBLE=1000:10.0.0.5\n", "10.0.0.5", /malformed.*'1000:10\.0\.0\.5'/],
        ["an id is not a number", "EXHIBITOR_BACKEND=STATIC\nEXHIBITOR_STATICENSEMBLE=a:10.0.0.5\n", "10.0.0.5", /malformed.*'a:10\.0\.0\.5'/],
        ["an octet has a leading zero", "EXHIBITOR_BACKEND=STATIC\nEXHIBITOR_STATICENSEMBLE=1:10.0.0.05\n", "10.0.0.5", /malformed.*'1:10\.0\.0\.05'/],
        ["an IP is repeated", "EXHIBITOR_BACKEND=STATIC\nEXHIBITOR_STATICENSEMBLE=1:10.0.0.5,2:10.0.0.5\n", "10.0.0.5", /10\.0\.0\.5 appears twice/],
        ["the value is quoted", 'EXHIBITOR_BACKEND="STATIC"\nEXHIBITOR_STATICENSEMBLE=1:10.0.0.5\n', "10.0.0.5", /only STATIC/],
        ["--ip is not an address", THREE, "master-1", /--ip 'master-1' is not an IPv4 address/],
    ];

    it.each(refusals)("when %s", (_, content, ip, message) => {
        const marker = path.join(dir, "started");
        const run = launch(envFile(content), ip, [], ["touch", marker]);
        expect(run.status).not.toBe(0);
        expect(run.stderr).toMatch(message);
        expect(run.stderr).toMatch(/^zk-static-ensemble: /);
        expect(fs.existsSync(marker)).toBe(false);
        expect(leftovers()).toEqual(["exhibitor"]);
    });

    it("leaves the files of the previous run untouched", () => {
        launch(envFile(THREE), "10.136.64.11");
        const before = leftovers().map((f) => [f, fs.statSync(path.join(dir, f)).isFile() ? fs.readFileSync(path.join(dir, f), "utf8") : ""]);
        const run = launch(envFile(THREE), "10.136.64.99");
        expect(run.status).not.toBe(0);
        expect(leftovers().map((f) => [f, fs.statSync(path.join(dir, f)).isFile() ? fs.readFileSync(path.join(dir, f), "utf8") : ""])).toEqual(before);
    });

    it("leaves no temp file when a write fails half way (data dir cannot be created)", () => {
        fs.writeFileSync(path.join(dir, "data"), "a file where the data dir should be");
        const run = launch(envFile(THREE), "10.136.64.11");
        expect(run.status).not.toBe(0);
        expect(leftovers()).toEqual(["conf", "data", "exhibitor"]);
    });

    it("prints its usage on a missing option or command", () => {
        const env = envFile(THREE);
        for (const args of [
            ["--ip", "10.0.0.1", "--conf-dir", "c", "--data-dir", "d", "--", "true"],
            ["--env", env, "--ip", "10.136.64.11", "--conf-dir", "c", "--data-dir", "d", "--"],
            ["--env", env, "--ip", "10.136.64.11", "--conf-dir", "c", "--data-dir", "d", "--bogus", "--", "true"],
        ]) {
            const run = spawnSync("bash", [LAUNCHER, ...args], { encoding: "utf8", cwd: dir });
            expect(run.status).toBe(2);
            expect(run.stderr).toMatch(/usage: zk-static-ensemble --env FILE --ip MY_IP --conf-dir DIR --data-dir DIR \[--cfg-data-dir PATH\] \[--ports CLIENT:PEER:ELECTION\] -- COMMAND/);
        }
        expect(leftovers()).toEqual(["exhibitor"]);
    });
});
