import { say } from "./proc";

/**
 * The lab's verdicts. Each check prints exactly one line, `PASS <check>` or
 * `FAIL <check>: <reason>` (what it saw goes on a stamped line before it); timings are kept
 * for the end; the last line is `N passed, N failed`.
 */
/** Thrown by Report.require: the failure is reported, and what follows cannot be checked. */
export class Aborted extends Error {}

export class Report {
    private readonly checks: { name: string; ok: boolean; detail: string }[] = [];
    private readonly timings: { title: string; lines: string[] }[] = [];

    check(name: string, ok: boolean, detail: string): boolean {
        this.checks.push({ name, ok, detail });
        if (ok) {
            if (detail) say(`  ${name}: ${detail}`);
            console.log(`PASS ${name}`);
        } else {
            console.log(`FAIL ${name}: ${detail || "(no detail)"}`);
        }
        return ok;
    }

    /** A check the rest depends on: a failure ends the scenario and every later one. */
    require(name: string, ok: boolean, detail: string): void {
        if (!this.check(name, ok, detail)) throw new Aborted(name);
    }

    /** A block of timing lines, printed at the end under `title`. */
    timing(title: string, lines: readonly string[]): void {
        if (lines.length > 0) this.timings.push({ title, lines: [...lines] });
    }

    get failed(): number {
        return this.checks.filter((c) => !c.ok).length;
    }

    /** Prints the timings, the failures again, and the last line; returns the exit code. */
    finish(totalMs: number): number {
        for (const t of this.timings) console.log(`\n${t.title}\n${t.lines.join("\n")}`);
        console.log(`\ntotal lab time ${(totalMs / 1000).toFixed(1)} s`);
        const failed = this.checks.filter((c) => !c.ok);
        for (const c of failed) console.log(`  failed: ${c.name}: ${c.detail}`);
        console.log(`${this.checks.length - failed.length} passed, ${failed.length} failed`);
        return failed.length === 0 && this.checks.length > 0 ? 0 : 1;
    }
}
