// The baseline side: the bare Envoy of baseline-envoy.yaml in front of the minimal Node server.
import { startEnvoy } from '@bdk/testing';
import { startHelper } from './helper-process.js';

export interface BaselineSide {
  /** Where webhooks are posted: the same path shape as BDK's instance route. */
  url: string;
  /** Its processes, by name. */
  processIds: Record<string, number>;
  stop(): Promise<void>;
}

export async function startBaseline(): Promise<BaselineSide> {
  const server = await startHelper('baseline-server');
  try {
    const envoy = await startEnvoy({ config: 'e2e/bench/baseline-envoy.yaml', upstreams: { node_server: server.port } });
    return {
      url: `${envoy.url}/api/v1/webhooks/zendesk/instances/00000000-0000-4000-8000-000000000000`,
      processIds: { 'baseline envoy': envoy.process.pid, 'baseline node server': server.process.pid },
      async stop() {
        await envoy.stop();
        await server.stop();
      },
    };
  } catch (error) {
    await server.stop();
    throw error;
  }
}
