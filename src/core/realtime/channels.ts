import type { Actor } from '../http/access.js';
import type { Access } from '../http/access.js';
import { CHANNEL_NAME } from './protocol.js';

/**
 * A channel pattern a module declares in `defineModule({ channels })`. `{name}` stands for one
 * part without `:` and reaches `authorize` as `params.name`:
 *
 * @example
 * channels: [
 *   { pattern: 'orders:{orderId}', authorize: async (actor, { orderId }, ctx) => actor?.type === 'user' && (await ctx.services.orders.ownerOf(orderId)) === actor.id },
 *   { pattern: 'scores:weekly', authorize: () => true },   // public: anonymous sockets too
 * ]
 */
export interface ChannelDefinition<Ctx = unknown> {
  pattern: string;
  /** May `actor` (null: an anonymous socket) receive this channel's messages? Asked once per subscription. */
  authorize(actor: Actor | null, params: Record<string, string>, ctx: Ctx): boolean | Promise<boolean>;
}

interface Compiled {
  pattern: string;
  owner: string;
  regex: RegExp;
  names: string[];
  authorize: (actor: Actor | null, params: Record<string, string>) => boolean | Promise<boolean>;
}

export type Match = { pattern: string; owner: string; params: Record<string, string>; authorize: Compiled['authorize'] };

const PART = /\{([A-Za-z][A-Za-z0-9_]*)\}|[A-Za-z0-9_.:@-]+/gy;

function compile(pattern: string): { regex: RegExp; names: string[] } {
  const names: string[] = [];
  let source = '';
  PART.lastIndex = 0;
  while (PART.lastIndex < pattern.length) {
    const at = PART.lastIndex;
    const m = PART.exec(pattern);
    if (!m) throw new Error(`Invalid channel pattern "${pattern}" at ${at}: use letters, digits, _ . : @ - and {name} placeholders`);
    if (m[1]) {
      if (names.includes(m[1])) throw new Error(`Channel pattern "${pattern}" repeats {${m[1]}}`);
      names.push(m[1]);
      source += '([^:]+)';
    } else source += m[0].replace(/[.]/g, '\\.');
  }
  if (!pattern) throw new Error('Empty channel pattern');
  return { regex: new RegExp(`^${source}$`), names };
}

/** Every channel pattern: the kernel's first, then the modules' in their order; the first match wins. */
export class ChannelRegistry {
  private readonly patterns: Compiled[] = [];

  add(owner: string, pattern: string, authorize: Compiled['authorize']): void {
    const clash = this.patterns.find((p) => p.pattern === pattern);
    if (clash) throw new Error(`Channel pattern "${pattern}" is declared by both ${clash.owner} and ${owner}`);
    this.patterns.push({ pattern, owner, authorize, ...compile(pattern) });
  }

  /** The declaration a channel name falls under, with its parameters; undefined when none does. */
  match(channel: string): Match | undefined {
    if (!CHANNEL_NAME.test(channel)) return undefined;
    for (const p of this.patterns) {
      const m = p.regex.exec(channel);
      if (!m) continue;
      const params: Record<string, string> = {};
      p.names.forEach((name, i) => (params[name] = m[i + 1]!));
      return { pattern: p.pattern, owner: p.owner, params, authorize: p.authorize };
    }
    return undefined;
  }

  list(): Array<{ pattern: string; owner: string }> {
    return this.patterns.map(({ pattern, owner }) => ({ pattern, owner }));
  }
}

/**
 * The kernel's channels. `tenant:{id}` trusts `actor.tenantId`, which the auth module only sets
 * for a member of that organization (membership is checked on every resolution).
 */
export function addKernelChannels(registry: ChannelRegistry, access: Access): void {
  registry.add('core', 'user:{id}', (actor, { id }) => actor?.type === 'user' && actor.id === id);
  registry.add('core', 'guest:{id}', (actor, { id }) => actor?.type === 'guest' && actor.id === id);
  registry.add('core', 'tenant:{id}', (actor, { id }) => actor !== null && actor.type !== 'guest' && actor.tenantId === id);
  registry.add('core', 'admin', (actor) => actor !== null && actor.type !== 'guest' && access.can(actor, 'admin'));
}
