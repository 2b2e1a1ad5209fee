import { expect } from "chai";
import { AtErrorDescriptions, AtProtocolError, formatErrorReply, parseErrorPayload } from "../../protocol/errors.js";
import { parseReply } from "../../protocol/framing.js";

describe("protocol/errors", function () {
  it("parses the legacy format", function () {
    expect(parseErrorPayload("AT0015-key not found : phone.wavi@alice🛠 does not exist")).to.deep.equal({
      code: "AT0015",
      message: "key not found : phone.wavi@alice🛠 does not exist",
    });
  });

  it("parses the JSON format", function () {
    expect(parseErrorPayload('{"errorCode":"AT0003","errorDescription":"Invalid syntax: x-y"}')).to.deep.equal({
      code: "AT0003",
      message: "Invalid syntax: x-y",
    });
  });

  it("parses the handler format", function () {
    expect(parseErrorPayload("AT0025:enrollment_id: abc is denied")).to.deep.equal({
      code: "AT0025",
      message: "enrollment_id: abc is denied",
    });
  });

  it("falls back to AT0011 for an unknown shape", function () {
    expect(parseErrorPayload("something broke")).to.deep.equal({ code: "AT0011", message: "something broke" });
  });

  for (const json of [false, true]) {
    it(`round-trips formatErrorReply (json=${json})`, function () {
      for (const [code, msg] of [["AT0015", "key not found"], ["AT0401", "pkam: failed - try again"], ["AT0003", "a:b\nc"]] as const) {
        const text = formatErrorReply(code, msg, json);
        expect(text.startsWith("error:")).to.equal(true);
        expect(text).not.to.include("\n");
        expect(parseReply(text)).to.deep.equal({ kind: "error", code, message: msg.replace("\n", " ") });
      }
    });
  }

  it("writes the two documented shapes", function () {
    expect(formatErrorReply("AT0015", "key not found", false)).to.equal("error:AT0015-key not found");
    expect(formatErrorReply("AT0015", "key not found", true)).to.equal('error:{"errorCode":"AT0015","errorDescription":"key not found"}');
  });

  it("describes every code of §1.2", function () {
    const codes = ["0001", "0002", "0003", "0004", "0005", "0006", "0007", "0008", "0009", "0010", "0011", "0012", "0013",
      "0014", "0015", "0016", "0021", "0022", "0023", "0024", "0025", "0026", "0027", "0028", "0029", "0030", "0031", "0401"];
    for (const c of codes) expect(AtErrorDescriptions[`AT${c}`], c).to.be.a("string").and.not.equal("");
    expect(AtErrorDescriptions["AT0003"]).to.equal("Invalid syntax");
  });

  it("AtProtocolError carries code and server message", function () {
    const e = new AtProtocolError("AT0015", "phone@alice");
    expect(e).to.be.instanceOf(Error);
    expect(e.code).to.equal("AT0015");
    expect(e.serverMessage).to.equal("phone@alice");
    expect(e.message).to.include("AT0015");
  });
});
