// The version of this atsyncd build: the CLI's, the daemon's and the client library's (they ship
// together). A test keeps it equal to package.json's.
export const ATSYNCD_VERSION = "0.1.0";
