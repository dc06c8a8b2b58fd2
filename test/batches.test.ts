import { beforeAll, describe, expect, it } from "vitest";
import { inBatches, NODES_PER_TURN } from "../components/runtime/batches";
import type { Evaluation } from "../scripts/offline/mockEngine";
import { runProgram } from "../scripts/offline/runProgram";
import { devStackConfig } from "./helpers/devConfig";
import { evaluateStack } from "./helpers/evaluate";
import { componentOutputs } from "./helpers/builtAlone";

// The program builds its nodes a batch a turn of the event loop (components/runtime/batches.ts).
// What could go wrong: a turn that reorders resources, and components that register their outputs
// after their first turn, which the SDK would have registered empty by then.

describe("inBatches", () => {
    it("makes every item in order, with a turn of the event loop after every `size` of them and nowhere else", async () => {
        const seen: string[] = [];
        let turns = 0;
        const tick = () => setImmediate(() => { turns++; if (turns < 100) tick(); });
        tick();
        await inBatches([1, 2, 3, 4, 5, 6, 7], 3, (item) => seen.push(`${item}@${turns}`));
        expect(seen).toEqual(["1@0", "2@0", "3@0", "4@1", "5@1", "6@1", "7@2"]);
    });
});

describe("runProgram: the module as the CLI's run.js treats it", () => {
    it("calls a function export and resolves to what it returns; vitest's namespace of it too", async () => {
        const main = async () => ({ answer: 42 });
        expect(await runProgram(main)).toEqual({ answer: 42 });
        expect(await runProgram({ default: main })).toEqual({ answer: 42 });
    });

    it("takes other exports as they are, and rejects with what the function throws", async () => {
        expect(await runProgram({ a: 1 })).toEqual({ a: 1 });
        await expect(runProgram(async () => { throw new Error("bad config"); })).rejects.toThrow("bad config");
    });
});

describe("a cluster of more nodes than a batch", () => {
    const WORKERS = NODES_PER_TURN + 8;
    let evaluation: Evaluation;
    beforeAll(async () => {
        const nodes = JSON.parse(devStackConfig().config["mesos-cluster:nodes"]);
        evaluation = await evaluateStack({ config: { "mesos-cluster:nodes": JSON.stringify({ ...nodes, worker: { ...nodes.worker, count: WORKERS } }) } });
    }, 120_000);

    it("constructs the workers' resources in node order, each node's together, as one pass did", () => {
        const workerResources = evaluation.resources.filter((r) => /^cell-1-worker-\d+(-dns)?$|^cell-1-worker-\d+-ssh-host/.test(r.name)).map((r) => r.name);
        const expected = Array.from({ length: WORKERS }, (_, i) => [
            `cell-1-worker-${i + 1}`,
            `cell-1-worker-${i + 1}-ssh-host-key`,
            `cell-1-worker-${i + 1}-ssh-host-key-ssm`,
            `cell-1-worker-${i + 1}-ssh-host-binding`,
            `cell-1-worker-${i + 1}-dns`,
        ]).flat();
        expect(workerResources).toEqual(expected);
    });

    it("registers each batched component's outputs with every child in them", () => {
        const ids = componentOutputs.get("mesos-cluster:nodes:NodeGroup::cell-1-worker")?.instanceIds as string[];
        expect(ids).toHaveLength(WORKERS);
        expect(ids.at(-1)).toBe(`cell-1-worker-${WORKERS}-id`);
        const commands = evaluation.resources.filter((r) => r.type === "command:remote:Command").map((r) => r.name);
        expect(componentOutputs.get("mesos-cluster:poststeps:PostSteps::cell-1")?.commands).toEqual(commands);
        expect(componentOutputs.get("mesos-cluster:index:MesosCluster::cell-1")).toEqual({ borderPublicIp: "198.51.100.10" });
    });
});
