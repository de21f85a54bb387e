import type { FastifyReply, FastifyRequest } from 'fastify';
import { sql } from 'kysely';
import type { ModuleContext } from '../../core/module.js';
import { timestampParam, toIso, typedDb } from '../../core/db/dialect.js';
import { paginate, type PageResult } from '../../core/db/paginate.js';
import type { IdempotencyClaim } from '../../core/http/idempotency.js';
import { unprocessable } from '../../core/http/problem.js';
import { DEFAULT_PRIORITY, spendOrder, toBucket, type Bucket } from './buckets.js';
import type { WalletConfig } from './config.js';
import { captureIn, holdIn, releaseIn, toHold, type Hold } from './holds.js';
import { adjustIn, type AdjustResult } from './ledger-adjust.js';
import { listTransfers, listWallets, type AdminTransfer, type AdminWallet, type TransfersQuery, type WalletsQuery } from './ledger-browse.js';
import { grantIn, type GrantResult } from './ledger-grant.js';
import { maintainIn, type LedgerDeps } from './ledger-expiry.js';
import { reverseIn, type ReverseResult } from './ledger-reverse.js';
import { spendIn, type SpendResult } from './ledger-spend.js';
import { Checks, MAX_CREDITS } from './ledger-validate.js';
import { expireDue, verifyLedger, type VerifyReport } from './ledger-verify.js';
import { resolveOwner, type ResolvedOwner, type WalletOwner } from './owner.js';
import { requireCreditsHandler, type RequireCreditsOptions } from './require-credits.js';
import { toTransaction, type WalletTransaction } from './transactions.js';
import type { BucketKind, LedgerDb, LedgerTables, LedgerTrx } from './schema.js';

export type { WalletOwner } from './owner.js';

export interface WalletBalance {
  /** Credits in the wallet (the ledger's sum). */
  balance: number;
  /** What can be spent now: balance − held. */
  available: number;
  /** Reserved by active holds. */
  held: number;
  /** Credits owed after a reversal of credits already spent; new credits settle it first. */
  debt: number;
  /** Grants with credits left, in spending order. */
  buckets: Bucket[];
  /** When the next credits expire (the first bucket with an expiry), or null. */
  nextExpiry: string | null;
}

export interface GrantOptions {
  amount: number;
  kind: BucketKind;
  /** Unique: exactly one grant per source, e.g. `payment:mercadopago:123`. */
  source: string;
  reason: string;
  expiresAt?: Date | string | null;
  /** Lower numbers are spent first among grants expiring together (0–100, default 50). */
  priority?: number;
  metadata?: Record<string, unknown>;
  /** Who granted it when not a payment or a rule (an admin's id), kept on the transfer. */
  actorId?: string;
}

export interface SpendOptions {
  amount: number;
  reason: string;
  source?: string;
  metadata?: Record<string, unknown>;
  /** Transfer kind (default `spend`). */
  kind?: string;
  actorId?: string;
}

export interface TransactionsQuery {
  limit?: number;
  cursor?: string;
  kind?: string;
  /** ISO times: transfers at or after `from`, before `to`. */
  from?: string;
  to?: string;
}

const iso = () => new Date().toISOString();

/**
 * The credits ledger for other modules (`ctx.services.wallet`) and for the wallet's routes.
 * Every method joins the caller's open ctx.tx (a payment's state change and its grant commit
 * together) or runs its own transaction. No HTTP here: errors are kernel problems.
 */
export class WalletService {
  constructor(private readonly ctx: ModuleContext<WalletConfig>) {}

  private get deps(): LedgerDeps {
    return { dialect: this.ctx.dialect, lowBalanceThreshold: this.ctx.config.lowBalanceThreshold };
  }

  /** The database to read from: the caller's open transaction if any (ctx.db would throw inside one). */
  private get reader(): LedgerDb {
    const open = this.ctx.database.openTransaction();
    return (open?.handle ?? open?.trx ?? typedDb<LedgerTables>(this.ctx)) as LedgerDb;
  }

