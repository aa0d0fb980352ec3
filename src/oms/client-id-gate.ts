/**
 * Acts at most once per client-chosen id (a client_order_id), so that a client may retry a request
 * whose answer it never saw. The first request for an id claims it synchronously (before any await):
 * a concurrent retry then waits for that request's outcome instead of acting a second time, and a
 * claim that produced nothing is released for the next one. Only the latest ids are remembered here;
 * `lookup` finds older ones in the database.
 */
export class ClientIdGate<T> {
  private readonly claims = new Map<string, Promise<T | null>>();

  constructor(private readonly capacity: number) {}

  async once(key: string, lookup: () => Promise<T | null>, act: () => Promise<T>): Promise<{ value: T; created: boolean }> {
    for (let known = this.claims.get(key); known; known = this.claims.get(key)) {
      const value = await known;
      if (value !== null) return { value, created: false };
    }
    let settle!: (value: T | null) => void;
    const claim = new Promise<T | null>((resolve) => (settle = resolve));
    this.remember(key, claim);
    try {
      const stored = await lookup();
      if (stored !== null) {
        settle(stored);
        return { value: stored, created: false };
      }
      const value = await act();
      settle(value);
      return { value, created: true };
    } catch (error) {
      // Released before the waiters resume, so the first of them claims the id afresh.
      if (this.claims.get(key) === claim) this.claims.delete(key);
      settle(null);
      throw error;
    }
  }

  private remember(key: string, claim: Promise<T | null>): void {
    if (this.claims.size >= this.capacity) {
      const oldest = this.claims.keys().next().value;
      if (oldest !== undefined) this.claims.delete(oldest);
    }
    this.claims.set(key, claim);
  }
}
