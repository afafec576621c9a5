import type { Colors } from './io.js';

/** A column of a table: its heading and whether its cells line up on the right (numbers). */
export interface Column {
  readonly header: string;
  readonly align?: 'left' | 'right';
}

/**
 * Lays out rows under headings, columns two spaces apart, as Kafka's own tools print their tables.
 * Colors go on after padding, so escape codes never upset the widths.
 * @returns the table, one line per row after the heading line, each ending in a newline.
 */
export function renderTable(
  columns: readonly Column[],
  rows: readonly (readonly string[])[],
  colors: Colors,
): string {
  const widths = columns.map((c, i) => Math.max(c.header.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => {
        const last = i === cells.length - 1;
        if (columns[i]?.align === 'right') return cell.padStart(widths[i]!);
        return last ? cell : cell.padEnd(widths[i]!);
      })
      .join('  ');
  const header = colors.bold(line(columns.map((c) => c.header)));
  return [header, ...rows.map(line)].map((l) => `${l}\n`).join('');
}

/**
 * Lays out `name  value` pairs, the names padded to one width.
 * @returns the lines, each ending in a newline.
 */
export function renderFields(fields: ReadonlyArray<readonly [string, string]>, colors: Colors): string {
  const width = Math.max(...fields.map(([name]) => name.length));
  return fields.map(([name, value]) => `${colors.dim(name.padEnd(width))}  ${value}\n`).join('');
}

/** @returns an offset or count for a table cell: `-` when unknown. */
export function cell(value: number | null | undefined): string {
  return value === null || value === undefined ? '-' : String(value);
}