  private tx<T>(fn: (trx: LedgerTrx) => Promise<T>): Promise<T> {
    return this.ctx.tx((trx) => fn(trx as unknown as LedgerTrx));
  }

  async balance(owner: WalletOwner): Promise<WalletBalance> {
    const o = resolveOwner(owner);
    const now = iso();
    const row = await this.reader.selectFrom('wallet_accounts').select(['balance', 'held', 'debt', 'next_expiry']).where('id', '=', o.accountId).executeTakeFirst();
    if (!row) return { balance: 0, available: 0, held: 0, debt: 0, buckets: [], nextExpiry: null };
    if (await this.maintenanceDue(o, row, now)) await this.tx((trx) => maintainIn(trx, this.deps, o, now));
    const fresh = await this.reader.selectFrom('wallet_accounts').select(['balance', 'held', 'debt']).where('id', '=', o.accountId).executeTakeFirstOrThrow();
    const buckets = (await this.reader.selectFrom('wallet_buckets').selectAll().where('account_id', '=', o.accountId).where('remaining', '>', 0).execute())
      .map(toBucket)
      .sort(spendOrder);
    const balance = Number(fresh.balance);
    const held = Number(fresh.held);
    const nextExpiry = buckets.map((b) => b.expiresAt).filter((x): x is string => x !== null && x > now).sort()[0] ?? null;
    return { balance, available: balance - held, held, debt: Number(fresh.debt), buckets, nextExpiry };
  }

  /** True when a grant's expiry has passed or a hold has run out: the read must sweep first. */
  private async maintenanceDue(o: ResolvedOwner, row: { held: number | string; next_expiry: unknown }, now: string): Promise<boolean> {
    if (row.next_expiry != null && toIso(row.next_expiry as string) <= now) return true;
    if (Number(row.held) === 0) return false;
    const due = await this.reader
      .selectFrom('wallet_holds')
      .select('id')
      .where('account_id', '=', o.accountId)
      .where('status', '=', 'active')
      .where(sql<boolean>`expires_at <= ${timestampParam(this.ctx.dialect, now)}`)
      .limit(1)
      .executeTakeFirst();
    return due !== undefined;
  }

  /**
   * Credits `owner` exactly once per `source` (50 deliveries of the same payment webhook, in
   * parallel, credit once: the others get `created: false` and the first transfer's id).
   * The same source for another owner or amount is 409 wallet_source_conflict.
   */
  async grant(owner: WalletOwner, input: GrantOptions): Promise<GrantResult> {
    const o = resolveOwner(owner);
    const c = new Checks();
    const amount = c.amount(input.amount);
    if (input.kind !== 'paid' && input.kind !== 'promotional') c.errors.push({ pointer: '/kind', code: 'enum', detail: 'paid or promotional' });
    const source = c.text(input.source, 'source', 240);
    const reason = c.text(input.reason, 'reason', 500);
    const expiresAt = c.futureDate(input.expiresAt, 'expiresAt');
    const priority = input.priority === undefined ? DEFAULT_PRIORITY : c.int(input.priority, 'priority', 0, 100);
    const metadata = c.metadata(input.metadata);
    if (input.actorId !== undefined) c.text(input.actorId, 'actorId', 255);
    c.done();
    const g = { amount, kind: input.kind, source, reason, expiresAt, priority, metadata, actorId: input.actorId ?? null };
    return this.tx((trx) => grantIn(trx, this.deps, o, g, iso()));
  }

  /**
   * Spends `amount` credits or throws 409 insufficient_credits (nothing written). With a
   * `source`, at most once per source. `idempotency`: the route's claim, stored with the spend.
   */
  async spend(owner: WalletOwner, input: SpendOptions, opts: { idempotency?: IdempotencyClaim } = {}): Promise<SpendResult> {
    const o = resolveOwner(owner);
    const c = new Checks();
    const amount = c.amount(input.amount);
    const reason = c.text(input.reason, 'reason', 500);
    const source = input.source === undefined ? undefined : c.text(input.source, 'source', 240);
    const metadata = c.metadata(input.metadata);
    if (input.kind !== undefined) c.text(input.kind, 'kind', 20);
    c.done();
    return this.tx(async (trx) => {
      const result = await spendIn(trx, this.deps, o, { amount, reason, source, metadata, kind: input.kind, actorId: input.actorId }, iso());
      await opts.idempotency?.saveIn(trx, 201, spendAnswer(result));
      return result;
    });
  }

