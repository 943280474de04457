/**
 * A per-isolate memo with a hard memory bound. Workers give an isolate 128 MB, and a
 * cache keyed or filled by attacker-sized values (a 35 KB token, a 30 KB scope list)
 * must never be the thing that spends it: entries are counted and their sizes summed,
 * and the oldest go first when either bound is reached.
 */
export class BoundedCache<V> {
  private readonly entries = new Map<string, { value: V; bytes: number }>();
  private bytes = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly maxBytes: number,
  ) {}

  get(key: string): V | undefined {
    return this.entries.get(key)?.value;
  }

  /** `bytes` is the caller's estimate of what the entry holds (key included). */
  set(key: string, value: V, bytes: number): void {
    if (bytes > this.maxBytes) return;
    const old = this.entries.get(key);
    if (old) {
      this.bytes -= old.bytes;
      this.entries.delete(key);
    }
    while (this.entries.size >= this.maxEntries || this.bytes + bytes > this.maxBytes) {
      const first = this.entries.entries().next();
      if (first.done) break;
      this.bytes -= first.value[1].bytes;
      this.entries.delete(first.value[0]);
    }
    this.entries.set(key, { value, bytes });
    this.bytes += bytes;
  }

  get size(): number {
    return this.entries.size;
  }

  get totalBytes(): number {
    return this.bytes;
  }
}
