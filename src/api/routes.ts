// Every endpoint of the node HTTP API in one table: the server binds a handler to each entry, the
// OpenAPI document is generated from it, and the CLI uses it to build requests and validate answers.
import type { z } from 'zod';
import {
  Health,
  Ident,
  MetadataPutRequest,
  MetadataPutResponse,
  MetadataVersions,
  ProvisionRequest,
  ProvisionResponse,
  VersionedValue,
} from './schemas';
import type { Role } from './schemas';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/**
 * `admin`: operator endpoints (bearer token when `admin.token` is set);
 * `peer`: node-to-node endpoints (cluster secret when `cluster-secret` is set);
 * `none`: health and the API description.
 */
export type RouteAuth = 'none' | 'admin' | 'peer';

export interface RouteSpec {
  method: HttpMethod;
  path: string;
  summary: string;
  auth: RouteAuth;
  /** The role a node needs to serve this route; absent means every node serves it. */
  role?: Role;
  body?: z.ZodType;
  response: z.ZodType;
}

export const routes = {
  health: {
    method: 'GET',
    path: '/health',
    summary: 'Liveness of this node process',
    auth: 'none',
    response: Health,
  },
  ident: {
    method: 'GET',
    path: '/v1/node',
    summary: 'Identity, role status and metadata versions seen by this node',
    auth: 'admin',
    response: Ident,
  },
  metadataGet: {
    method: 'GET',
    path: '/v1/metadata/{key}',
    summary: "This node's latest copy of a metadata document",
    auth: 'admin',
    response: VersionedValue,
  },
  provision: {
    method: 'POST',
    path: '/v1/cluster/provision',
    summary: 'Provision the cluster: nodes configuration, partition table and logs (dry_run previews)',
    auth: 'admin',
    body: ProvisionRequest,
    response: ProvisionResponse,
  },
  storeVersions: {
    method: 'GET',
    path: '/v1/metadata-store',
    summary: 'Versions of every key in the metadata store',
    auth: 'peer',
    role: 'metadata-server',
    response: MetadataVersions,
  },
  storeGet: {
    method: 'GET',
    path: '/v1/metadata-store/{key}',
    summary: 'Read a key from the metadata store',
    auth: 'peer',
    role: 'metadata-server',
    response: VersionedValue,
  },
  storePut: {
    method: 'PUT',
    path: '/v1/metadata-store/{key}',
    summary: 'Write a key with a precondition (does-not-exist or matches-version)',
    auth: 'peer',
    role: 'metadata-server',
    body: MetadataPutRequest,
    response: MetadataPutResponse,
  },
} as const satisfies Record<string, RouteSpec>;

export type RouteName = keyof typeof routes;
export type RouteResponse<N extends RouteName> = z.infer<(typeof routes)[N]['response']>;

/** Fills `{param}` placeholders, encoding each value. */
export function routePath(name: RouteName, params: Record<string, string | number> = {}): string {
  return routes[name].path.replace(/\{(\w+)\}/g, (_, key: string) => {
    const value = params[key];
    if (value === undefined) throw new Error(`route ${name}: missing path parameter ${key}`);
    return encodeURIComponent(String(value));
  });
}
