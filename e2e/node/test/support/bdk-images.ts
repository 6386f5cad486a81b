// BDK's images on a test Node: the three app images from apps/Dockerfile and the Envoy image (built with the Docker
// Engine, tools/toolchain/docker.sh), saved in one archive (their shared layers once) and imported into the Node's
// containerd; and a tiny book image (images/book.c) under the reference the book-controller gives a book's Pods.
import { appImage, baseImages, bdkApps, buildAppImage, dockerOk } from '@bdk/testing';
import path from 'node:path';
import type { StaticImage } from './local-images.js';
import type { RealNode } from './real-node.js';

/** The book-controller's books.imageTemplate on the test Node: book images are imported, never pulled. */
export const bookImageTemplate = 'docker.io/bdk-local/book-{name}:{version}';

/** The tiny book (images/book.c) as the image of the book `name` at `version`. */
export function bookImage(name: string, version: string): StaticImage {
  return { source: 'book', reference: bookImageTemplate.replace('{name}', name).replace('{version}', version), user: '1000:1000' };
}

/** Image references as the charts name them (repository and tag), and as containerd stores them. */
export const chartImages = {
  app: (app: (typeof bdkApps)[number]) => {
    const [repository = '', tag = ''] = appImage(app).split(':');
    return { repository, tag };
  },
  envoy: () => {
    const [repository = '', tag = ''] = baseImages.envoy.split(':');
    return { repository, tag };
  },
};

/** Builds the app images (the Docker layer cache makes a rebuild quick), then imports them and Envoy's into the Node. */
export async function importBdkImages(node: RealNode, dir: string): Promise<void> {
  for (const app of bdkApps) await buildAppImage(app);
  const archive = path.join(dir, 'bdk-images.tar');
  await dockerOk(['save', '-o', archive, ...bdkApps.map(appImage), baseImages.envoy], { timeoutMs: 600_000 });
  await node.importImage(archive);
}

/** Builds the tiny book and imports it as the image of the book `name` at `version`. */
export async function importBookImage(node: RealNode, name: string, version: string): Promise<void> {
  await node.importStaticImage(bookImage(name, version));
}
