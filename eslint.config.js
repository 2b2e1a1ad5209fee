// Lint: type-aware rules where they catch real bugs (floating promises above all),
// and the boundary rule of house-style §1: the sync core does no I/O.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/**", "client/dist/**", "node_modules/**", "**/*.cjs", "**/*.mjs", "eslint.config.js"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": ["error", { checksVoidReturn: { arguments: false } }],
      "@typescript-eslint/await-thenable": "error",
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-constant-condition": ["error", { checkLoops: false }],
    },
  },
  {
    files: ["daemon/core/**/*.ts", "shared/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", {
        patterns: [
          { group: ["node:*", "better-sqlite3", "ws", "winston", "node-cron", "@napi-rs/*", "tls", "net", "fs", "crypto"],
            message: "daemon/core and shared/ do no I/O: take what you need through a port (daemon/ports.ts)." },
        ],
      }],
    },
  },
  {
    // House-style §20: the daemon's time comes from the Clock port; only adapters read the system's.
    files: ["daemon/**/*.ts"],
    ignores: ["daemon/adapters/**"],
    rules: {
      "no-restricted-properties": ["error",
        { object: "Date", property: "now", message: "take the time from a Clock (daemon/ports.ts), injected by the composition root." }],
      "no-restricted-globals": ["error",
        { name: "setTimeout", message: "use Clock.setTimer (daemon/ports.ts), injected by the composition root." },
        { name: "setInterval", message: "use Clock.setTimer (daemon/ports.ts), injected by the composition root." }],
      "no-restricted-syntax": ["error",
        { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: "take the time from a Clock (daemon/ports.ts), injected by the composition root." }],
    },
  },
  {
    // The status page's modules (plain JavaScript, type-checked by tsconfig.web.json): browser
    // globals are TypeScript's to check, through the DOM lib.
    files: ["web/**/*.js"],
    languageOptions: {
      parserOptions: { projectService: false, project: ["./tsconfig.web.json"], tsconfigRootDir: import.meta.dirname },
    },
    rules: { "no-undef": "off" },
  },
  {
    files: ["client/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", {
        patterns: [{ group: ["**/daemon/**", "**/atserver/**", "**/protocol/**"], message: "client/ depends only on shared/." }],
      }],
    },
  },
  {
    files: ["protocol/**/*.ts", "atserver/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", {
        patterns: [{ group: ["**/daemon/**"], message: "protocol/ and atserver/ never depend on daemon internals." }],
      }],
    },
  },
);
