import { describe, expect, it } from '@jest/globals';
import { ArchiveFormatError, parseArchive, serializeArchive, type BackupArchive } from './archive-format.js';

const archive: BackupArchive = {
  format: 'bdk-backup/v1',
  createdAt: '2026-11-27T00:00:00.000Z',
  namespace: 'bdk',
  includesCredentials: false,
  namespaces: [{ name: 'customer-acme', labels: { 'bdk.voyager.io/organization-id': 'org-acme' } }],
  books: [{ apiVersion: 'bdk.voyager.io/v1', kind: 'BookDefinition', metadata: { name: 'b', labels: {}, annotations: {} }, spec: {} }],
  instances: [],
  secrets: [],
};

describe('parseArchive', () => {
  it('reads what serializeArchive wrote', () => {
    expect(parseArchive(serializeArchive(archive))).toEqual(archive);
  });

  it('refuses another format version, naming both', () => {
    expect(() => parseArchive(JSON.stringify({ ...archive, format: 'bdk-backup/v2' }))).toThrow(
      new ArchiveFormatError('unsupported backup format "bdk-backup/v2": this bdk reads bdk-backup/v1'),
    );
  });

  it('refuses JSON that is not an archive', () => {
    expect(() => parseArchive('not json')).toThrow(ArchiveFormatError);
    expect(() => parseArchive('[]')).toThrow(/expected a JSON object/);
    expect(() => parseArchive(JSON.stringify({ ...archive, books: {} }))).toThrow(/"books" is not a list/);
    expect(() => parseArchive(JSON.stringify({ ...archive, deliveries: 3 }))).toThrow(/"deliveries" is not a list/);
    expect(() => parseArchive(JSON.stringify({ ...archive, instances: [{ metadata: {} }] }))).toThrow(/no metadata.name/);
  });
});
