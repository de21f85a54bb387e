import { randomUUID } from 'node:crypto';
import {
  isUniqueViolation,
  notFound,
  paginate,
  problem,
  toIso,
  typedDb,
  typedTrx,
  unprocessable,
  type FieldError,
  type JobOptions,
  type ModuleContext,
  type PageResult,
  type Trx,
} from 'neptuno';
import type { BookingRow, BookingTables } from './schema.js';

export interface BookingConfig {
  quota: number;
  holdMinutes: number;
}

export interface Booking {
  id: string;
  slot: string;
  note: string;
  status: BookingRow['status'];
  createdAt: string;
}

const view = (r: BookingRow): Booking => ({ id: r.id, slot: r.slot, note: r.note, status: r.status, createdAt: toIso(r.created_at) });

/** Bookings: the SQL lives here; routes, the job, the cron and the event handler call it. */
export class BookingService {
  private readonly db;

  constructor(private readonly ctx: ModuleContext<BookingConfig>) {
    this.db = typedDb<BookingTables>(ctx);
  }

  /** On `user.registered`: idempotent, since events arrive at least once. */
  async grantQuota(userId: string): Promise<void> {
    await this.db
      .insertInto('booking_quotas')
      .values({ user_id: userId, remaining: this.ctx.config.quota })
      .onConflict((oc) => oc.column('user_id').doNothing())
      .execute();
  }

  async remaining(userId: string): Promise<number> {
    const row = await this.db.selectFrom('booking_quotas').select('remaining').where('user_id', '=', userId).executeTakeFirst();
    return row?.remaining ?? 0;
  }

  async book(userId: string, input: { slot: string; note?: string }): Promise<Booking> {
    const errors: FieldError[] = [];
    if (Date.parse(input.slot) <= Date.now()) errors.push({ pointer: '/body/slot', code: 'in_the_past', detail: 'the slot has already started' });
    if (errors.length) throw unprocessable('validation_failed', { errors });
    const row: BookingRow = {
      id: randomUUID(),
      user_id: userId,
      slot: new Date(input.slot).toISOString(),
      note: input.note ?? '',
      status: 'held',
      created_at: new Date().toISOString(),
    };
    const confirm: JobOptions = { jobId: `confirm:${row.id}` };
    try {
      await this.ctx.tx(async (trx) => {
        await this.takeQuota(trx, userId);
        await typedTrx<BookingTables>(trx).insertInto('bookings').values(row).execute();
        // Consequences commit with the booking, or not at all.
        trx.enqueue('booking.confirm', { id: row.id }, confirm);
        trx.emit('booking.created', { bookingId: row.id, userId });
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw problem(409, 'slot_taken', { params: { slot: row.slot } });
      throw err;
    }
    return view(row);
  }

  private async takeQuota(trx: Trx, userId: string): Promise<void> {
    const res = await typedTrx<BookingTables>(trx)
      .updateTable('booking_quotas')
      .set((eb) => ({ remaining: eb('remaining', '-', 1) }))
      .where('user_id', '=', userId)
      .where('remaining', '>', 0)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0) throw unprocessable('quota_exhausted');
  }

  async list(userId: string, page: { limit?: number; cursor?: string }): Promise<PageResult<Booking>> {
    const result = await paginate(this.db.selectFrom('bookings').selectAll().where('user_id', '=', userId), {
      ...page,
      orderBy: ['created_at', 'id'],
      key: (r) => [toIso(r.created_at), r.id],
    });
    return { data: result.data.map(view), nextCursor: result.nextCursor };
  }

  async all(page: { limit?: number; cursor?: string }): Promise<PageResult<Booking>> {
    const result = await paginate(this.db.selectFrom('bookings').selectAll(), { ...page, orderBy: ['created_at', 'id'], key: (r) => [toIso(r.created_at), r.id] });
    return { data: result.data.map(view), nextCursor: result.nextCursor };
  }

  async get(userId: string, id: string): Promise<Booking> {
    const row = await this.db.selectFrom('bookings').selectAll().where('id', '=', id).where('user_id', '=', userId).executeTakeFirst();
    if (!row) throw notFound('booking_not_found');
    return view(row);
  }

  /** Job `booking.confirm`: a hold becomes a booking. Runs at least once: a second run changes nothing. */
  async confirm(id: string): Promise<void> {
    await this.db.updateTable('bookings').set({ status: 'confirmed' }).where('id', '=', id).where('status', '=', 'held').execute();
  }

  /** Cron `booking.expire-holds`: holds never confirmed within holdMinutes free their slot. */
  async expireHolds(): Promise<number> {
    const cutoff = new Date(Date.now() - this.ctx.config.holdMinutes * 60_000).toISOString();
    const res = await this.db.updateTable('bookings').set({ status: 'expired' }).where('status', '=', 'held').where('created_at', '<', cutoff).executeTakeFirst();
    return Number(res.numUpdatedRows);
  }
}