  /** Reserves `amount` for `ttlMs` (at most modules.wallet.maxHoldSeconds); 409 insufficient_credits otherwise. */
  async hold(owner: WalletOwner, input: { amount: number; ttlMs: number; reason: string }, opts: { idempotency?: IdempotencyClaim } = {}): Promise<Hold & { available: number }> {
    const o = resolveOwner(owner);
    const c = new Checks();
    const amount = c.amount(input.amount);
    const ttlMs = c.int(input.ttlMs, 'ttlMs', 1_000, this.ctx.config.maxHoldSeconds * 1_000);
    const reason = c.text(input.reason, 'reason', 500);
    c.done();
    return this.tx(async (trx) => {
      const hold = await holdIn(trx, this.deps, o, { amount, ttlMs, reason }, iso());
      await opts.idempotency?.saveIn(trx, 201, hold);
      return hold;
    });
  }

  /**
   * Captures `amount` (default all) of a hold. 409 wallet_hold_resolved if it was already
   * captured, released or expired; 409 wallet_hold_expired if its time ran out (it is then
   * released). `owner`: only that wallet's hold (others look like 404).
   */
  async capture(holdId: string, amount?: number, opts: { owner?: WalletOwner; idempotency?: IdempotencyClaim } = {}): Promise<{ hold: Hold; balance: number }> {
    const c = new Checks();
    c.text(holdId, 'holdId', 40);
    if (amount !== undefined) c.amount(amount, 'amount', 0);
    c.done();
    const owned = opts.owner ? resolveOwner(opts.owner).accountId : undefined;
    const out = await this.tx(async (trx) => {
      const r = await captureIn(trx, this.deps, holdId, amount, iso(), owned);
      if (!r.expired) await opts.idempotency?.saveIn(trx, 200, { ...r.hold, balance: r.balance });
      return r;
    });
    if (out.expired) throw unprocessable('wallet_hold_expired');
    return { hold: out.hold, balance: out.balance };
  }

  /** Releases a hold's credits. 409 wallet_hold_resolved if it was already resolved. */
  async release(holdId: string, opts: { owner?: WalletOwner; idempotency?: IdempotencyClaim } = {}): Promise<Hold> {
    const c = new Checks();
    c.text(holdId, 'holdId', 40);
    c.done();
    const owned = opts.owner ? resolveOwner(opts.owner).accountId : undefined;
    return this.tx(async (trx) => {
      const hold = await releaseIn(trx, this.deps, holdId, iso(), owned);
      await opts.idempotency?.saveIn(trx, 200, hold);
      return hold;
    });
  }

  async getHold(holdId: string, owner?: WalletOwner): Promise<Hold | null> {
    let q = this.reader.selectFrom('wallet_holds').selectAll().where('id', '=', holdId);
    if (owner) q = q.where('account_id', '=', resolveOwner(owner).accountId);
    const row = await q.executeTakeFirst();
    return row ? toHold(row) : null;
  }

  /**
   * Claws back the grant made with `source` (a refund or chargeback): what is left of it leaves
   * the wallet, what was already spent becomes an explicit debt. Once per source (a second call
   * answers the first reversal). 404 wallet_grant_not_found for an unknown source.
   */
  async reverse(source: string, input: { reason: string; actorId?: string }): Promise<ReverseResult> {
    const c = new Checks();
    c.text(source, 'source', 240);
    const reason = c.text(input?.reason, 'reason', 500);
    c.done();
    const { owner: _owner, ...result } = await this.tx((trx) => reverseIn(trx, this.deps, source, reason, input.actorId ?? null, iso()));
    return result;
  }

