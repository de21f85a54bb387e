/**
 * BullMQ refuses custom job ids that look like integers or contain ':'. Our contract accepts any
 * jobId, so ids are escaped on the way in and unescaped on the way out: callers always see the
 * id they chose (or the UUID we generated), on BullMQ exactly as on SQL.
 *   '%' -> '%25', ':' -> '%3A', and an all-digits id gets a '%N' prefix (never produced by escaping).
 */
export function toBullId(id: string): string {
  const escaped = id.replace(/%/g, '%25').replace(/:/g, '%3A');
  return /^-?\d+$/.test(escaped) || `${parseInt(escaped, 10)}` === escaped ? `%N${escaped}` : escaped;
}

export function fromBullId(bullId: string): string {
  const body = bullId.startsWith('%N') ? bullId.slice(2) : bullId;
  return body.replace(/%3A/g, ':').replace(/%25/g, '%');
}
