import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { formatOutput, parseOutputFormat, renderTable, type Column } from './output.js';

type Row = { id: string; name?: string; tags?: string[] };
const columns: Column<Row>[] = [
  { header: 'book id', value: (row) => row.id },
  { header: 'name', value: (row) => row.name },
  { header: 'tags', value: (row) => row.tags },
];

describe('renderTable', () => {
  it('aligns columns three spaces apart under upper-case headers, "-" for an empty cell', () => {
    const text = renderTable(columns, [
      { id: 'b-1', name: 'customer-support', tags: ['a', 'b'] },
      { id: 'book-22', tags: [] },
    ]);
    expect(text).toBe(['BOOK ID   NAME               TAGS', 'b-1       customer-support   a,b', 'book-22   -                  -', ''].join('\n'));
  });

  it('prints the header alone for no rows and keeps a row on one line', () => {
    expect(renderTable(columns, [])).toBe('BOOK ID   NAME   TAGS\n');
    expect(renderTable(columns, [{ id: 'x', name: 'two\nlines' }])).toContain('two lines');
  });
});

describe('formatOutput', () => {
  const data = { book_id: 'b-1', webhooks: [{ source: 'zendesk' }] };

  it('prints the data itself for json and yaml, the table otherwise', () => {
    expect(JSON.parse(formatOutput('json', data, () => 'table'))).toEqual(data);
    expect(parse(formatOutput('yaml', data, () => 'table'))).toEqual(data);
    expect(formatOutput('table', data, () => 'the table')).toBe('the table');
  });
});

describe('parseOutputFormat', () => {
  it('accepts table, json and yaml and names the choices otherwise', () => {
    expect(['table', 'json', 'yaml'].map(parseOutputFormat)).toEqual(['table', 'json', 'yaml']);
    expect(() => parseOutputFormat('xml')).toThrow('must be one of table, json, yaml');
  });
});
