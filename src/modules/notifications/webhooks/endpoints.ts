import { toIso, toIsoOrNull, typedDb, typedTrx } from '../../../core/db/dialect.js';
import { paginate, type PageResult } from '../../../core/db/paginate.js';
import { notFound, unprocessable } from '../../../core/http/problem.js';
import { newId } from '../../../core/ids.js';
import type { ModuleContext } from '../../../core/module.js';
import type { NotificationsConfig } from '../config.js';
import type { EndpointRow, WebhookTables } from './schema.js';
import { newSecret, SecretBox } from './sign.js';
import { isPrivateAddress } from './ssrf.js';
import { isIP } from 'node:net';

export interface EndpointView {
  id: string;
  tenantId: string | null;
  url: string;
  description: string | null;
  eventTypes: string[];
  enabled: boolean;
  disabledReason: string | null;
  disabledAt: string | null;
  failures: number;
  createdAt: string;
  updatedAt: string;
}

export interface EndpointInput {
  url: string;
  eventTypes: string[];
  description?: string | null;
  tenantId?: string | null;
}

const toView = (r: EndpointRow): EndpointView => ({
  id: r.id,
  tenantId: r.tenant_id,
  url: r.url,
  description: r.description,
  eventTypes: JSON.parse(r.event_types) as string[],
  enabled: r.enabled === 1,
  disabledReason: r.disabled_reason,
  disabledAt: toIsoOrNull(r.disabled_at),
  failures: r.failures,
  createdAt: toIso(r.created_at),
  updatedAt: toIso(r.updated_at),
});

/** Admin management of webhook endpoints: create, list, edit, delete, rotate the secret. */
export class Endpoints {
  private readonly db;
  readonly box: SecretBox;

  constructor(
    private readonly ctx: ModuleContext<NotificationsConfig>,
    /** Event types endpoints may subscribe to right now (offered events + notification.<type>). */
    private readonly offered: () => Set<string>,
  ) {
    this.db = typedDb<WebhookTables>(ctx);
    this.box = new SecretBox(ctx.secret);
  }

  /** Whether deliveries may reach non-public addresses (config, else only in development). */
  get allowPrivate(): boolean {
    return this.ctx.config.webhooks.allowPrivateNetworks ?? this.ctx.appConfig.env === 'development';
  }

  private check(input: Partial<EndpointInput>): void {
    if (input.url !== undefined) {
      let u: URL | null = null;
      try {
        u = new URL(input.url);
      } catch {
        // reported below
      }
      const host = u?.hostname.replace(/^\[|\]$/g, '') ?? '';
      const ok = u && (u.protocol === 'https:' || u.protocol === 'http:') && !u.username && !u.password && host;
      if (!ok) throw unprocessable('webhook_url_invalid', { errors: [{ pointer: '/body/url', code: 'invalid', detail: 'An absolute http(s) URL without credentials' }] });
      // Names are checked again on every delivery, on the address actually connected to (ssrf.ts).
      if (!this.allowPrivate && ((isIP(host) && isPrivateAddress(host)) || host === 'localhost' || host.endsWith('.localhost'))) {
        throw unprocessable('webhook_url_private', { errors: [{ pointer: '/body/url', code: 'private', detail: 'Private and loopback addresses are refused' }] });
      }
    }
    if (input.eventTypes !== undefined) {
      const offered = this.offered();
      input.eventTypes.forEach((t, i) => {
        if (!offered.has(t)) throw unprocessable('webhook_event_type_unknown', { params: { type: t }, errors: [{ pointer: `/body/eventTypes/${i}`, code: 'unknown', detail: `Not offered: ${t}` }] });
      });
    }
  }

  async create(input: EndpointInput): Promise<EndpointView & { secret: string }> {
    this.check(input);
    const secret = newSecret();
    const now = new Date().toISOString();
    const row: EndpointRow = {
      id: `ep_${newId()}`,
      tenant_id: input.tenantId ?? null,
      url: input.url,
      description: input.description ?? null,
      event_types: JSON.stringify([...new Set(input.eventTypes)]),
      secret: this.box.seal(secret),
      previous_secret: null,
      previous_secret_until: null,
      enabled: 1,
      disabled_reason: null,
      disabled_at: null,
      failures: 0,
      created_at: now,
      updated_at: now,
    };
    await this.ctx.tx(async (tx) => {
      await typedTrx<WebhookTables>(tx).insertInto('notif_webhook_endpoints').values(row).execute();
      await this.audit('created', row.id, undefined, { url: row.url, eventTypes: input.eventTypes, tenantId: row.tenant_id }, tx);
    });
    return { ...toView(row), secret };
  }

