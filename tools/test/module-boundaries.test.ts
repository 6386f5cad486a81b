// The layering is enforced, not just written down: ESLint (with the workspace config and Nx's project graph)
// reports an error for each forbidden import.
import { describe, expect, it } from '@jest/globals';
import { ESLint } from 'eslint';
import { workspaceRoot } from '@bdk/testing';

const eslint = new ESLint({ cwd: workspaceRoot });

async function boundaryErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${workspaceRoot}/${filePath}` });
  return (result?.messages ?? []).filter((m) => m.ruleId === '@nx/enforce-module-boundaries').map((m) => m.message);
}

describe('@nx/enforce-module-boundaries', () => {
  it('lets an app import a util lib and the proto lib', async () => {
    const code = "import { createLogger } from '@bdk/service-runtime';\nimport { Book } from '@bdk/proto';\nexport { createLogger, type Book };\n";
    expect(await boundaryErrors('apps/library-service/src/example.ts', code)).toEqual([]);
  });

  it('forbids an app importing another app', async () => {
    const code = "export * from '../../book-controller/src/main.js';\n";
    expect(await boundaryErrors('apps/library-service/src/example.ts', code)).not.toEqual([]);
  });

  it('keeps the generated proto lib free of dependencies', async () => {
    const code = "export { loadKubeConfig } from '@bdk/k8s';\n";
    // Reported as a circular dependency or as a tag violation, depending on which the rule finds first.
    expect(await boundaryErrors('libs/proto/src/example.ts', code)).not.toEqual([]);
  });

  it('keeps the test harness out of production code but allows it in tests', async () => {
    const code = "export { startKubeEnv } from '@bdk/testing';\n";
    expect(await boundaryErrors('libs/k8s/src/example.ts', code)).toEqual([expect.stringContaining('type:util')]);
    expect(await boundaryErrors('libs/k8s/src/example.spec.ts', code)).toEqual([]);
  });

  it('forbids deep imports past a lib\u2019s public index', async () => {
    const code = "export { redact } from '../../../libs/service-runtime/src/logger.js';\n";
    expect(await boundaryErrors('apps/webhook-router/src/example.ts', code)).not.toEqual([]);
  });
});
