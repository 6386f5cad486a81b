// @bdk/k8s: Kubernetes helpers and BDK's custom resource types (derived from the CRDs in charts/bdk/crds).
export * from './gen/crds.js';
export { loadKubeConfig } from './kube-config.js';
