import type { ApiCall } from '../../core/http/api-calls.js';
import type { ModuleContext } from '../../core/module.js';
import { problem } from '../../core/http/problem.js';
import type { LegalConfig } from './config.js';
import { personOf, type LegalService } from './service.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The legal module's consent guard for this route: `true` guards it (the configured
     * documents), a list of slugs guards it with those documents, `false` never guards it
     * (whatever `modules.legal.guard` says). See docs/legal.md.
     */
    consent?: boolean | readonly string[];
  }
}

const OWN_PREFIX = '/v1/legal';

/**
 * Which documents a route demands: null when it is not guarded. Decided once per route template
 * and remembered, so the hot path is a Map lookup.
 */
export function routeRule(config: LegalConfig['guard'], route: string, routeConfig: { consent?: boolean | readonly string[]; module?: string } | undefined): readonly string[] | 'configured' | null {
  if (route === OWN_PREFIX || route.startsWith(`${OWN_PREFIX}/`)) return null;
  const own = routeConfig?.consent;
  if (own === false) return null;
  if (Array.isArray(own)) return own.length ? own : null;
  if (own === true) return 'configured';
  if (config.exempt.some((p) => route.startsWith(p))) return null;
  if (config.prefixes.some((p) => route === p || route.startsWith(p.endsWith('/') ? p : `${p}/`))) return 'configured';
  if (routeConfig?.module && config.modules.includes(routeConfig.module)) return 'configured';
  return null;
}

/**
 * The consent guard: an API-call hook (core/http/api-calls.ts), so it runs after the route's own
 * authentication and validation, for signed-in users and guests only. It answers 428
 * `consent_required` listing the documents (titles in es and en) until they are accepted.
 *
 * Cost on the hot path: a Map lookup for the route's rule; for a guarded route, the current
 * versions from memory and the actor's known acceptances from memory. The database is read only
 * for an actor who has not accepted yet (or whose acceptance this replica has not seen).
 */
export function consentGuard(ctx: ModuleContext<LegalConfig>, legal: () => LegalService) {
  const rules = new Map<string, readonly string[] | 'configured' | null>();
  const anyConfigured = () => ctx.config.guard.prefixes.length > 0 || ctx.config.guard.modules.length > 0;
  return {
    name: 'legal-consent',
    async admit(call: ApiCall): Promise<void> {
      const routeConfig = call.request.routeOptions.config as { consent?: boolean | readonly string[]; module?: string } | undefined;
      // Nothing configured and the route does not ask: return before any lookup.
      if (!anyConfigured() && routeConfig?.consent === undefined) return;
      const key = `${call.method} ${call.route}`;
      let rule = rules.get(key);
      if (rule === undefined) {
        rule = routeRule(ctx.config.guard, call.route, routeConfig);
        rules.set(key, rule);
      }
      if (rule === null) return;
      const person = personOf(call.actor);
      if (!person) return;
      const missing = await legal().missing(person, rule === 'configured' ? undefined : rule);
      if (!missing.length) return;
      const locale = ctx.i18n.negotiate(call.request.headers['accept-language']);
      throw problem(428, 'consent_required', {
        params: { documents: missing.map((d) => d.title[locale] || d.slug).join(', ') },
        extra: { documents: missing },
      });
    },
  };
}
