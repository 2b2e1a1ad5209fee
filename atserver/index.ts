// The dev-server's in-process API: tests of every area start it with these names.
export { startDevServer, resetAtSignStore } from "./DevServer.js";
export type { DevServer, DevServerInfo, DevServerOptions } from "./DevServer.js";
export { DataDirInUseError } from "./DataDirLock.js";
