import { readFileSync } from 'node:fs';
import type { Algorithm } from '@node-rs/argon2';

/**
 * Password hashing and the password policy. Hashes are argon2id PHC strings with the OWASP
 * minimum parameters (19 MiB, 2 passes, 1 lane); better-auth calls these through its
 * `emailAndPassword.password` hooks, so every path (sign-up, reset, change, create-admin) uses them.
 */
const ARGON2ID = 2 as Algorithm; // Algorithm is a const enum; isolatedModules cannot read it.
export const ARGON2_OPTIONS = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 };

// The native argon2 binding (~12 MB resident) loads on the first hash or check, not at start:
// an idle server, or one serving only signed-in reads, never needs it.
let argon2: Promise<typeof import('@node-rs/argon2')> | undefined;
const loadArgon2 = () => (argon2 ??= import('@node-rs/argon2'));

export async function hashPassword(password: string): Promise<string> {
  return (await loadArgon2()).hash(password, ARGON2_OPTIONS);
}

export async function verifyPassword({ hash: stored, password }: { hash: string; password: string }): Promise<boolean> {
  // A hash written by another scheme (e.g. better-auth's scrypt default) must not crash sign-in.
  if (!stored.startsWith('$argon2')) return false;
  try {
    return await (await loadArgon2()).verify(stored, password);
  } catch {
    return false;
  }
}

let common: Set<string> | undefined;

/** The shipped common-password list, lowercased. Loaded once, on first use. */
export function commonPasswords(): Set<string> {
  if (!common) {
    const text = readFileSync(new URL('./common-passwords.txt', import.meta.url), 'utf8');
    common = new Set(
      text
        .split('\n')
        .map((l) => l.trim().toLowerCase())
        .filter((l) => l && !l.startsWith('#')),
    );
  }
  return common;
}

export type PasswordProblem = 'password_too_short' | 'password_too_long' | 'password_too_common';

/**
 * Checks a new password against the policy; null when acceptable. Length counts Unicode code
 * points. "Common" means in the list, or a listed stem with digits/symbols around it
 * (`Password2024!`), or one character repeated.
 */
export function checkPasswordPolicy(
  password: string,
  opts: { minLength: number; maxLength: number },
): PasswordProblem | null {
  const length = [...password].length;
  if (length < opts.minLength) return 'password_too_short';
  if (length > opts.maxLength) return 'password_too_long';
  const lower = password.toLowerCase();
  const list = commonPasswords();
  if (list.has(lower)) return 'password_too_common';
  const stem = lower.replace(/^[\d\W_]+/u, '').replace(/[\d\W_]+$/u, '');
  if (stem.length > 0 && list.has(stem)) return 'password_too_common';
  // Only digits/symbols around nothing: "1234567890!!", "!!!!!!!!!!".
  if (stem.length === 0 && list.has(lower.replace(/\W+/gu, ''))) return 'password_too_common';
  if (new Set(lower).size <= 2) return 'password_too_common';
  return null;
}
