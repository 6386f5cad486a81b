// What commands print: a table by default (like kubectl get), or the server's JSON or YAML with -o.
import { InvalidArgumentError } from 'commander';
import { stringify } from 'yaml';

export const outputFormats = ['table', 'json', 'yaml'] as const;
export type OutputFormat = (typeof outputFormats)[number];

export function parseOutputFormat(value: string): OutputFormat {
  if ((outputFormats as readonly string[]).includes(value)) return value as OutputFormat;
  throw new InvalidArgumentError(`must be one of ${outputFormats.join(', ')}`);
}

export interface Column<T> {
  header: string;
  value: (row: T) => unknown;
}

/** Left-aligned columns three spaces apart, upper-case headers; an empty cell is shown as "-". */
export function renderTable<T>(columns: readonly Column<T>[], rows: readonly T[]): string {
  const cells = [columns.map((column) => column.header.toUpperCase()), ...rows.map((row) => columns.map((column) => cellText(column.value(row))))];
  const widths = columns.map((_, index) => Math.max(...cells.map((line) => line[index]?.length ?? 0)));
  return cells.map((line) => line.map((cell, index) => (index === line.length - 1 ? cell : cell.padEnd(widths[index] ?? 0))).join('   ').trimEnd()).join('\n') + '\n';
}

function cellText(value: unknown): string {
  if (value === undefined || value === null || value === '') return '-';
  if (Array.isArray(value)) return value.length === 0 ? '-' : value.map(String).join(',');
  return String(value).replace(/\s+/g, ' ');
}

/** `data` as JSON or YAML, or `table()` for the default format. */
export function formatOutput(format: OutputFormat, data: unknown, table: () => string): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(data, null, 2)}\n`;
    case 'yaml':
      return stringify(data);
    case 'table':
      return table();
  }
}
