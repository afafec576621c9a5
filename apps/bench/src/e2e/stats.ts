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
 * runs first, second, ... equally often and no client always follows the same neighbour's load.
 *
 * @returns a new array.
 */
export function rotation<T>(items: readonly T[], rep: number): T[] {
  if (items.length === 0) return [];
  const shift = ((rep % items.length) + items.length) % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}
