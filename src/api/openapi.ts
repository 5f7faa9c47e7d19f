// The OpenAPI 3.1 document, generated from the route table and the zod schemas.
import { z } from 'zod';
import { ErrorBody } from './schemas';
import { routes, type RouteSpec } from './routes';

const componentRef = (id: string) => `#/components/schemas/${id}`;
const FRAME = 'a data-path frame: u32 header length, JSON header, then records as u32 length + bytes';

function schemaRef(schema: z.ZodType): { $ref: string } {
  const id = z.globalRegistry.get(schema)?.id;
  if (!id) throw new Error('every request and response schema of a route needs a meta id');
  return { $ref: componentRef(id) };
}

export function buildOpenApi(version: string): Record<string, unknown> {
  const { schemas } = z.toJSONSchema(z.globalRegistry, { uri: componentRef }) as {
    schemas: Record<string, Record<string, unknown>>;
  };
  for (const schema of Object.values(schemas)) {
    delete schema.$schema;
    delete schema.$id;
  }
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [name, spec] of Object.entries(routes) as [string, RouteSpec][]) {
    const params = [...spec.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    const operation: Record<string, unknown> = {
      operationId: name,
      summary: spec.summary,
      ...(params.length ? { parameters: params } : {}),
      ...(spec.bodyKind === 'frame'
        ? { requestBody: { required: true, content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary', description: FRAME } } } } }
        : spec.body
          ? { requestBody: { required: true, content: { 'application/json': { schema: schemaRef(spec.body) } } } }
          : {}),
      responses: {
        '200':
          spec.responseKind === 'frame'
            ? { description: `${FRAME}; the header is a ${z.globalRegistry.get(spec.response)?.id}`, content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } }
            : spec.responseKind === 'bytes'
              ? { description: 'the stored bytes', content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } }
              : spec.responseKind === 'prometheus'
                ? { description: 'the Prometheus text exposition format, version 0.0.4', content: { 'text/plain; version=0.0.4': { schema: { type: 'string' } } } }
                : { description: 'OK', content: { 'application/json': { schema: schemaRef(spec.response) } } },
        default: { description: 'Error', content: { 'application/json': { schema: schemaRef(ErrorBody) } } },
      },
      ...(spec.auth === 'none' ? { security: [] } : { security: [{ [spec.auth === 'admin' ? 'adminToken' : 'clusterSecret']: [] }] }),
      ...(spec.role ? { 'x-cairn-role': spec.role } : {}),
    };
    (paths[spec.path] ??= {})[spec.method.toLowerCase()] = operation;
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Cairn node API', version },
    paths,
    components: {
      schemas,
      securitySchemes: {
        adminToken: { type: 'http', scheme: 'bearer', description: 'admin.token, when configured' },
        clusterSecret: { type: 'apiKey', in: 'header', name: 'x-cairn-cluster-secret', description: 'cluster-secret, when configured' },
      },
    },
  };
}
