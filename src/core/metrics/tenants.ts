import { Counter, type Registry } from 'prom-client';
import type { App } from '../module.js';

/**
 * `neptuno_tenant_requests_total{tenant}`: requests by the caller's tenant (organization), for the
 * tenants listed in `metrics.tenants` (opt-in, so the label set stays bounded); every other
 * tenant counts as `other`. Installed only when the list is not empty: no hook otherwise. Reads
 * the actor only when the request already resolved it (never resolves one just to count).
 */
export function installTenantRequestMetrics(app: App, registry: Registry, tenants: string[]): void {
  if (!tenants.length) return;
  const listed = new Set(tenants);
  const counter = new Counter({ name: 'neptuno_tenant_requests_total', help: 'Requests by tenant (metrics.tenants; others: other)', labelNames: ['tenant'], registers: [registry] });
  app.addHook('onResponse', (request, _reply, done) => {
    request._actor?.then(
      (actor) => {
        const tenant = actor?.tenantId;
        if (tenant) counter.inc({ tenant: listed.has(tenant) ? tenant : 'other' });
      },
      () => {},
    );
    done();
  });
}
