// BDK's images as the tests build them: the three apps from apps/Dockerfile on the local Node base image, and the
// local Envoy image, named as tools/toolchain/docker.sh names them (which builds the base images).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { dockerOk } from './docker-cli.js';
import { toolchainVersions, workspaceRoot } from './workspace.js';

export const bdkApps = ['library-service', 'book-controller', 'webhook-router'] as const;
export type BdkApp = (typeof bdkApps)[number];

const nodeVersion = (JSON.parse(readFileSync(path.join(workspaceRoot, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }).devDependencies['node'];

export const baseImages = {
  node: `bdk-local/node:${nodeVersion}-slim`,
  envoy: `bdk-local/envoy:${toolchainVersions()['ENVOY_VERSION']}`,
};

/** The tag the tests give an app's image. */
export function appImage(app: BdkApp): string {
  return `bdk-test/${app}:latest`;
}

/**
 * Builds an app's image with the legacy builder (BuildKit would try to pull its frontend image) on the host
 * network (npm ci reaches the registry). The three apps share every layer up to the Nx build, so building them one
 * after another builds those once.
 */
export async function buildAppImage(app: BdkApp): Promise<void> {
  await dockerOk(
    [
      'build', '--network', 'host', '-q', '-f', path.join(workspaceRoot, 'apps', 'Dockerfile'),
      '--build-arg', `APP=${app}`, '--build-arg', `NODE_IMAGE=${baseImages.node}`, '-t', appImage(app), workspaceRoot,
    ],
    { env: { ...process.env, DOCKER_BUILDKIT: '0' }, timeoutMs: 1_500_000 },
  ).catch((error: unknown) => {
    throw new Error(`building ${app} from apps/Dockerfile failed: ${error instanceof Error ? error.message : String(error)}`);
  });
}
