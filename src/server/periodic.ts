// A task that runs every `intervalMs`, one run at a time (the next waits for the previous to end).
export class PeriodicTask {
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(
    private readonly run: () => Promise<void>,
    private readonly onError: (err: Error) => void,
  ) {}

  start(intervalMs: number): void {
    this.running = true;
    const tick = () => {
      this.run()
        .catch((err: Error) => this.onError(err))
        .finally(() => {
          if (this.running) this.timer = setTimeout(tick, intervalMs);
        });
    };
    this.timer = setTimeout(tick, 0);
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
