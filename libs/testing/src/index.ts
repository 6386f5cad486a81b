// @bdk/testing: the test harness. Real components on loopback, always torn down.
export { renderEnvoyConfig, startEnvoy, type EnvoyOptions, type RenderedEnvoyConfig, type RunningEnvoy } from './envoy.js';
export { crdDirectory, installCrds, kubernetesServiceIp, loadCrds, serviceClusterIpRange, startKubeEnv, type KubeEnv, type KubeEnvOptions } from './kube-env.js';
export { startApp, type AppPorts, type RunningApp } from './app-process.js';
export type { ClusterPki } from './certificates.js';
export { startControllerManager, startScheduler, type ClusterAccess, type RunningComponent } from './control-plane.js';
export {
  specBookPrompts,
  startBookEndpoint,
  startModelManager,
  type BookEndpoint,
  type ModelManager,
  type ReceivedRequest,
} from './external-systems.js';
export { kubeGet, type KubeResponse } from './kube-request.js';
export {
  createFakeNodes,
  fakeNodeAnnotation,
  kwokPodFailureLabel,
  kwokPodFailures,
  kwokStageDirectory,
  setNodesSchedulable,
  startKwok,
  type FakeNodeShape,
  type KwokPodFailure,
} from './kwok.js';
export { startLocalStack, type LocalStack, type LocalStackOptions } from './local-stack-process.js';
export { startProcess, untilReady, type ManagedProcess } from './managed-process.js';
export { startNatsServer, type NatsServerOptions, type RunningNatsServer } from './nats-server.js';
export { freePort } from './ports.js';
export { rolloutState, waitForRollout, type RolloutState } from './rollout.js';
export { controllerAudience, platformServiceAccounts, setUpPlatformIdentity, type PlatformIdentity, type PlatformIdentityOptions } from './platform-identity.js';
export { seedCreateBookRequest, seedCreateInstanceRequest, seedWebhookBody, seedWebhookHeaders } from './seed-examples.js';
export { waitUntil } from './wait.js';
export { descriptorSetPath, toolchainVersions, toolPath, workspaceRoot, type Tool } from './workspace.js';
export { Teardown } from './teardown.js';
export { docker, dockerOk, newRunId, removeRunContainers, runLabel, type DockerResult } from './docker-cli.js';
export { appImage, baseImages, bdkApps, buildAppImage, type BdkApp } from './app-images.js';
export { sendSeedWebhookUntilProcessed } from './seed-webhook.js';
