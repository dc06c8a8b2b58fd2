import { describe, expect, it } from "vitest";
import { shellQuote, shellWord } from "../components/text/shellQuote";

// Issue 15: components/text/ measured on its own; the quoting rules with their outputs written out.

describe("shellQuote", () => {
    it.each([
        ["plain", "'plain'"],
        ["", "''"],
        ["it's", "'it'\\''s'"],
        ["''", "''\\'''\\'''"],
        ['$HOME "x" `y` \\ \n', "'$HOME \"x\" `y` \\ \n'"],
        [42, "'42'"],
    ])("%j -> %s", (value, quoted) => {
        expect(shellQuote(value)).toBe(quoted);
    });
});

describe("shellWord", () => {
    it.each([
        // Bare: letters, digits and _@%+=:,./- only, at least one of them.
        ["/etc/mesos-cluster/secrets", "/etc/mesos-cluster/secrets"],
        ["a", "a"],
        ["user@10.0.0.1:22,x%y+z=w_v", "user@10.0.0.1:22,x%y+z=w_v"],
        // Quoted: anything else anywhere in the word, or nothing at all.
        ["", "''"],
        ["a b", "'a b'"],
        [" a", "' a'"],
        ["a ", "'a '"],
        ["a'b", "'a'\\''b'"],
        ["$x", "'$x'"],
        ["a;b", "'a;b'"],
        ["*", "'*'"],
    ])("%j -> %s", (word, typed) => {
        expect(shellWord(word)).toBe(typed);
    });
});
