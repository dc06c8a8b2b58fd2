import * as net from "net";
import { describe, expect, it } from "vitest";
import { runAsync } from "./lab/proc";
import { isDialFailure } from "./lab/poststeps";

// The lab retries a command as @pulumi/command does only when ssh never reached a shell on
// the node; these are real OpenSSH clients against a loopback port nothing listens on.
async function closedPort(): Promise<number> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as net.AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return port;
}

const SSH = ["ssh", "-F", "/dev/null", "-o", "BatchMode=yes", "-o", "ConnectTimeout=5", "-o", "UserKnownHostsFile=/dev/null"];

describe("the lab's dial failures", () => {
    it("are ssh's refused connection, direct or through a jump that cannot reach the node", async () => {
        const port = await closedPort();
        const direct = await runAsync([...SSH, "-p", String(port), "root@127.0.0.1", "true"], { timeout: 20_000 });
        expect(direct.code).toBe(255);
        expect(isDialFailure(direct), direct.out).toBe(true);
        const jumped = await runAsync([...SSH, "-J", `root@127.0.0.1:${port}`, "root@127.0.0.1", "true"], { timeout: 20_000 });
        expect(jumped.code).toBe(255);
        expect(isDialFailure(jumped), jumped.out).toBe(true);
    });

    it("are never a script that ran, whatever its exit, nor a host key that does not match", () => {
        const refused = "ssh: connect to host 10.0.0.5 port 22: Connection refused\n";
        expect(isDialFailure({ code: 255, out: refused, timedOut: false })).toBe(true);
        expect(isDialFailure({ code: 255, out: "kex_exchange_identification: Connection closed by remote host\r\nstdio forwarding failed\n", timedOut: false })).toBe(true);
        // The script's own output means it started: running it again is not a dial.
        expect(isDialFailure({ code: 255, out: `06:35:42 arp-purge: flushed 1 dynamic neighbour entries\n${refused}`, timedOut: false })).toBe(false);
        expect(isDialFailure({ code: 1, out: refused, timedOut: false })).toBe(false);
        expect(isDialFailure({ code: 255, out: refused, timedOut: true })).toBe(false);
        expect(isDialFailure({ code: 255, out: "", timedOut: false })).toBe(false);
        expect(isDialFailure({ code: 255, out: "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\nHost key verification failed.\n", timedOut: false })).toBe(false);
    });
});
