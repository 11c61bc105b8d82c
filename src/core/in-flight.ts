// A count of pieces of work in progress, and who waits for it to reach zero: the runtime's
// messages (drain on shutdown) and the Telegram channel's updates (stop waits for them).

export class InFlight {
  private n = 0;
  private waiters: (() => void)[] = [];

  get count(): number {
    return this.n;
  }

  enter(): void {
    this.n++;
  }

  leave(): void {
    if (--this.n === 0) for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves when nothing is in progress (at once if nothing is). */
  idle(): Promise<void> {
    if (this.n === 0) return Promise.resolve();
    return new Promise((r) => this.waiters.push(r));
  }
}
