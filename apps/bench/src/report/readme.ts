const START = '<!-- bench:results:start -->';
const END = '<!-- bench:results:end -->';

/**
 * Puts a run's summary between the README's results markers, its headings moved two levels down and
 * its chart link pointed at `chartPath` (relative to the README).
 *
 * @returns the new README text, or undefined when the README has no pair of markers.
 */
export function replaceReadmeResults(readme: string, summary: string, chartPath: string): string | undefined {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) return undefined;
  const body = summary
    .split('\n')
    .map((line) => (line.startsWith('#') ? `##${line}` : line))
    .join('\n')
    .replace(/!\[([^\]]*)\]\([^)]*\)/, `![$1](${chartPath})`);
  return `${readme.slice(0, start + START.length)}\n${body.trimEnd()}\n${readme.slice(end)}`;
}
