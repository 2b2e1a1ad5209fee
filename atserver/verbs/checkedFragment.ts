// The metadata fragment of a command, after the real server's range checks.
import { ServerError } from "../connection/ServerError.js";
import { fragmentFromGroups, fragmentProblem, type FragmentValues } from "../store/buildMeta.js";

export function checkedFragment(groups: Record<string, string | undefined>): FragmentValues {
  const frag = fragmentFromGroups(groups);
  const problem = fragmentProblem(frag);
  if (problem !== undefined) throw new ServerError("AT0003", problem);
  return frag;
}
