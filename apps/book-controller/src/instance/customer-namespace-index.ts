// Which instances live in each customer namespace, kept up to date from the instances' cache, so that a change of
// a namespace-wide object (a quota's usage moves with every Pod) finds its instances without scanning them all.

export class CustomerNamespaceIndex {
  private readonly keysByNamespace = new Map<string, Set<string>>();
  private readonly namespaceByKey = new Map<string, string>();

  /** The instance `key` now lives in `customerNamespace`, or (undefined) no longer exists. */
  update(key: string, customerNamespace: string | undefined): void {
    const before = this.namespaceByKey.get(key);
    if (before === customerNamespace) return;
    if (before !== undefined) {
      const keys = this.keysByNamespace.get(before);
      keys?.delete(key);
      if (keys?.size === 0) this.keysByNamespace.delete(before);
      this.namespaceByKey.delete(key);
    }
    if (customerNamespace !== undefined) {
      this.keysByNamespace.set(customerNamespace, (this.keysByNamespace.get(customerNamespace) ?? new Set()).add(key));
      this.namespaceByKey.set(key, customerNamespace);
    }
  }

  /** The keys of the instances in `customerNamespace`. */
  keys(customerNamespace: string): readonly string[] {
    return [...(this.keysByNamespace.get(customerNamespace) ?? [])];
  }
}
