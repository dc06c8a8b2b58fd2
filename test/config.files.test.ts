import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { readStackConfig } from "../scripts/offline/stackConfig";

// Whole-file mistakes in a Pulumi.<stack>.yaml: each refused with the file's name and what is
// wrong with it, as the offline CLIs print it after `error: `.

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stack-files-"));

function messageFor(text: string | undefined, name = "Pulumi.bad.yaml"): string {
    const file = path.join(dir, name);
    if (text !== undefined) fs.writeFileSync(file, text);
    try {
        readStackConfig(file);
        return "accepted";
    } catch (err) {
        return (err as Error).message.replace(file, "FILE");
    }
}

describe("stack file errors", () => {
    const table: [string, string | undefined, string][] = [
        ["a missing file", undefined, "FILE: no such stack config file"],
        ["an empty file", "", "FILE: is empty; a stack config file holds a config: map of mesos-cluster:* keys"],
        ["a file of comments only", "# nothing yet\n", "FILE: is empty; a stack config file holds a config: map of mesos-cluster:* keys"],
        ["a tab as indentation", "config:\n\tmesos-cluster:domain: x\n", "FILE: line 2, column 1: is not valid YAML: Tabs are not allowed as indentation"],
        [
            "an unclosed flow sequence",
            "config:\n  mesos-cluster:adminCidrs: [203.0.113.0/24\n  aws:region: eu-west-1\n",
            "FILE: line 3, column 3: is not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]",
        ],
        ["a key given twice", "config:\n  aws:region: eu-west-1\n  aws:region: us-east-1\n", "FILE: line 3, column 3: is not valid YAML: Map keys must be unique"],
        ["a list instead of a mapping", "- mesos-cluster:domain\n", "FILE: is not a YAML mapping; a stack config file holds a config: map of mesos-cluster:* keys"],
        ["keys without the config: map", "aws:region: eu-west-1\nmesos-cluster:domain: x.y\n", "FILE: has no config: map; aws:region, mesos-cluster:domain must be indented under config:"],
        ["a mapping without config:", "encryptionsalt: abc\n", "FILE: has no config: map of mesos-cluster:* keys"],
        ["an empty config: map", "config:\n", "FILE: has an empty config: map"],
        ["config: as a list", "config:\n  - aws:region\n", "FILE: config: must be a map of mesos-cluster:* keys"],
    ];
    it.each(table)("refuses %s", (_label, text, expected) => {
        expect(messageFor(text, `Pulumi.${_label.replace(/\W+/g, "-")}.yaml`)).toBe(expected);
    });

    it("a directory is not a stack file", () => {
        expect(messageFor(undefined, "")).toBe("FILE: is a directory, not a stack config file");
    });

    it("marks secure: values and a missing private key as placeholders, and a clear-text value as not secret", () => {
        const file = path.join(dir, "Pulumi.secrets.yaml");
        fs.writeFileSync(file, "config:\n  mesos-cluster:sshPrivateKey: clear\n  mesos-cluster:token:\n    secure: v1:abc\n");
        const read = readStackConfig(file);
        expect(read.secretKeys).toEqual(["mesos-cluster:token"]);
        expect(read.config["mesos-cluster:sshPrivateKey"]).toBe("clear");
    });
});