  /**
   * An admin's correction: `amount` > 0 credits the wallet (a bucket of `kind`, default
   * promotional), < 0 debits it (409 insufficient_credits rather than below zero, nothing
   * written), both through the `adjustments` account with `adminId` on the transfer.
   */
  async adjust(
    owner: WalletOwner,
    input: { amount: number; reason: string; kind?: BucketKind; adminId: string },
    opts: { idempotency?: IdempotencyClaim } = {},
  ): Promise<AdjustResult> {
    const o = resolveOwner(owner);
    const c = new Checks();
    const amount = input.amount;
    if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount === 0 || Math.abs(amount) > MAX_CREDITS) {
      c.errors.push({ pointer: '/amount', code: 'type', detail: `A non-zero integer from -${MAX_CREDITS} to ${MAX_CREDITS}` });
    }
    const reason = c.text(input.reason, 'reason', 500);
    const kind = input.kind ?? 'promotional';
    if (kind !== 'paid' && kind !== 'promotional') c.errors.push({ pointer: '/kind', code: 'enum', detail: 'paid or promotional' });
    const adminId = c.text(input.adminId, 'adminId', 255);
    c.done();
    return this.tx(async (trx) => {
      const result = await adjustIn(trx, this.deps, o, { amount, reason, kind, adminId }, iso());
      // The reason is free text an admin typed (it may name someone): the audit keeps ids and numbers.
      await this.ctx.audit.record(
        { action: 'wallet.adjusted', target: { type: 'wallet', id: o.accountId }, after: { ownerType: o.type, ownerId: o.id, amount, kind, transferId: result.transferId, balance: result.balance } },
        trx,
      );
      await opts.idempotency?.saveIn(trx, 201, result);
      return result;
    });
  }

  /** Every wallet (admin browsing), newest first; filter by owner type. */
  wallets(q: WalletsQuery = {}): Promise<PageResult<AdminWallet>> {
    return listWallets(this.reader, q);
  }

  /** Every wallet's transfers (admin browsing), newest first; filter by owner, kind and time. */
  transfers(q: TransfersQuery = {}): Promise<PageResult<AdminTransfer>> {
    return listTransfers(this.reader, this.ctx.dialect, q);
  }

  /** The wallet's transfers, newest first, paginated the kernel's way; filter by kind and time. */
  async transactions(owner: WalletOwner, q: TransactionsQuery = {}): Promise<PageResult<WalletTransaction>> {
    const o = resolveOwner(owner);
    let query = this.reader.selectFrom('wallet_transfers').selectAll().where('account_id', '=', o.accountId);
    if (q.kind) query = query.where('kind', '=', q.kind);
    if (q.from) query = query.where(sql<boolean>`created_at >= ${timestampParam(this.ctx.dialect, q.from)}`);
    if (q.to) query = query.where(sql<boolean>`created_at < ${timestampParam(this.ctx.dialect, q.to)}`);
    const page = await paginate(query, { limit: q.limit, cursor: q.cursor, orderBy: ['id'], key: (r) => [r.id] });
    return { data: page.data.map(toTransaction), nextCursor: page.nextCursor };
  }

  /** Checks that every cached balance equals the ledger's sums (see ledger-verify.ts). */
  verify(): Promise<VerifyReport> {
    return verifyLedger(typedDb<LedgerTables>(this.ctx));
  }

  /** Releases holds and expires grants whose time has passed, for every wallet (the cron). */
  expireDue(): Promise<{ wallets: number }> {
    return expireDue(this.ctx, this.deps);
  }

  /**
   * A preHandler that charges credits for a request: `preHandler: [ctx.access.requireActor,
   * ctx.services.wallet.requireCredits(5)]`. The cost is `modules.wallet.routeCosts['METHOD
   * /path']` when configured, else `cost`. See require-credits.ts for the hold-then-capture rule.
   */
  requireCredits(cost?: number, opts: RequireCreditsOptions = {}): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
    return requireCreditsHandler(this, this.ctx, cost, opts);
  }
}

/** The 201 answer of a spend (route and stored Idempotency-Key answer alike). */
export function spendAnswer(r: SpendResult) {
  return { transferId: r.transferId, balance: r.balance, available: r.available };
}
