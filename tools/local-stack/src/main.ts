// `npm start`: BDK on this machine. A Kubernetes API (etcd + kube-apiserver on loopback, BDK's CRDs applied)
// or the cluster $KUBECONFIG names, and the three apps on fixed loopback ports. Ctrl-C stops everything.
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { loadKubeConfig } from '@bdk/k8s';
import { installCrds, startApp, startKubeEnv, workspaceRoot, type KubeEnv, type RunningApp } from '@bdk/testing';

const stateDir = process.env['BDK_LOCAL_STACK_DIR'] ?? path.join(workspaceRoot, '.local-stack');
const basePort = Number(process.env['BDK_GRPC_BASE_PORT'] ?? 9091);
const apps = ['library-service', 'book-controller', 'webhook-router'] as const;

const started: { apps: RunningApp[]; kube?: KubeEnv } = { apps: [] };
let stopping = false;

async function stop(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    console.log('\nstopping the local stack ...');
    await Promise.all(started.apps.map((app) => app.stop()));
    await started.kube?.stop();
    await rm(path.join(stateDir, 'kube'), { recursive: true, force: true });
  }
  process.exit(code);
}
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

try {
  let kubeconfig = process.env['KUBECONFIG'];
  if (kubeconfig) {
    const kubeConfig = loadKubeConfig();
    console.log(`using the cluster in KUBECONFIG (${kubeConfig.getCurrentCluster()?.server}); applying BDK's CRDs`);
    await installCrds(kubeConfig);
  } else {
    console.log('starting etcd and kube-apiserver with BDK CRDs ...');
    const directory = path.join(stateDir, 'kube');
    await rm(directory, { recursive: true, force: true });
    await mkdir(directory, { recursive: true });
    started.kube = await startKubeEnv({ directory });
    kubeconfig = started.kube.kubeconfigPath;
  }

  for (const [index, app] of apps.entries()) {
    const ports = { grpc: basePort + index, admin: basePort + 100 + index };
    const running = await startApp(app, { KUBECONFIG: kubeconfig, BDK_NAMESPACE: 'bdk' }, ports);
    started.apps.push(running);
    // Keep the stack honest: if an app dies, say so and stop the rest.
    void running.process.exited.then((exitCode) => {
      if (stopping) return;
      console.error(`${app} exited (code ${exitCode}):\n${running.process.output()}`);
      void stop(1);
    });
  }

  console.log('\nBDK local stack is up:');
  console.log(`  Kubernetes API   ${started.kube?.server ?? 'from KUBECONFIG'}   export KUBECONFIG=${kubeconfig}`);
  for (const [index, app] of apps.entries()) {
    const running = started.apps[index];
    console.log(`  ${app.padEnd(16)} gRPC 127.0.0.1:${running?.grpcPort}   metrics http://127.0.0.1:${running?.adminPort}/metrics`);
  }
  console.log('\nCtrl-C stops everything.');
} catch (error) {
  console.error('the local stack could not start:', error instanceof Error ? error.message : error);
  await stop(1);
}
