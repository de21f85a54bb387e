import { describe, expect, it } from 'vitest';
import { checkPasswordPolicy, commonPasswords, hashPassword, verifyPassword } from './password.js';

const policy = { minLength: 10, maxLength: 128 };

describe('password hashing', () => {
  it('hashes with argon2id and the OWASP parameters (19 MiB, 2 passes, 1 lane), salted', async () => {
    const a = await hashPassword('correct horse battery staple');
    const b = await hashPassword('correct horse battery staple');
    expect(a).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword({ hash: a, password: 'correct horse battery staple' })).toBe(true);
    expect(await verifyPassword({ hash: a, password: 'correct horse battery stapler' })).toBe(false);
  });

  it('answers false, not an error, for a hash of another scheme or garbage', async () => {
    expect(await verifyPassword({ hash: 'abcd:ef01', password: 'x' })).toBe(false);
    expect(await verifyPassword({ hash: '$argon2id$broken', password: 'x' })).toBe(false);
  });
});

describe('password policy', () => {
  it('ships a list of several hundred common passwords', () => {
    expect(commonPasswords().size).toBeGreaterThan(400);
    expect(commonPasswords().has('password')).toBe(true);
  });

  it.each([
    ['short', 'password_too_short'],
    ['x'.repeat(129), 'password_too_long'],
    ['1234567890', 'password_too_common'],
    ['QWERTYUIOP', 'password_too_common'],
    ['Password2024!', 'password_too_common'],
    ['!!iloveyou!!', 'password_too_common'],
    ['football12345', 'password_too_common'],
    ['zzzzzzzzzzzz', 'password_too_common'],
    ['abababababab', 'password_too_common'],
  ])('refuses %j (%s)', (password, code) => {
    expect(checkPasswordPolicy(password, policy)).toBe(code);
  });

  it.each(['correct horse battery staple', 'Tr0ub4dor&3xyz', 'dragonfly-garden-47', 'contraseña segura de verdad', '🦄🦄🦄 unicornio 🦄🦄🦄'])(
    'accepts %j',
    (password) => {
      expect(checkPasswordPolicy(password, policy)).toBeNull();
    },
  );

  it('counts characters, not UTF-16 units', () => {
    // Ten code points (nineteen UTF-16 units) is long enough; nine is not.
    expect(checkPasswordPolicy('🦄🐙🦊🐢🦉🐝🦀🐬🦒a', policy)).toBeNull();
    expect(checkPasswordPolicy('🦄🐙🦊🐢🦉🐝🦀🐬🦒', policy)).toBe('password_too_short');
  });
});
