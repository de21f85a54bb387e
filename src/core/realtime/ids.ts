/** Message ids are `<generation>-<n>` (drivers/pubsub/contract.ts): compared as that pair of numbers. */
export function compareIds(a: string, b: string): number {
  const [ga = 0, na = 0] = a.split('-').map(Number);
  const [gb = 0, nb = 0] = b.split('-').map(Number);
  return ga !== gb ? ga - gb : na - nb;
}
