import type { ModuleContext } from '../../core/module.js';
import type { TrackingConfig } from './config.js';
import { senderOf } from './routes.js';

/**
 * The server-side middleware: API calls of the routes listed in `modules.tracking.serverRoutes`
 * ('POST /v1/coupons/redeem') are recorded as events of type `api` named after the route, with
 * the answer's status as a property, through the kernel's API-call hooks (http/api-calls.ts):
 * authenticated calls outside /v1/admin, /v1/auth and /v1/public. Recorded after the answer is
 * sent, so they never slow the call down. Returns the unhook function, or null with no routes.
 */
export function serverSideTracking(ctx: ModuleContext<TrackingConfig>): (() => void) | null {
  const routes = new Set(ctx.config.serverRoutes);
  if (!routes.size) return null;
  const origin = new URL(ctx.appConfig.server.publicUrl).origin;
  return ctx.apiCalls.use({
    name: 'tracking',
    completed: async (call, statusCode) => {
      const name = `${call.method} ${call.route}`;
      if (!routes.has(name)) return;
      const path = call.request.url.split('?')[0] ?? '/';
      await ctx.services.tracking.ingest(
        senderOf(call.request, call.actor),
        [{ type: 'api', url: origin + path, name: name.slice(0, 100), props: { status: statusCode } }],
        // An API client is no crawler (isbot flags curl and HTTP libraries), and a server calling
        // on its own behalf is not hammering the tracking endpoint.
        { rateLimit: false, botFilter: false },
      );
    },
  });
}
