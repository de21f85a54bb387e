import { Type } from 'typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { EventMeta } from './events.js';
import { problem } from './http/problem.js';
import { defaultScope, type RouteScope } from './http/scopes.js';
import type { AnyModule, App, KernelContext, ModuleContext, RoutesFn } from './module.js';
import type { CronScheduler } from './drivers/cron/scheduler.js';
import type { ChannelRegistry } from './realtime/channels.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The module that mounted this route (set by the kernel for every module route group). */
    module?: string;
  }
}

/**
 * Gives each module its context, runtime switch and messages, then its services (all of them,
 * before anything calls another module), event handlers, jobs and crons.
 */
export function wireModules(
  modules: AnyModule[],
  ctx: KernelContext,
  moduleConfigs: Record<string, unknown>,
  cron: CronScheduler,
  channels: ChannelRegistry,
): Map<string, ModuleContext> {
  const contexts = new Map<string, ModuleContext>();
  for (const m of modules) {
    contexts.set(m.name, { ...ctx, name: m.name, config: moduleConfigs[m.name] ?? {}, log: ctx.log.child({ module: m.name }) });
    ctx.settings.define({
      key: `modules.${m.name}.enabled`,
      schema: Type.Boolean(),
      default: true,
      description: `Serve the ${m.name} module's routes (off: 404 module_disabled on every replica)`,
    });
    if (m.messages) ctx.i18n.extend(m.messages);
  }
  for (const m of modules) if (m.services) Object.assign(ctx.services, m.services(contexts.get(m.name)!));
  for (const m of modules) {
    const mctx = contexts.get(m.name)!;
    for (const [event, handler] of Object.entries(m.on ?? {})) {
      const run = handler as (p: unknown, c: ModuleContext, meta: EventMeta) => Promise<void> | void;
      // Durable: events emitted with trx.emit reach the handler through the outbox, once per replica set.
      ctx.outbox.subscribe(m.name, event, (payload, meta) => run(payload, mctx, meta));
    }
    for (const [job, handler] of Object.entries(m.jobs ?? {})) {
      ctx.queue.register(`${m.name}.${job}`, (payload, jobCtx) => handler(payload, mctx, jobCtx));
    }
    for (const ch of m.channels ?? []) channels.add(m.name, ch.pattern, (actor, params) => ch.authorize(actor, params, mctx));
    for (const c of m.crons ?? []) cron.add({ name: `${m.name}.${c.name}`, schedule: c.schedule, run: () => c.run(mctx) });
  }
  return contexts;
}

/**
 * Mounts each module's route groups under their prefixes, each behind the module's runtime
 * switch (404 module_disabled) and, for admin routes, the admin guard.
 */
export async function mountModuleRoutes(server: App, modules: AnyModule[], contexts: Map<string, ModuleContext>, ctx: KernelContext) {
  for (const m of modules) {
    const mctx = contexts.get(m.name)!;
    const key = `modules.${m.name}.enabled`;
    // A plain callback hook: it runs on every request of the module.
    const switchedOn = (_req: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void) =>
      ctx.settings.get<boolean>(key) ? done() : done(problem(404, 'module_disabled', { params: { module: m.name } }));
    const mount = async (routes: RoutesFn<unknown> | undefined, prefix: string, admin = false, routeScope?: RouteScope) => {
      if (!routes) return;
      await server.register(
        async (scope) => {
          // A group's scope for scoped API keys, unless a route declares its own (http/scopes.ts).
          if (routeScope) scope.addHook('onRoute', defaultScope(routeScope));
          // Which module mounted the route (`request.routeOptions.config.module`): hooks that
          // apply per module, such as the legal module's consent guard, read it.
          scope.addHook('onRoute', (route) => {
            route.config = { ...route.config, module: m.name };
          });
          scope.addHook('onRequest', switchedOn);
          if (admin) scope.addHook('onRequest', ctx.access.requireAdmin);
          await routes(scope as App, mctx);
        },
        { prefix },
      );
    };
    await mount(m.routes, m.prefix ?? `/v1/${m.name}`);
    await mount(m.publicRoutes, `/v1/public/${m.name}`, false, 'public');
    await mount(m.adminRoutes, `/v1/admin/${m.name}`, true, 'admin');
    await mount(m.rootRoutes, '');
  }
}
