// Reads the -f file of a create command: YAML or JSON (JSON is YAML), one or more documents ("---"), "-" for stdin.
import { readFile } from 'node:fs/promises';
import { parseAllDocuments } from 'yaml';
import { CliError } from './errors.js';

export interface ResourceDocument {
  /** The file and, in a file of several, the document's position: what error messages start with. */
  source: string;
  value: Record<string, unknown>;
}

export async function readResourceFile(file: string, readStdin: () => Promise<string | undefined>): Promise<ResourceDocument[]> {
  let text: string | undefined;
  if (file === '-') {
    text = await readStdin();
    if (text === undefined) throw new CliError('-f -: stdin is a terminal; pipe the file in');
  } else {
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw new CliError(`-f ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
    }
  }
  return parseResourceText(text, file === '-' ? 'stdin' : file);
}

export function parseResourceText(text: string, name: string): ResourceDocument[] {
  const documents = parseAllDocuments(text);
  const list = Array.isArray(documents) ? documents : [documents];
  const result: ResourceDocument[] = [];
  list.forEach((document, index) => {
    const source = list.length > 1 ? `${name} (document ${index + 1})` : name;
    const problem = document.errors[0];
    if (problem) throw new CliError(`${source}: not YAML or JSON: ${problem.message.split('\n')[0]}`);
    const value: unknown = document.toJS();
    if (value === null || value === undefined) return;
    if (typeof value !== 'object' || Array.isArray(value)) throw new CliError(`${source}: expected an object, got ${Array.isArray(value) ? 'a list' : typeof value}`);
    result.push({ source, value: value as Record<string, unknown> });
  });
  if (result.length === 0) throw new CliError(`${name}: holds no document`);
  return result;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A custom resource of this kind (apiVersion bdk.voyager.io/...), or undefined for a plain REST request body. */
export function customResourceSpec(document: ResourceDocument, kind: string): Record<string, unknown> | undefined {
  const { value, source } = document;
  if (value['kind'] === undefined && value['apiVersion'] === undefined) return undefined;
  if (value['kind'] !== kind) throw new CliError(`${source}: kind: expected ${kind}, got ${JSON.stringify(value['kind'] ?? null)}`);
  const apiVersion = value['apiVersion'];
  if (typeof apiVersion !== 'string' || !apiVersion.startsWith('bdk.voyager.io/'))
    throw new CliError(`${source}: apiVersion: expected bdk.voyager.io/v1, got ${JSON.stringify(apiVersion ?? null)}`);
  if (!isObject(value['spec'])) throw new CliError(`${source}: spec: required`);
  return value['spec'];
}
