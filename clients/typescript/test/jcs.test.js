// RFC 8785 (JCS) canonicalisation, checked against the RFC's own published examples.
import assert from "node:assert/strict";
import { test } from "node:test";

import { canonicalSha256, canonicalize } from "../dist/index.js";

test("RFC 8785 section 3.2.2: the example input and its canonical output", () => {
  // The input exactly as printed in the RFC (JSON text, so the number literals and escapes are the RFC's).
  const input = String.raw`{
    "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
    "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
    "literals": [null, true, false]
  }`;
  const expected = String.raw`{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`;
  assert.equal(canonicalize(JSON.parse(input)), expected);
});

test("RFC 8785 section 3.2.3: members sorted by UTF-16 code units", () => {
  const input = String.raw`{
    "\u20ac": "Euro Sign",
    "\r": "Carriage Return",
    "\ufb33": "Hebrew Letter Dalet With Dagesh",
    "1": "One",
    "\ud83d\ude00": "Emoji: Grinning Face",
    "\u0080": "Control",
    "\u00f6": "Latin Small Letter O With Diaeresis"
  }`;
  assert.equal(
    canonicalize(JSON.parse(input)),
    '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis",' +
      '"\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
  );
});

test("sorting ignores locale: code units, so é (U+00E9) sorts before ê (U+00EA)", () => {
  const bytes = Buffer.from(canonicalize({ peach: "This sorting order", péché: "is wrong according to French", pêche: "but canonicalization MUST", sin: "ignore locale" }), "utf8");
  assert.equal(
    bytes.toString("utf8"),
    '{"peach":"This sorting order","péché":"is wrong according to French","pêche":"but canonicalization MUST","sin":"ignore locale"}',
  );
});

test("RFC 8785 appendix B: every finite number sample", () => {
  const samples = [
    ["0000000000000000", "0"],
    ["8000000000000000", "0"],
    ["0000000000000001", "5e-324"],
    ["8000000000000001", "-5e-324"],
    ["7fefffffffffffff", "1.7976931348623157e+308"],
    ["ffefffffffffffff", "-1.7976931348623157e+308"],
    ["4340000000000000", "9007199254740992"],
    ["c340000000000000", "-9007199254740992"],
    ["4430000000000000", "295147905179352830000"],
    ["44b52d02c7e14af5", "9.999999999999997e+22"],
    ["44b52d02c7e14af6", "1e+23"],
    ["44b52d02c7e14af7", "1.0000000000000001e+23"],
    ["444b1ae4d6e2ef4e", "999999999999999700000"],
    ["444b1ae4d6e2ef4f", "999999999999999900000"],
    ["444b1ae4d6e2ef50", "1e+21"],
    ["3eb0c6f7a0b5ed8c", "9.999999999999997e-7"],
    ["3eb0c6f7a0b5ed8d", "0.000001"],
    ["41b3de4355555553", "333333333.3333332"],
    ["41b3de4355555554", "333333333.33333325"],
    ["41b3de4355555555", "333333333.3333333"],
    ["41b3de4355555556", "333333333.3333334"],
    ["41b3de4355555557", "333333333.33333343"],
    ["becbf647612f3696", "-0.0000033333333333333333"],
    ["43143ff3c1cb0959", "1424953923781206.2"],
  ];
  for (const [bits, expected] of samples) {
    const value = Buffer.from(bits, "hex").readDoubleBE(0);
    assert.equal(canonicalize(value), expected, `0x${bits}`);
  }
});

test("RFC 8785 appendix B: NaN and Infinity have no canonical form", () => {
  for (const bits of ["7fffffffffffffff", "7ff0000000000000"]) {
    assert.throws(() => canonicalize([Buffer.from(bits, "hex").readDoubleBE(0)]), /\$\[0\]: .* is not a JSON number/);
  }
});

test("what JSON cannot carry is refused with where it was", () => {
  assert.throws(() => canonicalize({ a: { b: "\ud800" } }), /\$\.a\.b: string has a lone surrogate/);
  assert.throws(() => canonicalize({ a: [1, 2n] }), /\$\.a\[1\]: bigint is not JSON/);
  assert.throws(() => canonicalize([undefined]), /\$\[0\]: undefined is not JSON/);
});

test("like JSON.stringify: undefined members are left out and toJSON is honoured", () => {
  assert.equal(canonicalize({ b: undefined, a: new Date(Date.UTC(2026, 10, 1)) }), '{"a":"2026-11-01T00:00:00.000Z"}');
});

test("canonicalSha256 hashes the canonical form, so key order and spacing do not matter", () => {
  assert.equal(canonicalSha256({ b: 1, a: [true] }), canonicalSha256(JSON.parse('{ "a" : [ true ], "b" : 1.0 }')));
  // sha256 of the 18 bytes {"a":[true],"b":1}
  assert.equal(canonicalSha256({ b: 1, a: [true] }), "708747538ba81fd60b5aac8c646370de5e24abf70ab1872f67458a5a4f3af05d");
});
