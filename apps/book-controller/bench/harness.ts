// What the benchmark uses of the test harness. It drives real components (a cluster, the built app) as the
// integration tests do, so the harness is its tool; the workspace's lint rules allow @bdk/testing only in files
// they know as tests, which the bench folder is not among.
// eslint-disable-next-line @nx/enforce-module-boundaries
export { kubeGet, rolloutState, startApp, startKubeEnv, Teardown, type KubeEnv, type RunningApp } from '@bdk/testing';
