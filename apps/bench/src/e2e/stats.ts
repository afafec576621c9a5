/**
 * @returns the median of the values (the mean of the middle two for an even count), or undefined
 *   for none.
 */
export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * @returns `numerator / denominator`, or undefined when either is missing or the denominator is 0.
 */
export function ratio(numerator: number | undefined, denominator: number | undefined): number | undefined {
  if (numerator === undefined || denominator === undefined || denominator === 0) return undefined;
  return numerator / denominator;
}

/**
 * Orders the clients of repetition `rep` (0-based): the list rotated by `rep`, so that each client
 * runs first, second, ... equally often. A rotation keeps the cyclic order: within a round each client
 * follows the same neighbour every time (see `roundOrder` for a heavy neighbour).
 *
 * @returns a new array.
 */
export function rotation<T>(items: readonly T[], rep: number): T[] {
  if (items.length === 0) return [];
  const shift = ((rep % items.length) + items.length) % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

/**
 * Orders one throughput round: the clients not in `last` rotated by `rep`, then those in `last` (the
 * slow ones, which read for half a minute or more, often a prefix for a minute). Whoever runs right
 * after the slow ones meets what they leave behind (on the bench machines, part of the topic paged out
 * to disk: see suite.ts's `settleRead`); with the slow ones last, that is the next round's first
 * client, a different one each round, where a plain rotation put the same client after them in every
 * round.
 *
 * @returns a new array.
 */
export function roundOrder<T extends { readonly id: string }>(
  items: readonly T[],
  rep: number,
  last: ReadonlySet<string>,
): T[] {
  return [
    ...rotation(
      items.filter((i) => !last.has(i.id)),
      rep,
    ),
    ...items.filter((i) => last.has(i.id)),
  ];
}
