// A tiny TLS server that speaks whatever a test scripts, for behaviour the real dev-server
// will not show on demand (an APKAM login, a server that stops answering).
import { webcrypto } from "node:crypto";
import { createServer, type Server, type TLSSocket } from "node:tls";
import "reflect-metadata";
import * as x509 from "@peculiar/x509";

const ALG = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;

export interface SelfSigned {
  cert: string;
  key: string;
}

/** A self-signed certificate for 127.0.0.1, usable as its own CA. */
export async function selfSignedCert(): Promise<SelfSigned> {
  const crypto = webcrypto;
  x509.cryptoProvider.set(crypto);
  const keys = (await crypto.subtle.generateKey(ALG, true, ["sign", "verify"])) as webcrypto.CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: "CN=localhost",
    keys,
    notBefore: new Date(Date.now() - 86_400_000),
    notAfter: new Date(Date.now() + 86_400_000),
    signingAlgorithm: ALG,
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: "ip", value: "127.0.0.1" }])],
  });
  const der = Buffer.from(await crypto.subtle.exportKey("pkcs8", keys.privateKey));
  const key = `-----BEGIN PRIVATE KEY-----\n${der.toString("base64").replace(/.{64}/gu, "$&\n")}\n-----END PRIVATE KEY-----\n`;
  return { cert: cert.toString("pem"), key };
}

export type LineHandler = (line: string, socket: TLSSocket) => void;

export class ScriptedTlsServer {
  readonly commands: string[] = [];
  private readonly sockets = new Set<TLSSocket>();
  private server: Server | undefined;
  port = 0;

  constructor(private readonly tlsMaterial: SelfSigned, private readonly onLine: LineHandler) {}

  async listen(): Promise<void> {
    const server = createServer({ cert: this.tlsMaterial.cert, key: this.tlsMaterial.key }, (socket) => {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
      socket.on("error", () => undefined);
      let buf = "";
      socket.setEncoding("utf8");
      socket.on("data", (chunk: string) => {
        buf += chunk;
        let i: number;
        while ((i = buf.indexOf("\n")) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          this.commands.push(line);
          this.onLine(line, socket);
        }
      });
      socket.write("@");
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const addr = server.address();
    this.port = typeof addr === "object" && addr !== null ? addr.port : 0;
  }

  get connectionCount(): number {
    return this.sockets.size;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    const server = this.server;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
