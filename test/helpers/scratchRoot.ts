import * as fs from "fs";
import * as os from "os";
import * as path from "path";

// vitest's globalSetup: one directory for every stand-in and scratch directory of the run
// (test/helpers/standIns.ts makes its own under it), removed when the run ends. Test workers
// are killed rather than left to exit, so a process's own exit hook never ran, and a day of
// mutation runs left 1,237 directories (real etcd members' data and preallocated WAL files,
// ~600 MB a run of the etcd files) that filled a 100 GB disk. Not TMPDIR itself: ts-node keeps
// its type-check cache there for the CLI tests' child processes.
export default function setup(): () => void {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "mesos-cluster-tests-"));
    process.env.MESOS_CLUSTER_TEST_SCRATCH = root;
    return () => fs.rmSync(root, { recursive: true, force: true });
}
