import type { KubeConfig } from '@kubernetes/client-node';
import https from 'node:https';

export interface KubeResponse {
  status: number;
  body: string;
}

/**
 * A raw GET against the apiserver with the kubeconfig's credentials, for what the typed clients do not
 * cover: /readyz, discovery, server-side Table printing.
 */
export async function kubeGet(kubeConfig: KubeConfig, urlPath: string, accept = 'application/json'): Promise<KubeResponse> {
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster) throw new Error('kubeconfig has no current cluster');
  const options: https.RequestOptions = { headers: { accept }, timeout: 5_000 };
  await kubeConfig.applyToHTTPSOptions(options);
  return new Promise((resolve, reject) => {
    const request = https.get(new URL(urlPath, cluster.server), options, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error(`GET ${urlPath} timed out`)));
    request.on('error', reject);
  });
}
