/**
 * Polls `probe` until it returns something truthy, for consequences that happen after the call
 * under test returns (a job, a delivery on another replica, an email). Fails with `what` named
 * once `timeoutMs` has passed; a bound, never a sleep.
 *
 * @example
 *   const row = await waitFor(() => db.selectFrom('jobs').selectAll().executeTakeFirst(), 'the job row');
 */
export async function waitFor<T>(probe: () => Promise<T> | T, what: string, timeoutMs = 30_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
