#!/usr/bin/env node
// `node scripts/check-docs.js`: the documentation's commands still work as written.
//
// Every fenced block whose info string is `sh runnable` in README.md and docs/*.md is run, one
// command per line (a line ending in `\` continues on the next; blank and `#` lines are skipped),
// each with `bash -o pipefail -c` from the repository root; a non-zero exit fails with the
// block's file:line. Runnable commands must be safe offline: no AWS, no pulumi CLI, no root.
// Besides, for every `sh` block, runnable or not: each `npm run <script>` names a script of
// package.json; and every relative Markdown link points at a file that exists.
//
// Not part of `npm test` (it runs plans, and `npm test` must not run itself): .ci/run calls it
// after the tests.
"use strict";
const { spawnSync } = require("child_process");
const fs = require("fs");
const os = require("os");
const path = require("path");

const ROOT = path.resolve(__dirname, "..");
// Commands that must never be marked runnable: recursion, root, the cloud.
const NEVER_RUNNABLE = [/\bnpm (run )?test\b/, /\bnpm run lab\b/, /\bsetup-debian\.sh\b/, /\bnpm ci\b/, /(^|[\s;&|(])pulumi\s/, /\bssh\b/];

function docFiles() {
    const docs = path.join(ROOT, "docs");
    const inDocs = fs.existsSync(docs) ? fs.readdirSync(docs).filter((f) => f.endsWith(".md")).sort().map((f) => path.join("docs", f)) : [];
    return ["README.md", ...inDocs];
}

/** Fenced blocks of a Markdown file: info string, first line number (1-based) and lines. */
function fencedBlocks(file) {
    const lines = fs.readFileSync(path.join(ROOT, file), "utf8").split("\n");
    const blocks = [];
    let open;
    lines.forEach((line, i) => {
        const fence = /^(\s*)(```+|~~~+)\s*(.*)$/.exec(line);
        if (!open && fence) {
            open = { file, fence: fence[2], info: fence[3].trim(), line: i + 1, body: [] };
        } else if (open && fence && fence[2].startsWith(open.fence) && fence[3].trim() === "") {
            blocks.push(open);
            open = undefined;
        } else if (open) {
            open.body.push({ text: line, line: i + 1 });
        }
    });
    if (open) throw new Error(`${file}:${open.line}: fenced block never closed`);
    return blocks;
}

/** A block's commands: continuation lines joined, comments and blank lines dropped. */
function commands(block) {
    const out = [];
    let pending;
    for (const { text, line } of block.body) {
        const cur = pending ? { text: `${pending.text}\n${text}`, line: pending.line, file: block.file, block: block.line } : { text, line, file: block.file, block: block.line };
        if (/\\\s*$/.test(text)) {
            pending = cur;
            continue;
        }
        pending = undefined;
        const trimmed = cur.text.trim();
        if (trimmed !== "" && !trimmed.startsWith("#")) out.push(cur);
    }
    if (pending) out.push(pending);
    return out;
}

function tail(text, n) {
    const lines = text.trimEnd().split("\n");
    return lines.slice(-n).map((l) => `    ${l}`).join("\n");
}

function main() {
    const scripts = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).scripts ?? {};
    const problems = [];
    const runnable = [];
    for (const file of docFiles()) {
        const text = fs.readFileSync(path.join(ROOT, file), "utf8");
        // Relative links must resolve (anchors and absolute URLs are not checked).
        text.split("\n").forEach((line, i) => {
            for (const m of line.matchAll(/\]\(([^)\s]+)\)/g)) {
                const target = m[1].split("#")[0];
                if (target === "" || /^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
                if (!fs.existsSync(path.resolve(ROOT, path.dirname(file), target))) problems.push(`${file}:${i + 1}: link to ${m[1]}: no such file`);
            }
        });
        for (const block of fencedBlocks(file)) {
            const words = block.info.split(/\s+/);
            if (words[0] !== "sh") continue;
            for (const cmd of commands(block)) {
                for (const m of cmd.text.matchAll(/\bnpm run (?:-s |--silent )?([\w:-]+)/g)) {
                    if (!(m[1] in scripts)) problems.push(`${file}:${cmd.line}: npm run ${m[1]}: package.json has no such script`);
                }
                if (!words.includes("runnable")) continue;
                const banned = NEVER_RUNNABLE.find((re) => re.test(cmd.text));
                if (banned) problems.push(`${file}:${cmd.line}: marked runnable but must not be (${banned}): ${cmd.text}`);
                else runnable.push(cmd);
            }
        }
    }
    if (runnable.length === 0) problems.push("no `sh runnable` block found in README.md or docs/*.md");
    for (const p of problems) console.log(`FAIL ${p}`);

    let failed = problems.length;
    let passed = 0;
    // mktemp in a command lands in a directory of our own, removed at the end.
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "check-docs-"));
    const env = { ...process.env, TMPDIR: tmp };
    for (const cmd of runnable) {
        const t0 = Date.now();
        const r = spawnSync("bash", ["-o", "pipefail", "-c", cmd.text], { cwd: ROOT, env, encoding: "utf8", maxBuffer: 64 * 1024 * 1024, timeout: 180_000 });
        const secs = ((Date.now() - t0) / 1000).toFixed(1);
        const where = `${cmd.file}:${cmd.line}`;
        const blockAt = `block at ${cmd.file}:${cmd.block}`;
        const shown = cmd.text.replace(/\\\n\s*/g, "");
        if (r.status === 0) {
            passed++;
            console.log(`ok   ${where} (${secs} s) ${shown}`);
        } else {
            failed++;
            const why = r.error ? r.error.message : r.signal ? `signal ${r.signal}` : `exit ${r.status}`;
            console.log(`FAIL ${where} (${blockAt}; ${secs} s, ${why}) ${shown}`);
            const output = `${r.stdout ?? ""}${r.stderr ?? ""}`;
            if (output.trim()) console.log(tail(output, 20));
        }
    }
    fs.rmSync(tmp, { recursive: true, force: true });
    console.log(`${passed} passed, ${failed} failed (${runnable.length} runnable commands in ${docFiles().length} files)`);
    process.exitCode = failed === 0 ? 0 : 1;
}

main();
