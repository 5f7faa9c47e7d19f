// Everything a command needs: global options, streams, and (lazily) the cluster connection.
import type { ClusterConnection } from './connection';
import { colorLevel, writeErr, type IO } from './output/io';
import type { RenderOptions } from './output/render';

export interface GlobalOptions {
  address: string[];
  connectTimeout: number;
  requestTimeout: number;
  output: 'table' | 'json';
  json?: boolean;
  tableStyle: 'compact' | 'borders';
  timeFormat: 'human' | 'iso8601' | 'rfc2822';
  color: boolean;
  verbose: number;
  token?: string;
}

export class CommandContext {
  private connection: ClusterConnection | undefined;
  readonly now = new Date();

  constructor(
    readonly io: IO,
    readonly options: GlobalOptions,
    private readonly addressSource: string,
  ) {}

  get output(): 'table' | 'json' {
    return this.options.json ? 'json' : this.options.output;
  }

  get renderOptions(): RenderOptions {
    return {
      output: this.output,
      tableStyle: this.options.tableStyle,
      timeFormat: this.options.timeFormat,
      colorLevel: colorLevel(this.io, this.options.color),
      now: this.now,
    };
  }

  /** The connection to the cluster; loaded on first use so that offline commands stay light. */
  async cluster(): Promise<ClusterConnection> {
    if (this.connection) return this.connection;
    const { ClusterConnection, normalizeAddress } = await import('./connection');
    this.connection = new ClusterConnection({
      addresses: [...new Set(this.options.address.flatMap((a) => a.split(',')).filter(Boolean).map(normalizeAddress))],
      addressSource: this.addressSource,
      connectTimeoutMs: this.options.connectTimeout,
      requestTimeoutMs: this.options.requestTimeout,
      token: this.options.token,
      debug: (message) => this.debug(message),
    });
    return this.connection;
  }

  debug(message: string): void {
    if (this.options.verbose > 0) writeErr(this.io, `debug: ${message}\n`);
  }

  close(): void {
    this.connection?.close();
  }
}
