import { expect } from "chai";
import { isAlwaysIncludedInSync, isCommittedKey, normalizeAtSign, parseAtKey } from "../../protocol/atKey.js";
import type { ParsedAtKey } from "../../protocol/atKey.js";

type Expected = Omit<ParsedAtKey, "raw">;

const FORMS: Array<[string, Expected]> = [
  ["public:phone.wavi@alice", { kind: "public", owner: "@alice", entity: "phone.wavi", namespace: "wavi", hidden: false, cached: false }],
  ["phone.wavi@alice🛠", { kind: "self", owner: "@alice🛠", entity: "phone.wavi", namespace: "wavi", hidden: false, cached: false }],
  ["@bob🛠:phone.wavi@alice🛠", { kind: "shared", owner: "@alice🛠", sharedWith: "@bob🛠", entity: "phone.wavi", namespace: "wavi", hidden: false, cached: false }],
  ["_phone.wavi@alice", { kind: "self", owner: "@alice", entity: "_phone.wavi", namespace: "wavi", hidden: true, cached: false }],
  ["public:__x.wavi@alice", { kind: "public", owner: "@alice", entity: "__x.wavi", namespace: "wavi", hidden: true, cached: false }],
  ["@bob:_x@alice", { kind: "shared", owner: "@alice", sharedWith: "@bob", entity: "_x", hidden: true, cached: false }],
  ["cached:@alice:phone.wavi@bob", { kind: "cached", owner: "@bob", sharedWith: "@alice", entity: "phone.wavi", namespace: "wavi", hidden: false, cached: true }],
  ["cached:public:publickey@bob🛠", { kind: "cached", owner: "@bob🛠", entity: "publickey", hidden: false, cached: true }],
  ["privatekey:at_pkam_publickey", { kind: "privatekey", owner: "", entity: "at_pkam_publickey", hidden: false, cached: false }],
  ["privatekey:self_encryption_key@alice", { kind: "privatekey", owner: "@alice", entity: "self_encryption_key", hidden: false, cached: false }],
  ["private:_b2a1-99@alice", { kind: "private", owner: "@alice", entity: "_b2a1-99", hidden: true, cached: false }],
  ["local:lastreceivedservercommitid@alice", { kind: "local", owner: "@alice", entity: "lastreceivedservercommitid", hidden: false, cached: false }],
  ["@bob:shared_key@alice", { kind: "shared", owner: "@alice", sharedWith: "@bob", entity: "shared_key", hidden: false, cached: false }],
  ["shared_key.bob@alice", { kind: "self", owner: "@alice", entity: "shared_key.bob", namespace: "bob", hidden: false, cached: false }],
  ["Phone.Wavi@Alice", { kind: "self", owner: "@alice", entity: "phone.wavi", namespace: "wavi", hidden: false, cached: false }],
  ["a.b.c.ns_1@alice", { kind: "self", owner: "@alice", entity: "a.b.c.ns_1", namespace: "ns_1", hidden: false, cached: false }],
];

describe("protocol/atKey parseAtKey", function () {
  for (const [key, expected] of FORMS) {
    it(`parses ${key}`, function () {
      expect(parseAtKey(key)).to.deep.equal({ raw: key, ...expected });
    });
  }

  for (const bad of ["", "phone.wavi", "@alice", "public:phone wavi@alice", "x@alice@bob", "cached:phone.wavi@bob", "a::b@alice", "bogus:x@alice", "@bob:@alice"]) {
    it(`rejects ${JSON.stringify(bad)} with AT0016`, function () {
      expect(() => parseAtKey(bad)).to.throw().with.property("code", "AT0016");
    });
  }
});

describe("protocol/atKey tables", function () {
  const committed: Array<[string, boolean]> = [
    ["phone.wavi@alice", true],
    ["public:phone.wavi@alice", true],
    ["@bob:phone.wavi@alice🛠", true],
    ["_hidden.wavi@alice", true],
    ["public:__x.wavi@alice", true],
    ["public:_x.wavi@alice", false],
    ["private:x@alice", false],
    ["privatekey:at_pkam_publickey", false],
    ["local:lastreceivedservercommitid@alice", false],
    ["cached:@alice:phone.wavi@bob", true],
    ["public:publickey@alice", true],
  ];
  for (const [key, want] of committed) {
    it(`isCommittedKey(${key}) = ${want}`, function () {
      expect(isCommittedKey(key)).to.equal(want);
    });
  }

  const always: Array<[string, boolean]> = [
    ["@bob:shared_key@alice", true],
    ["@bob🛠:shared_key@alice🛠", true],
    ["shared_key@alice", true],
    ["public:publickey@alice", true],
    ["public:publickey.wavi@alice", true],
    ["public:signing_publickey@alice", true],
    ["public:location@alice", true],
    ["public:location.wavi@alice", false],
    ["shared_key.bob@alice", false],
    ["phone.wavi@alice", false],
    ["@bob:phone.wavi@alice", false],
    ["cached:public:publickey@bob", false],
  ];
  for (const [key, want] of always) {
    it(`isAlwaysIncludedInSync(${key}) = ${want}`, function () {
      expect(isAlwaysIncludedInSync(key)).to.equal(want);
    });
  }

  it("normalizeAtSign adds @ and lowercases", function () {
    expect(normalizeAtSign("Alice🛠")).to.equal("@alice🛠");
    expect(normalizeAtSign("@BOB")).to.equal("@bob");
    expect(normalizeAtSign(" @x ")).to.equal("@x");
  });
});
