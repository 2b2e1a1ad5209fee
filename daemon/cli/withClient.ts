// Connects to the daemon for one command, runs it, and always closes the connection.
// `--socket` wins over $ATSYNCD_SOCKET, which wins over the platform default.
import { AtsyncClient } from "../../client/AtsyncClient.js";
import { resolveSocketPath } from "../../client/socketPath.js";
import type { CliIO } from "./Command.js";
import { explainError, type ErrorContext } from "./explainError.js";

export function cliSocketPath(socket: string | undefined, io: CliIO): string {
  return resolveSocketPath(socket ?? io.env.ATSYNCD_SOCKET);
}

export async function connectCli(socket: string | undefined, io: CliIO, ctx: ErrorContext = {}): Promise<AtsyncClient> {
  try {
    return await AtsyncClient.connect({ socketPath: cliSocketPath(socket, io), clientName: `atsyncd-cli/${process.pid}` });
  } catch (err) {
    throw explainError(err, ctx);
  }
}

export async function withClient<T>(socket: string | undefined, io: CliIO, ctx: ErrorContext, fn: (c: AtsyncClient) => Promise<T>): Promise<T> {
  const client = await connectCli(socket, io, ctx);
  try {
    return await fn(client);
  } catch (err) {
    throw explainError(err, ctx);
  } finally {
    await client.close();
  }
}
