import type { Command } from 'commander';

/** Commands contributed by modules (create-admin from identity) are registered here. */
export function registerExtraCommands(_program: Command, _configOption: readonly [string, string]): void {}
