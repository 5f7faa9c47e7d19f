// A node's roles as a table cell: restatectl's `admin | log-server | ...`, with a short form for
// terminals too narrow for it.
import { formatRoles } from '../../api/ids';
import { shortened, type Styled } from './view';

const SHORT_ROLE: Record<string, string> = {
  admin: 'adm',
  'http-ingress': 'ingr',
  'log-server': 'log',
  'metadata-server': 'meta',
  worker: 'work',
};

export function rolesCell(roles: readonly string[]): Styled {
  const short = [...roles].sort().map((role) => SHORT_ROLE[role] ?? role).join('|');
  return shortened(formatRoles(roles), short);
}
