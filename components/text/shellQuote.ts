/**
 * POSIX single-quoting, the one way a value reaches a shell command line in this project
 * (handlebars' `sh` helper, post-step arguments): inside '...' nothing is special but ' itself,
 * which becomes '\'' (close, escaped quote, reopen).
 */
export function shellQuote(value: unknown): string {
    return `'${String(value).replace(/'/g, `'\\''`)}'`;
}
