// The documentation is read in the repository: every relative link in README.md and docs/ must reach a file that
// is here (and a heading that is there, for an anchor), every `path.md` it names in code must exist, and no tracked
// file may name a place outside the checkout, which a reader of the repository alone could never open.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { workspaceRoot } from '@bdk/testing';

/** Markdown lines outside fenced code blocks, with their 1-based line numbers. */
function proseLines(text: string): { line: number; text: string }[] {
  const lines: { line: number; text: string }[] = [];
  let fence: string | undefined;
  text.split('\n').forEach((content, index) => {
    const marker = /^\s*(```+|~~~+)/.exec(content)?.[1];
    if (marker) {
      if (fence === undefined) fence = marker[0];
      else if (marker[0] === fence) fence = undefined;
      return;
    }
    if (fence === undefined) lines.push({ line: index + 1, text: content });
  });
  return lines;
}

/** The anchor GitHub gives a heading: lower case, punctuation dropped, each space a hyphen. */
function headingSlug(heading: string): string {
  return heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** Every anchor of a Markdown file's headings, repeated ones numbered as GitHub numbers them (-1, -2, ...). */
function headingAnchors(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const { text: line } of proseLines(text)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const slug = headingSlug(heading);
    const count = seen.get(slug) ?? 0;
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
    seen.set(slug, count + 1);
  }
  return anchors;
}

interface Link {
  line: number;
  target: string;
}

/** Inline links and reference definitions outside code; inline code spans are not links. */
function markdownLinks(text: string): Link[] {
  const links: Link[] = [];
  for (const { line, text: content } of proseLines(text)) {
    const prose = content.replace(/`[^`]*`/g, '');
    for (const match of prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) links.push({ line, target: match[1] ?? '' });
    const definition = /^\s{0,3}\[[^\]]+\]:\s+<?(\S+?)>?(?:\s|$)/.exec(prose)?.[1];
    if (definition) links.push({ line, target: definition });
  }
  return links;
}

/** Repository paths of Markdown files named in inline code (`apps/webhook-router/README.md`). */
function namedMarkdownFiles(text: string): Link[] {
  const named: Link[] = [];
  for (const { line, text: content } of proseLines(text)) {
    for (const match of content.matchAll(/`([\w.-]+(?:\/[\w.-]+)*\.md)(?:#[\w-]+)?`/g)) named.push({ line, target: match[1] ?? '' });
  }
  return named;
}

/** Why a relative link from `file` (a repository path) does not resolve; undefined when it does. */
function brokenLink(file: string, target: string, root: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return undefined; // a URL: not a file of the repository
  const [rawPath = '', anchor] = target.split('#', 2);
  const filePath = decodeURIComponent(rawPath);
  const resolved = filePath === '' ? path.join(root, file) : path.resolve(path.dirname(path.join(root, file)), filePath);
  const relative = path.relative(root, resolved);
  if (relative.startsWith('..') || path.isAbsolute(relative)) return `${target} points outside the repository`;
  if (!existsSync(resolved)) return `${target}: ${relative} does not exist`;
  if (anchor === undefined || anchor === '') return undefined;
  if (statSync(resolved).isDirectory() || !resolved.endsWith('.md')) return `${target}: an anchor into ${relative}, which is not a Markdown file`;
  if (!headingAnchors(readFileSync(resolved, 'utf8')).has(anchor)) return `${target}: ${relative} has no heading #${anchor}`;
  return undefined;
}

/** README.md and every Markdown file under docs/ (the API document and others included), as repository paths. */
function documentationFiles(root: string): string[] {
  const found = ['README.md'];
  const walk = (directory: string) => {
    for (const entry of readdirSync(path.join(root, directory), { withFileTypes: true })) {
      const relative = path.posix.join(directory, entry.name);
      if (entry.isDirectory()) walk(relative);
      else if (entry.name.endsWith('.md')) found.push(relative);
    }
  };
  walk('docs');
  return found;
}

/** What a tracked file may not contain: a path into a sibling of the checkout. */
const outsidePointers = [
  // Split, so that this file does not name it.
  ['..', 'shared'].join('/'),
  ['ARCHITECTURE', 'md'].join('.'),
];

/** A repository file's folder and every folder enclosing it, up to the root (''). */
function enclosingFolders(file: string): string[] {
  const folders: string[] = [];
  for (let folder = path.posix.dirname(file); ; folder = path.posix.dirname(folder)) {
    folders.push(folder === '.' ? '' : folder);
    if (folder === '.' || folder === '/') return folders;
  }
}

function trackedTextFiles(root: string): string[] {
  const listed = execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return listed.split('\0').filter((file) => file !== '' && existsSync(path.join(root, file)) && statSync(path.join(root, file)).isFile());
}

describe('the link checker', () => {
  it('finds links and anchors as GitHub renders them, ignoring code', () => {
    const text = [
      '# BDK: the Book Development Kit',
      '## Try it: the spec’s `three` requests',
      '## Try it: the spec’s `three` requests',
      'See [the API](docs/api.md#errors) and [up](../x.md "title").',
      '`[not a link](nowhere.md)` but `apps/webhook-router/README.md` is named.',
      '```',
      '[inside a fence](nowhere.md)',
      '## not a heading',
      '```',
      '[ref]: docs/README.md',
    ].join('\n');
    expect([...headingAnchors(text)]).toEqual(['bdk-the-book-development-kit', 'try-it-the-specs-three-requests', 'try-it-the-specs-three-requests-1']);
    expect(markdownLinks(text)).toEqual([
      { line: 4, target: 'docs/api.md#errors' },
      { line: 4, target: '../x.md' },
      { line: 10, target: 'docs/README.md' },
    ]);
    expect(namedMarkdownFiles(text)).toEqual([{ line: 5, target: 'apps/webhook-router/README.md' }]);
  });

  it('refuses a missing file, a missing heading and a path outside the repository', () => {
    expect(brokenLink('README.md', 'envoy/README.md#webhook-rate-limit', workspaceRoot)).toBeUndefined();
    expect(brokenLink('README.md', '#tenancy-and-security', workspaceRoot)).toBeUndefined();
    expect(brokenLink('README.md', 'https://example.com/x.md', workspaceRoot)).toBeUndefined();
    expect(brokenLink('README.md', 'envoy/NOPE.md', workspaceRoot)).toMatch(/does not exist/);
    expect(brokenLink('README.md', 'envoy/README.md#no-such-heading', workspaceRoot)).toMatch(/has no heading #no-such-heading/);
    expect(brokenLink('docs/README.md', '../../outside.md', workspaceRoot)).toMatch(/points outside the repository/);
  });
});

describe('the documentation', () => {
  const files = documentationFiles(workspaceRoot);

  it('has an index and the README links to it', () => {
    expect(files).toEqual(expect.arrayContaining(['README.md', 'docs/README.md']));
    expect(markdownLinks(readFileSync(path.join(workspaceRoot, 'README.md'), 'utf8')).map((link) => link.target)).toContain('docs/README.md');
  });

  it('links only to files and headings that exist in the repository', () => {
    const broken: string[] = [];
    for (const file of files) {
      for (const { line, target } of markdownLinks(readFileSync(path.join(workspaceRoot, file), 'utf8'))) {
        const reason = brokenLink(file, target, workspaceRoot);
        if (reason) broken.push(`${file}:${line}: ${reason}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('names only Markdown files that exist (paths from the repository root)', () => {
    const missing: string[] = [];
    for (const file of files) {
      for (const { line, target } of namedMarkdownFiles(readFileSync(path.join(workspaceRoot, file), 'utf8'))) {
        const bare = !target.includes('/');
        // A bare name (`README.md`) is the file beside the one that names it.
        const resolved = bare ? path.join(workspaceRoot, path.dirname(file), target) : path.join(workspaceRoot, target);
        if (!existsSync(resolved)) missing.push(`${file}:${line}: ${target}`);
      }
    }
    expect(missing).toEqual([]);
  });
});

describe('the repository', () => {
  it('names no file outside the checkout', () => {
    const hits: string[] = [];
    for (const file of trackedTextFiles(workspaceRoot)) {
      const content = readFileSync(path.join(workspaceRoot, file));
      if (content.includes(0)) continue; // binary
      const text = content.toString('utf8');
      text.split('\n').forEach((line, index) => {
        for (const pointer of outsidePointers) if (line.includes(pointer)) hits.push(`${file}:${index + 1}: ${pointer}`);
      });
    }
    expect(hits).toEqual([]);
  });

  it('names only Markdown files that are in it (relative to the naming file\u2019s folder or one enclosing it)', () => {
    const self = path.relative(workspaceRoot, import.meta.filename);
    const missing: string[] = [];
    for (const file of trackedTextFiles(workspaceRoot)) {
      if (file === self) continue; // its examples name missing files on purpose
      const content = readFileSync(path.join(workspaceRoot, file));
      if (content.includes(0)) continue;
      content
        .toString('utf8')
        .split('\n')
        .forEach((line, index) => {
          // A `$` or `}` before it is a shell variable's value, not a name.
          for (const match of line.matchAll(/(?<![\w/.:$}-])((?:\.{1,2}\/)*[\w-][\w.-]*(?:\/[\w.-]+)*\.md)\b/g)) {
            const named = match[1] ?? '';
            if (!enclosingFolders(file).some((folder) => existsSync(path.join(workspaceRoot, folder, named)))) missing.push(`${file}:${index + 1}: ${named}`);
          }
        });
    }
    expect(missing).toEqual([]);
  });
});
