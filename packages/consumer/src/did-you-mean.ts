/**
 * "Did you mean" for option names: the known name nearest to a misspelt one, so that a ConfigError for
 * `groupID`, `group.id` or `sesionTimeoutMs` names the option the user meant.
 */

/** Compares names without case, dots, dashes or underscores: `group.id` and `groupId` are the same. */
function folded(name: string): string {
  return name.toLowerCase().replace(/[._-]/g, '');
}

/** @returns the edit distance (insertions, deletions, substitutions, adjacent swaps) between a and b. */
export function editDistance(a: string, b: string): number {
  // Rows of the optimal-string-alignment table; the names are short, so three rows are plenty.
  let before = new Array<number>(b.length + 1).fill(0);
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d = Math.min(d, before[j - 2]! + 1);
      current.push(d);
    }
    before = previous;
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * @returns the name of `known` nearest to `name` (ignoring case, dots, dashes and underscores), or null
 *   when none is within a third of the name's length (at least 2 edits): a wild guess helps nobody.
 */
export function nearestName(name: string, known: Iterable<string>): string | null {
  const wanted = folded(name);
  const limit = Math.max(2, Math.floor(wanted.length / 3));
  let best: string | null = null;
  let bestDistance = limit + 1;
  for (const candidate of known) {
    const distance = editDistance(wanted, folded(candidate));
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}
