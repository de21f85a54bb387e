/**
 * The redaction rule for `before`/`after`: audit entries keep ids and non-personal fields only,
 * so a deletion request never has to rewrite history. Whatever a caller passes, the kernel
 * replaces with `"[redacted]"`:
 *
 * - the value of any key named like personal data or a secret (case-insensitive, ignoring `_`
 *   and `-`): the names in `REDACTED_KEYS`, plus `audit.redactKeys` from neptuno.yaml (a plain
 *   `name` is not in the list: badges, plans and coupons have names; a person's is `displayName`
 *   or `fullName`, or add `name` to `audit.redactKeys`);
 * - any string that contains an email address, whatever its key.
 *
 * Entries are also bounded: nesting deeper than 6 levels, arrays beyond 50 items and strings
 * beyond 500 characters are cut, so an audit row never carries a whole document.
 */
export const REDACTED = '[redacted]';

export const REDACTED_KEYS: readonly string[] = [
  'email', 'emails', 'emailaddress', 'phone', 'phonenumber', 'mobile', 'firstname', 'lastname', 'fullname',
  'displayname', 'givenname', 'familyname', 'nickname', 'username', 'address', 'street', 'city', 'postalcode', 'zip',
  'birthdate', 'birthday', 'dateofbirth', 'image', 'avatar', 'avatarurl', 'ip', 'ipaddress', 'useragent',
  'password', 'passwordhash', 'newpassword', 'currentpassword', 'secret', 'token', 'accesstoken', 'refreshtoken',
  'idtoken', 'apikey', 'keyhash', 'otp', 'backupcodes', 'totpuri', 'cookie', 'authorization',
];

const EMAIL = /[^\s@<>()[\]",;:]+@[^\s@<>()[\]",;:]+\.[a-z]{2,}/i;
const MAX_DEPTH = 6;
const MAX_ITEMS = 50;
const MAX_STRING = 500;

const normalise = (key: string) => key.toLowerCase().replace(/[_-]/g, '');

export class Redactor {
  private readonly keys: Set<string>;

  constructor(extraKeys: readonly string[] = []) {
    this.keys = new Set([...REDACTED_KEYS, ...extraKeys].map(normalise));
  }

  /** A redacted, bounded copy of `value` (null stays null). */
  apply(value: Record<string, unknown> | null | undefined): Record<string, unknown> | null {
    if (value === null || value === undefined) return null;
    return this.walk(value, 0) as Record<string, unknown>;
  }

  private walk(value: unknown, depth: number): unknown {
    if (value === null || typeof value === 'boolean') return value;
    if (typeof value === 'number') return Number.isFinite(value) ? value : null;
    if (typeof value === 'bigint') return value.toString();
    if (typeof value === 'string') {
      if (EMAIL.test(value)) return REDACTED;
      return value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}…` : value;
    }
    if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
    if (typeof value !== 'object') return null;
    if (depth >= MAX_DEPTH) return '[truncated]';
    if (Array.isArray(value)) return value.slice(0, MAX_ITEMS).map((v) => this.walk(v, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined || typeof v === 'function') continue;
      out[k] = this.keys.has(normalise(k)) && v !== null ? REDACTED : this.walk(v, depth + 1);
    }
    return out;
  }
}
