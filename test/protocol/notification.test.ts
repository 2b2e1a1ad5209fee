import { expect } from "chai";
import { isStatsNotification, notificationJson, parseNotification, type AtNotification } from "../../protocol/notification.js";

const A = "@alice🛠";

describe("protocol/notification", function () {
  it("writes the fields in the atServer's order and reads them back", function () {
    const n: AtNotification = {
      id: "n-1", from: "@bob", to: A, key: `${A}:phone.wavi@bob`, value: "ciphertext", operation: "update",
      epochMillis: 1_603_714_720_965, messageType: "MessageType.key", isEncrypted: true,
      metadata: { sharedKeyEnc: "ske", ttl: 1000, ivNonce: null },
    };
    const json = notificationJson(n);
    expect(Object.keys(JSON.parse(json) as object)).to.deep.equal([
      "id", "from", "to", "key", "value", "operation", "epochMillis", "messageType", "isEncrypted", "metadata",
    ]);
    // The reader turns numeric metadata into strings; everything else comes back as written.
    expect(parseNotification(json)).to.deep.equal({ ...n, metadata: { sharedKeyEnc: "ske", ttl: "1000", ivNonce: null } });
  });

  it("leaves out the optional fields that are absent, as the stats line does", function () {
    const json = notificationJson({
      id: "-1", from: A, to: A, key: `statsNotification.${A}`, value: "42", operation: "update", epochMillis: 5,
      messageType: "MessageType.key", isEncrypted: false,
    });
    expect(json).to.not.include("metadata");
    const n = parseNotification(json);
    expect(n).to.not.equal(undefined);
    expect(n && isStatsNotification(n)).to.equal(true);
    expect(n?.value).to.equal("42");
  });

  it("rejects JSON without a required field", function () {
    expect(parseNotification('{"id":"x","from":"@bob","to":"@alice","key":"k","operation":"update"}')).to.equal(undefined);
    expect(parseNotification("not json")).to.equal(undefined);
  });

  it("tells a stats notification from an ordinary one", function () {
    const base = { from: "@bob", to: A, value: null, operation: "update", epochMillis: 1 };
    expect(isStatsNotification({ ...base, id: "-1", key: "anything" })).to.equal(true);
    expect(isStatsNotification({ ...base, id: "n-2", key: `${A}:phone.wavi@bob` })).to.equal(false);
  });
});
