import { describe, expect, it } from '@jest/globals';
import type { KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import { listInPages, oneAtATime, pageSize } from './paged-list.js';

type Item = KubernetesObject & { spec?: { big?: string } };

/** An apiserver list of `count` items served in pages, recording each request. */
function pagedApi(count: number, token: '_continue' | 'continue') {
  const requests: { limit: number; _continue?: string }[] = [];
  const all: Item[] = Array.from({ length: count }, (_, i) => ({
    metadata: { name: `o${i}`, resourceVersion: String(i), managedFields: [{ manager: 'x' }] },
    spec: { big: 'x'.repeat(10) },
  }));
  const page = async (options: { limit: number; _continue?: string }): Promise<KubernetesListObject<Item>> => {
    requests.push(options);
    const start = Number(options._continue ?? 0);
    const end = Math.min(start + options.limit, count);
    return {
      apiVersion: 'v1',
      kind: 'List',
      // The snapshot of the first page; a later page reports a newer one, which must not be watched from.
      metadata: { resourceVersion: start === 0 ? '1000' : '2000', ...(end < count ? { [token]: String(end) } : {}) },
      items: all.slice(start, end).map((item) => structuredClone(item)),
    };
  };
  return { page, requests };
}

describe('listInPages', () => {
  it('reads every page and answers one list with the first page’s resourceVersion', async () => {
    const api = pagedApi(pageSize * 2 + 7, '_continue');
    const list = await listInPages(api.page);
    expect(list.items.map((i) => i.metadata?.name)).toEqual(Array.from({ length: pageSize * 2 + 7 }, (_, i) => `o${i}`));
    expect(list.metadata?.resourceVersion).toBe('1000');
    expect(api.requests).toEqual([{ limit: pageSize }, { limit: pageSize, _continue: String(pageSize) }, { limit: pageSize, _continue: String(pageSize * 2) }]);
  });

  it('follows the API’s own name for the continue token (custom resources come untyped)', async () => {
    const api = pagedApi(pageSize + 1, 'continue');
    expect((await listInPages(api.page)).items).toHaveLength(pageSize + 1);
  });

  it('reduces each item as its page arrives, managedFields dropped', async () => {
    const api = pagedApi(3, '_continue');
    const list = await listInPages(api.page, (item) => ({ metadata: item.metadata }));
    expect(list.items[0]).toEqual({ metadata: { name: 'o0', resourceVersion: '0' } });
  });

  it('makes one request for a list that fits in a page', async () => {
    const api = pagedApi(2, '_continue');
    await listInPages(api.page);
    expect(api.requests).toHaveLength(1);
  });
});

describe('oneAtATime', () => {
  it('starts each list once the one before it has settled, failed ones included', async () => {
    const inTurn = oneAtATime();
    const log: string[] = [];
    let finishFirst: () => void = () => undefined;
    const first = inTurn(async () => {
      log.push('first started');
      await new Promise<void>((resolve) => (finishFirst = resolve));
      log.push('first done');
      throw new Error('first failed');
    });
    const second = inTurn(async () => {
      log.push('second started');
      return 2;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(log).toEqual(['first started']);
    finishFirst();
    await expect(first).rejects.toThrow('first failed');
    await expect(second).resolves.toBe(2);
    expect(log).toEqual(['first started', 'first done', 'second started']);
  });

  it('gives the turn away when a list hangs past its slot', async () => {
    const inTurn = oneAtATime(30);
    void inTurn(() => new Promise(() => undefined));
    await expect(inTurn(async () => 'next')).resolves.toBe('next');
  });
});
