import type * as pulumi from "@pulumi/pulumi";

/**
 * Building a large cluster in one synchronous pass kept every resource's registration pending
 * until the last one was constructed: at 1,000 workers 628 MiB was live at that moment (242 MiB
 * at the end), V8 sized its heap from it and GC took a third of the CPU (docs/performance.md).
 * The program is an async function the CLI awaits (index.ts), so it can let the event loop run
 * between batches of nodes: each batch's registrations go out and its temporaries die young.
 *
 * The order of construction is the same as in one pass: batches only insert turns between
 * resources, never reorder them, and nothing else of the program runs in those turns.
 */

/**
 * Nodes made between two turns of the event loop (post-steps: twice as many commands, a worker
 * has two). Small batches keep little pending: at 1,000 workers 8 nodes a turn peaked at 495 MiB
 * and 6.2 s of CPU where 32 peaked at 629 MiB and 7.5 s (quick benches back to back, two runs
 * each; the baselines batched alike); a turn
 * costs microseconds.
 */
export const NODES_PER_TURN = 8;

/** One turn of the event loop: pending promise jobs, then I/O (the engine's answers under `pulumi up`), then on. */
export function nextTurn(): Promise<void> {
    return new Promise((resolve) => setImmediate(resolve));
}

/** `make` for every item in order, letting the event loop run after every `size` of them. */
export async function inBatches<T>(items: readonly T[], size: number, make: (item: T) => void): Promise<void> {
    for (let i = 0; i < items.length; i++) {
        if (i > 0 && i % size === 0) await nextTurn();
        make(items[i]);
    }
}

/**
 * What a component built in batches registers as its outputs: the SDK registers a component's
 * outputs by itself (empty) one promise job after its constructor returns, unless
 * registerOutputs was called before, so the component registers them at once, as a promise of
 * the values it has once its children are built (registerOutputs takes one). A failed build
 * registers none: its error reaches the program's caller, which reports it once.
 */
export function outputsWhenBuilt<T>(built: Promise<T>, outputs: (built: T) => pulumi.Inputs): Promise<pulumi.Inputs> {
    return built.then(outputs, () => ({}));
}
