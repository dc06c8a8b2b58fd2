/**
 * POSIX single-quoting, the one way a value reaches a shell command line in this project
 * (handlebars' `sh` helper, post-step arguments): inside '...' nothing is special but ' itself,
 * which becomes '\'' (close, escaped quote, reopen).
 */
export function shellQuote(value: unknown): string {
    return `'${String(value).replace(/'/g, `'\\''`)}'`;
}

/** A word as a person would type it: bare when nothing in it is special, else shellQuote'd. */
export function shellWord(word: string): string {
    return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : shellQuote(word);
}
