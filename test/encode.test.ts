import * as crypto from "crypto";
import { describe, expect, it } from "vitest";
import { decodeUserData, encodeUserData, USER_DATA_LIMIT, UserDataTooLarge } from "../components/userdata/encode";

describe("user data encoding", () => {
    it("sends text as is up to the limit, counting bytes not characters", () => {
        const text = "#cloud-config\n" + "é".repeat((USER_DATA_LIMIT - 14) / 2);
        const encoded = encodeUserData(text);
        expect(encoded).toMatchObject({ userData: text, gzip: false, bytes: USER_DATA_LIMIT });
        expect(encoded.userDataBase64).toBeUndefined();
        expect(encodeUserData(text + "x").gzip).toBe(true);
    });

    it("gzips larger user data into userDataBase64, stable byte for byte, and decodes back", () => {
        const text = "#cloud-config\n" + "10.136.64.101 worker-1.cell-1.dc-1.demo.lan worker-1\n".repeat(600);
        const a = encodeUserData(text);
        expect(a.gzip).toBe(true);
        expect(a.userData).toBeUndefined();
        expect(a.bytes).toBe(Buffer.from(a.userDataBase64!, "base64").length);
        expect(a.bytes).toBeLessThanOrEqual(USER_DATA_LIMIT);
        expect(a.textBytes).toBe(Buffer.byteLength(text));
        expect(encodeUserData(text).userDataBase64).toBe(a.userDataBase64); // no timestamp in the gzip header
        expect(decodeUserData(a)).toBe(text);
    });

    it("refuses what does not fit even gzipped", () => {
        const incompressible = crypto.randomBytes(20000).toString("base64");
        expect(() => encodeUserData(incompressible)).toThrow(UserDataTooLarge);
        expect(() => encodeUserData(incompressible)).toThrow(/gzipped; EC2 allows 16384/);
    });
});
