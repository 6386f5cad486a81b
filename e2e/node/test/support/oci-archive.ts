// A one-layer OCI image archive made from files on this machine, for `ctr images import`: no registry is reachable
// and no Docker Engine is needed for an image that is a few static files (the pause image).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface OciImageSpec {
  /** The full reference containerd stores it under, e.g. docker.io/bdk-local/pause:3.10. */
  reference: string;
  /** Files of the root filesystem: path in the image (relative, no leading slash) → file on this machine. */
  files: Record<string, string>;
  entrypoint: string[];
  /** uid:gid. */
  user?: string;
}

function digestOf(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** Writes `spec` as an OCI image layout archive (a tar) at `archive`. */
export async function writeOciArchive(spec: OciImageSpec, archive: string): Promise<void> {
  const work = await mkdtemp(`${archive}.work-`);
  try {
    const rootfs = path.join(work, 'rootfs');
    for (const [target, source] of Object.entries(spec.files)) {
      await mkdir(path.dirname(path.join(rootfs, target)), { recursive: true });
      await copyFile(source, path.join(rootfs, target));
    }
    const layerFile = path.join(work, 'layer.tar');
    // Owned by root whoever builds it, and the same bytes for the same files (fixed mtime, sorted names).
    await run('tar', ['--numeric-owner', '--owner=0', '--group=0', '--mtime=@0', '--sort=name', '-C', rootfs, '-cf', layerFile, ...Object.keys(spec.files)]);
    const layer = await readFile(layerFile);

    const config = Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        config: { Entrypoint: spec.entrypoint, ...(spec.user ? { User: spec.user } : {}) },
        rootfs: { type: 'layers', diff_ids: [digestOf(layer)] },
      }),
    );
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: digestOf(config), size: config.length },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: digestOf(layer), size: layer.length }],
      }),
    );
    const layout = path.join(work, 'layout');
    const blobs = path.join(layout, 'blobs', 'sha256');
    await mkdir(blobs, { recursive: true });
    for (const blob of [layer, config, manifest]) await writeFile(path.join(blobs, digestOf(blob).slice('sha256:'.length)), blob);
    await writeFile(path.join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    await writeFile(
      path.join(layout, 'index.json'),
      JSON.stringify({
        schemaVersion: 2,
        manifests: [
          {
            mediaType: 'application/vnd.oci.image.manifest.v1+json',
            digest: digestOf(manifest),
            size: manifest.length,
            platform: { architecture: 'amd64', os: 'linux' },
            // ctr import names the image after this annotation.
            annotations: { 'io.containerd.image.name': spec.reference, 'org.opencontainers.image.ref.name': spec.reference.split(':').pop() ?? '' },
          },
        ],
      }),
    );
    await run('tar', ['--numeric-owner', '--owner=0', '--group=0', '-C', layout, '-cf', archive, 'oci-layout', 'index.json', 'blobs']);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
