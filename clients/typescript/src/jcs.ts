/**
 * RFC 8785 JSON Canonicalization Scheme (JCS): the one byte sequence a JSON value signs as.
 *
 * - objects: members sorted by key, compared as UTF-16 code units (what Array.prototype.sort does for strings);
 * - strings: JSON.stringify's escaping, which is the RFC's (\b \t \n \f \r \" \\, other controls as \u00xx);
 *   lone surrogates cannot be represented and are refused;
 * - numbers: ECMAScript Number-to-string (JSON.stringify's), so 1e21 is "1e+21" and -0 is "0"; NaN and the
 *   infinities are refused;
 * - no whitespace anywhere.
 *
 * Like JSON.stringify, `toJSON()` is honoured (Dates become strings) and object members whose value is undefined
 * are left out; anything else JSON cannot carry (undefined on its own or in an array, functions, symbols, bigints)
 * is refused with a TypeError naming where it was.
 */

export function canonicalize(value: unknown): string {
  return write(value, "$");
}

function write(value: unknown, at: string): string {
  if (value !== null && typeof value === "object" && typeof (value as { toJSON?: unknown }).toJSON === "function") {
    value = (value as { toJSON: () => unknown }).toJSON();
  }
  if (value === null) return "null";
  switch (typeof value) {
    case "boolean":
      return value ? "true" : "false";
    case "number":
      if (!Number.isFinite(value)) throw new TypeError(`${at}: ${value} is not a JSON number (JCS refuses it)`);
      return JSON.stringify(value);
    case "string":
      if (!value.isWellFormed()) throw new TypeError(`${at}: string has a lone surrogate (JCS refuses it)`);
      return JSON.stringify(value);
    case "object":
      if (Array.isArray(value)) return `[${value.map((item, i) => write(item, `${at}[${i}]`)).join(",")}]`;
      return `{${Object.keys(value as object)
        .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
        .sort()
        .map((key) => {
          if (!key.isWellFormed()) throw new TypeError(`${at}: a key has a lone surrogate (JCS refuses it)`);
          return `${JSON.stringify(key)}:${write((value as Record<string, unknown>)[key], `${at}.${key}`)}`;
        })
        .join(",")}}`;
    default:
      throw new TypeError(`${at}: ${typeof value} is not JSON (JCS refuses it)`);
  }
}
