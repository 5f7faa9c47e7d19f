// Records a log-server stored lately, kept in memory by loglet, so that tailing readers on this node
// (its partition processors, a sequencer catching a peer up) read them without a trip to the log
// store's database. Only records the store has made durable go in; they never change
// once stored (an offset of a loglet holds one record for good), so a cached copy is always right.
// The cache is bounded in bytes: the loglets written least recently give up their oldest records.

interface Window {
  /** Offset of records[0]; the window is contiguous. */
  start: number;
  records: Buffer[];
  bytes: number;
}

export class RecordCache {
  /** In the order loglets were last written to (a Map keeps insertion order). */
  private readonly windows = new Map<number, Window>();
  private bytes = 0;

  constructor(private readonly limitBytes: number) {}

  get sizeBytes(): number {
    return this.bytes;
  }

  /** Records stored from offset `first` on. */
  add(loglet: number, first: number, records: readonly Buffer[]): void {
    if (records.length === 0) return;
    let window = this.windows.get(loglet);
    const end = window ? window.start + window.records.length : 0;
    if (!window || first < window.start || first > end) {
      if (window) this.bytes -= window.bytes;
      window = { start: first, records: [], bytes: 0 };
    }
    for (let i = end > first ? end - first : 0; i < records.length; i++) {
      window.records.push(records[i]!);
      window.bytes += records[i]!.length;
      this.bytes += records[i]!.length;
    }
    this.windows.delete(loglet);
    this.windows.set(loglet, window);
    this.evict();
  }

  /** Records from `from` on (at most `maxRecords`, about `maxBytes`: the first always), or undefined if `from` is not here. */
  read(loglet: number, from: number, maxRecords: number, maxBytes: number): Buffer[] | undefined {
    const window = this.windows.get(loglet);
    if (!window || from < window.start || from >= window.start + window.records.length) return undefined;
    const records: Buffer[] = [];
    let bytes = 0;
    for (let i = from - window.start; i < window.records.length && records.length < maxRecords; i++) {
      const record = window.records[i]!;
      if (records.length > 0 && bytes + record.length > maxBytes) break;
      records.push(record);
      bytes += record.length;
    }
    return records;
  }

  /** Forgets records up to `offset` (inclusive): the loglet was trimmed there. */
  trim(loglet: number, offset: number): void {
    const window = this.windows.get(loglet);
    if (window) this.dropFront(loglet, window, offset + 1 - window.start);
  }

  private evict(): void {
    for (const [loglet, window] of this.windows) {
      if (this.bytes <= this.limitBytes) return;
      let count = 0;
      for (let over = this.bytes - this.limitBytes; count < window.records.length && over > 0; count++) over -= window.records[count]!.length;
      this.dropFront(loglet, window, count);
    }
  }

  private dropFront(loglet: number, window: Window, count: number): void {
    if (count <= 0) return;
    const dropped = window.records.splice(0, count);
    for (const record of dropped) {
      window.bytes -= record.length;
      this.bytes -= record.length;
    }
    window.start += dropped.length;
    if (window.records.length === 0) this.windows.delete(loglet);
  }
}