  async row(id: string): Promise<EndpointRow> {
    const row = await this.db.selectFrom('notif_webhook_endpoints').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound('webhook_endpoint_not_found');
    return row;
  }

  async get(id: string): Promise<EndpointView> {
    return toView(await this.row(id));
  }

  async list(q: { limit?: number; cursor?: string; tenantId?: string }): Promise<PageResult<EndpointView>> {
    let query = this.db.selectFrom('notif_webhook_endpoints').selectAll();
    if (q.tenantId) query = query.where('tenant_id', '=', q.tenantId);
    const page = await paginate(query, { limit: q.limit, cursor: q.cursor, orderBy: ['id'], key: (r) => [r.id] });
    return { data: page.data.map(toView), nextCursor: page.nextCursor };
  }

  /** Edits; `enabled: true` switches a disabled endpoint back on with its failure count cleared. */
  async update(id: string, patch: Partial<EndpointInput> & { enabled?: boolean }): Promise<EndpointView> {
    this.check(patch);
    const before = await this.row(id);
    const set: Partial<EndpointRow> = { updated_at: new Date().toISOString() };
    if (patch.url !== undefined) set.url = patch.url;
    if (patch.description !== undefined) set.description = patch.description;
    if (patch.eventTypes !== undefined) set.event_types = JSON.stringify([...new Set(patch.eventTypes)]);
    if (patch.enabled === true) Object.assign(set, { enabled: 1, disabled_reason: null, disabled_at: null, failures: 0 });
    if (patch.enabled === false) Object.assign(set, { enabled: 0, disabled_reason: 'disabled by an admin', disabled_at: new Date().toISOString() });
    await this.ctx.tx(async (tx) => {
      await typedTrx<WebhookTables>(tx).updateTable('notif_webhook_endpoints').set(set).where('id', '=', id).execute();
      const keys = ['url', 'description', 'event_types', 'enabled'] as const;
      const pick = (r: Partial<EndpointRow>) => Object.fromEntries(keys.filter((k) => set[k] !== undefined).map((k) => [k, r[k]]));
      await this.audit('updated', id, pick(before), pick(set), tx);
    });
    return this.get(id);
  }

  async remove(id: string): Promise<void> {
    await this.row(id);
    await this.ctx.tx(async (tx) => {
      const t = typedTrx<WebhookTables>(tx);
      const deliveries = t.selectFrom('notif_webhook_deliveries').select('id').where('endpoint_id', '=', id);
      await t.deleteFrom('notif_webhook_attempts').where('delivery_id', 'in', deliveries).execute();
      await t.deleteFrom('notif_webhook_deliveries').where('endpoint_id', '=', id).execute();
      await t.deleteFrom('notif_webhook_endpoints').where('id', '=', id).execute();
      await this.audit('deleted', id, undefined, undefined, tx);
    });
  }

  /** A new secret, shown once; the old one keeps signing for `previousSecretHours`. */
  async rotate(id: string): Promise<EndpointView & { secret: string }> {
    const row = await this.row(id);
    const secret = newSecret();
    const hours = this.ctx.config.webhooks.previousSecretHours;
    const now = new Date();
    await this.ctx.tx(async (tx) => {
      await typedTrx<WebhookTables>(tx)
        .updateTable('notif_webhook_endpoints')
        .set({
          secret: this.box.seal(secret),
          previous_secret: hours > 0 ? row.secret : null,
          previous_secret_until: hours > 0 ? new Date(now.getTime() + hours * 3_600_000).toISOString() : null,
          updated_at: now.toISOString(),
        })
        .where('id', '=', id)
        .execute();
      // Never the secret itself: only that it changed.
      await this.audit('secret_rotated', id, undefined, undefined, tx);
    });
    return { ...(await this.get(id)), secret };
  }

  /** An admin's change to an endpoint, in the change's transaction (docs/audit.md). */
  audit(what: string, id: string, before: Record<string, unknown> | undefined, after: Record<string, unknown> | undefined, trx: Parameters<ModuleContext['audit']['record']>[1]): Promise<unknown> {
    return this.ctx.audit.record({ action: `notifications.webhook_${what}`, target: { type: 'webhook_endpoint', id }, before, after }, trx);
  }

  /** The secrets that sign a delivery to this endpoint now (current first). */
  signingSecrets(row: EndpointRow, now = new Date()): string[] {
    const secrets = [this.box.open(row.secret)];
    if (row.previous_secret && row.previous_secret_until && new Date(row.previous_secret_until) > now) secrets.push(this.box.open(row.previous_secret));
    return secrets;
  }
}
