// Everything a command needs: global options, streams, and (lazily) the cluster connection.
import { DEFAULT_ADDRESS } from './address';
import type { ClusterConnection, ConnectionOptions } from './connection';
import type { GlobalOptions } from './globals';
import { colorLevel, terminalWidth, writeErr, type IO } from './output/io';
import type { RenderOptions } from './output/render';

/** Makes the connection a command talks through; tests may pass their own. */
export type Connect = (options: ConnectionOptions) => ClusterConnection | Promise<ClusterConnection>;

export class CommandContext {
  private connection: Promise<ClusterConnection> | undefined;
  readonly now = new Date();

  constructor(
    readonly io: IO,
    readonly options: GlobalOptions,
    /** Where the addresses came from, for hints: `--address`, `CAIRN_ADDRESS` or the default. */
    private readonly addressSource: string,
    private readonly connect?: Connect,
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
      ...(this.io.stdout.isTTY ? { width: terminalWidth(this.io.stdout) } : {}),
    };
  }

  /** The connection to the cluster; loaded on first use so that offline commands stay light. */
  cluster(): Promise<ClusterConnection> {
    this.connection ??= this.openConnection();
    return this.connection;
  }

  private async openConnection(): Promise<ClusterConnection> {
    const single = this.options.singleAddress;
    const { tlsCa, tlsCert, tlsKey, insecureSkipTlsVerify } = this.options;
    const tls = tlsCa || tlsCert || tlsKey || insecureSkipTlsVerify ? (await import('./tls')).tlsClientOptions(this.options) : undefined;
    const options: ConnectionOptions = {
      addresses: single ? [single] : this.options.address.length ? [...new Set(this.options.address)] : [DEFAULT_ADDRESS],
      singleAddress: !!single,
      addressSource: single ? '--single-address' : this.addressSource,
      connectTimeoutMs: this.options.connectTimeout,
      requestTimeoutMs: this.options.requestTimeout,
      token: this.options.token,
      tls,
      debug: (message) => this.debug(message),
    };
    if (this.connect) return this.connect(options);
    const { ClusterConnection } = await import('./connection');
    return new ClusterConnection(options);
  }

  debug(message: string): void {
    if (this.options.verbose) writeErr(this.io, `debug: ${message}\n`);
  }

  async close(): Promise<void> {
    // A connection that failed to open (bad TLS options) was reported by the command already.
    await this.connection?.then((connection) => connection.close(), () => undefined);
  }
}
