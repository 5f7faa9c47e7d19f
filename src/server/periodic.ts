// A task that runs every `intervalMs`, one run at a time (the next waits for the previous to end).
export class PeriodicTask {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private busy = false;
  private again = false;
  private intervalMs = 0;

  constructor(
    private readonly run: () => Promise<void>,
    private readonly onError: (err: Error) => void,
  ) {}

  start(intervalMs: number): void {
    this.running = true;
    this.intervalMs = intervalMs;
    this.timer = setTimeout(() => this.tick(), 0);
  }

  /** Runs now rather than at the next interval (right after the current run, if one is going on). */
  runSoon(): void {
    if (!this.running) return;
    if (this.busy) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.tick(), 0);
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    this.busy = true;
    this.run()
      .catch((err: Error) => this.onError(err))
      .finally(() => {
        this.busy = false;
        const delay = this.again ? 0 : this.intervalMs;
        this.again = false;
        if (this.running) this.timer = setTimeout(() => this.tick(), delay);
      });
  }
}
