/** The environment-variable part of a function's settings: variables to set, then names to unset. */
export interface EnvChange {
  env?: Record<string, string>;
  unsetEnv?: string[];
}

/** The variables after applying settings to the current ones: set, then unset (a merge, not a replacement). */
export function applyEnv(current: Record<string, string>, change: EnvChange): Record<string, string> {
  const env = { ...current, ...change.env };
  for (const key of change.unsetEnv ?? []) delete env[key];
  return env;
}
