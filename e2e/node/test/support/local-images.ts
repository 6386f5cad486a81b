// The images the test Node runs, built here from C sources in e2e/node/images: each one static binary in an
// otherwise empty image, written as an OCI archive for containerd (no registry, no Docker Engine).
import { workspaceRoot } from '@bdk/testing';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { writeOciArchive } from './oci-archive.js';

const run = promisify(execFile);

export interface StaticImage {
  /** The C source in e2e/node/images, without .c. */
  source: string;
  /** The reference containerd stores it under. */
  reference: string;
  /** uid:gid it runs as unless a Pod says otherwise. */
  user: string;
}

/** The Pod sandbox image containerd starts every Pod with (its sandbox_image); 65535 as in the official one. */
export const pauseImage: StaticImage = { source: 'pause', reference: 'docker.io/bdk-local/pause:3.10', user: '65535:65535' };
/** The test Pods' HTTP server (images/probe-server.c). */
export const probeServerImage: StaticImage = { source: 'probe-server', reference: 'docker.io/bdk-local/probe-server:1', user: '65534:65534' };

/** Compiles the image's source with `gcc -static` and writes its archive into `dir`; resolves with the archive's path. */
export async function buildStaticImage(image: StaticImage, dir: string): Promise<string> {
  const binary = path.join(dir, image.source);
  await run('gcc', ['-Os', '-s', '-static', '-Wall', '-o', binary, path.join(workspaceRoot, 'e2e', 'node', 'images', `${image.source}.c`)]).catch((error: unknown) => {
    throw new Error(`building ${image.source} (gcc -static: Debian's gcc and libc6-dev) failed: ${(error as { stderr?: string }).stderr ?? String(error)}`);
  });
  const archive = path.join(dir, `${image.source}.tar`);
  await writeOciArchive({ reference: image.reference, files: { [image.source]: binary }, entrypoint: [`/${image.source}`], user: image.user }, archive);
  return archive;
}
