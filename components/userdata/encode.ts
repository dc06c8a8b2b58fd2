import * as zlib from "zlib";

/** EC2 refuses user data over 16 KiB, counted on the raw bytes before base64. */
export const USER_DATA_LIMIT = 16384;

export interface EncodedUserData {
    /** Plain text, when it fits as is. */
    readonly userData?: string;
    /** Gzipped and base64-encoded, when only the compressed form fits; cloud-init gunzips it. */
    readonly userDataBase64?: string;
    /** Bytes EC2 counts against its limit (the gzip size when gzipped). */
    readonly bytes: number;
    readonly textBytes: number;
    readonly gzip: boolean;
}

export class UserDataTooLarge extends Error {
    constructor(readonly textBytes: number, readonly gzipBytes: number) {
        super(`user data is ${textBytes} bytes, ${gzipBytes} gzipped; EC2 allows ${USER_DATA_LIMIT}`);
    }
}

export function encodeUserData(text: string): EncodedUserData {
    const raw = Buffer.from(text, "utf8");
    if (raw.length <= USER_DATA_LIMIT) {
        return { userData: text, bytes: raw.length, textBytes: raw.length, gzip: false };
    }
    // mtime 0 in the header keeps the bytes, and so the instance's inputs, stable across runs.
    const gz = zlib.gzipSync(raw, { level: 9 });
    if (gz.length > USER_DATA_LIMIT) throw new UserDataTooLarge(raw.length, gz.length);
    return { userDataBase64: gz.toString("base64"), bytes: gz.length, textBytes: raw.length, gzip: true };
}

/** The text back from either form, for the offline plan's --out. */
export function decodeUserData(encoded: { userData?: string; userDataBase64?: string }): string {
    if (encoded.userData !== undefined) return encoded.userData;
    if (encoded.userDataBase64 !== undefined) return zlib.gunzipSync(Buffer.from(encoded.userDataBase64, "base64")).toString("utf8");
    throw new Error("no user data");
}
