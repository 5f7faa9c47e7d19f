// The http-ingress role: the key/value listener clients write to and read from, on its own address
// (ingress.bind-address). It binds nothing on the node's listener and starts listening once the
// node has joined.
import type { GenerationalNodeId } from '../../api/ids';
import type { HttpServer } from '../http/server';
import { createIngress } from '../ingress/ingress';
import type { NodeRole, NodeServices, RoleReport } from './role';
import { workerDeps, type WorkerRole } from './worker';

export class IngressRole implements NodeRole {
  private server: HttpServer | undefined;

  constructor(
    private readonly node: NodeServices,
    /** This node's worker, if it has one: a read for a partition it leads is answered here. */
    private readonly worker: WorkerRole | undefined,
  ) {}

  bindRoutes(): void {}

  async start(me: GenerationalNodeId): Promise<void> {
    const { config, logger } = this.node;
    this.server = createIngress({
      metadata: this.node.metadata,
      bifrost: this.node.bifrost,
      http: this.node.http,
      worker: workerDeps(this.node, this.worker),
      me: () => me.id,
      recordSizeLimit: config.recordSizeLimit,
      logger,
      nodeName: config.nodeName,
    });
    const address = await this.server.listen(config.ingressBindAddress);
    logger.info({ ingress: `${address.address}:${address.port}` }, 'ingress listening');
  }

  /** Closes the listener first of all, so that no new write arrives while the node winds down. */
  async stop(): Promise<void> {
    await this.server?.close().catch(() => undefined);
  }

  /** The ident has no field for the ingress. */
  report(): RoleReport {
    return {};
  }
}
