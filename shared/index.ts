// The wire contracts of atsyncd, importable as `atsyncd/shared`.
export * from "./atKey.js";
export * from "./errors.js";
export * from "./events.js";
export * from "./ids.js";
export * from "./method.js";
export * from "./methods.js";
export * from "./paths.js";
export * from "./protocol.js";
export * from "./schema.js";
export * from "./status.js";
export * from "./types.js";
