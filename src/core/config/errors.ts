/**
 * One problem found in the configuration. Exactly one of two origins is filled in: a place in
 * the YAML file (`file`, `line`, `column`, 1-based) or the environment variable that set the value
 * (`env`). Both may be empty for problems about the whole configuration (e.g. a missing secret
 * that nobody set).
 */
export interface ConfigIssue {
  /** File name as shown to the operator (relative to the working directory when inside it). */
  file: string | null;
  line: number | null;
  column: number | null;
  /** Environment variable whose value caused the issue. */
  env?: string;
  /** Dotted key path, e.g. `server.cors.origins[1]`; '' for the whole file. */
  path: string;
  /** English, one line, says what is wrong and, where it helps, how to fix it. */
  message: string;
  /** Stable snake_case code for tooling and translations (unknown_key, invalid_value, yaml_syntax…). */
  code: string;
}

/** `neptuno.yaml:12:3 server.port: must be an integer` / `env PORT (server.port): must be an integer`. */
export function formatIssue(issue: ConfigIssue): string {
  const where = issue.env
    ? `env ${issue.env}${issue.path ? ` (${issue.path})` : ''}`
    : [issue.file ?? '', issue.line ?? '', issue.line !== null ? (issue.column ?? '') : '']
        .filter((part) => part !== '')
        .join(':');
  const key = issue.env ? '' : issue.path;
  const head = [where, key].filter(Boolean).join(' ');
  return head ? `${head}: ${issue.message}` : issue.message;
}

/**
 * Thrown when the configuration cannot be used. Carries every issue found, not just the first,
 * so one run of `neptuno config check` shows everything to fix. Its message is the formatted
 * list, so even an uncaught one reads well.
 */
export class ConfigError extends Error {
  readonly code = 'config_invalid';
  readonly issues: ConfigIssue[];

  constructor(issues: ConfigIssue[]) {
    super(issues.map(formatIssue).join('\n') || 'invalid configuration');
    this.name = 'ConfigError';
    this.issues = issues;
  }

  /** One printable line per issue. */
  lines(): string[] {
    return this.issues.map(formatIssue);
  }

  format(): string {
    return this.lines().join('\n');
  }
}

export const isConfigError = (err: unknown): err is ConfigError => err instanceof ConfigError;

/** A config-wide issue with no file position (production checks on values from defaults, etc.). */
export const issue = (path: string, code: string, message: string, at: Partial<ConfigIssue> = {}): ConfigIssue => ({
  file: null,
  line: null,
  column: null,
  path,
  code,
  message,
  ...at,
});
