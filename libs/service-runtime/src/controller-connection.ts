// How BDK's public services reach the book controller's internal BookControllerService: its gRPC URL and the
// projected ServiceAccount token (audience bdk-book-controller) sent on every call, which the controller reviews
// (TokenReview) before it answers. The library-service and the webhook-router read and use them the same way.
import { createClient, type Client } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { BookControllerService } from '@bdk/proto';
import { bearerTokenInterceptor } from './bearer-token.js';
import { ConfigError, envString } from './config.js';
import { clientTracingInterceptor } from './rpc-tracing.js';

export interface ControllerConnection {
  /** gRPC base URL of the book controller. */
  controllerUrl: string;
  /** The projected ServiceAccount token file this service presents to the controller. */
  controllerTokenFile: string;
}

export function readControllerConnection(env: NodeJS.ProcessEnv): ControllerConnection {
  const controllerUrl = envString(env, 'BDK_CONTROLLER_URL', 'http://book-controller:9090');
  if (!URL.canParse(controllerUrl) || !/^https?:$/.test(new URL(controllerUrl).protocol)) {
    throw new ConfigError(`BDK_CONTROLLER_URL must be an http:// or https:// URL, got "${controllerUrl}"`);
  }
  const controllerTokenFile = envString(env, 'BDK_CONTROLLER_TOKEN_FILE', '');
  if (controllerTokenFile === '') {
    throw new ConfigError(
      'BDK_CONTROLLER_TOKEN_FILE is not set: the book controller accepts only calls that carry a ServiceAccount token ' +
        '(a projected token with audience bdk-book-controller, e.g. /var/run/secrets/bdk/controller-token/token)',
    );
  }
  return { controllerUrl, controllerTokenFile };
}

export type ControllerClient = Client<typeof BookControllerService>;

/**
 * `token` is asked on every call, so a token the kubelet rotated is sent as soon as it is on disk. Each call is a
 * client span whose traceparent and the request id being served go with it.
 */
export function createControllerClient(options: { baseUrl: string; token: () => Promise<string> }): ControllerClient {
  return createClient(
    BookControllerService,
    createGrpcTransport({ baseUrl: options.baseUrl, interceptors: [clientTracingInterceptor(), bearerTokenInterceptor(options.token)] }),
  );
}
