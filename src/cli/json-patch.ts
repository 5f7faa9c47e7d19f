// JSON Patch (RFC 6902) for `cairnctl metadata patch`, and the line diff its --dry-run and prompt
// show. Documents are small (metadata), so a plain LCS diff of the pretty-printed JSON serves.
import { usageError } from './errors';

export interface PatchOperation {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  value?: unknown;
  from?: string;
}

type Json = unknown;
type Container = Record<string, Json> | Json[];

/** RFC 6901: "/a/b~1c/0" → ["a", "b/c", "0"]. */
function pointer(text: string, where: string): string[] {
  if (text === '') return [];
  if (!text.startsWith('/')) throw usageError(`${where}: '${text}' is not a JSON pointer (it must start with /)`);
  return text
    .slice(1)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
}

const isContainer = (value: Json): value is Container => typeof value === 'object' && value !== null;

/** The container holding the last token of `path`, and that token. */
function parentOf(doc: Json, tokens: string[], where: string): { parent: Container; key: string } {
  let node = doc;
  for (const token of tokens.slice(0, -1)) {
    if (!isContainer(node) || !(token in node)) throw usageError(`${where}: no such path /${tokens.join('/')}`);
    node = (node as Record<string, Json>)[token];
  }
  if (!isContainer(node)) throw usageError(`${where}: /${tokens.slice(0, -1).join('/')} is not an object or array`);
  return { parent: node, key: tokens[tokens.length - 1]! };
}

function arrayIndex(array: Json[], key: string, where: string, forInsert: boolean): number {
  if (forInsert && key === '-') return array.length;
  const index = Number(key);
  const limit = forInsert ? array.length : array.length - 1;
  if (!/^\d+$/.test(key) || index > limit) throw usageError(`${where}: index ${key} is outside the array (length ${array.length})`);
  return index;
}

function get(doc: Json, tokens: string[], where: string): Json {
  if (tokens.length === 0) return doc;
  const { parent, key } = parentOf(doc, tokens, where);
  if (Array.isArray(parent)) return parent[arrayIndex(parent, key, where, false)];
  if (!(key in parent)) throw usageError(`${where}: no such path /${tokens.join('/')}`);
  return parent[key];
}

function remove(doc: Json, tokens: string[], where: string): Json {
  const { parent, key } = parentOf(doc, tokens, where);
  if (Array.isArray(parent)) return parent.splice(arrayIndex(parent, key, where, false), 1)[0];
  if (!(key in parent)) throw usageError(`${where}: no such path /${tokens.join('/')}`);
  const old = parent[key];
  delete parent[key];
  return old;
}

function add(doc: Json, tokens: string[], value: Json, where: string): Json {
  if (tokens.length === 0) return value;
  const { parent, key } = parentOf(doc, tokens, where);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, key, where, true), 0, value);
  else parent[key] = value;
  return doc;
}

/** Applies `operations` to a copy of `doc`; a failing operation is a usage error naming it. */
export function applyPatch(doc: Json, operations: unknown): Json {
  if (!Array.isArray(operations)) throw usageError('the patch must be a JSON array of operations, e.g. [{"op":"replace","path":"/a","value":1}]');
  let result = structuredClone(doc);
  operations.forEach((raw, i) => {
    const op = raw as PatchOperation;
    const where = `patch operation ${i} (${op?.op ?? '?'} ${op?.path ?? '?'})`;
    if (typeof op?.path !== 'string') throw usageError(`${where}: "path" is missing`);
    const tokens = pointer(op.path, where);
    const from = () => {
      if (typeof op.from !== 'string') throw usageError(`${where}: "from" is missing`);
      return pointer(op.from, where);
    };
    const value = () => {
      if (!('value' in op)) throw usageError(`${where}: "value" is missing`);
      return structuredClone(op.value);
    };
    switch (op.op) {
      case 'add':
        result = add(result, tokens, value(), where);
        break;
      case 'remove':
        remove(result, tokens, where);
        break;
      case 'replace':
        if (tokens.length === 0) {
          result = value();
          break;
        }
        {
          // In place, so that the key keeps its position in the document (and in the diff).
          const { parent, key } = parentOf(result, tokens, where);
          if (Array.isArray(parent)) parent[arrayIndex(parent, key, where, false)] = value();
          else if (key in parent) parent[key] = value();
          else throw usageError(`${where}: no such path ${op.path}`);
        }
        break;
      case 'move': {
        const moved = remove(result, from(), where);
        result = add(result, tokens, moved, where);
        break;
      }
      case 'copy':
        result = add(result, tokens, structuredClone(get(result, from(), where)), where);
        break;
      case 'test':
        if (JSON.stringify(get(result, tokens, where)) !== JSON.stringify(value())) throw usageError(`${where}: the value there is not the one the test expects`);
        break;
      default:
        throw usageError(`${where}: unknown op; expected add, remove, replace, move, copy or test`);
    }
  });
  return result;
}

export interface DiffLine {
  kind: ' ' | '-' | '+';
  text: string;
}

/** The lines of `after` against `before` (longest common subsequence). */
export function lineDiff(before: string, after: string): DiffLine[] {
  const a = before.split('\n');
  const b = after.split('\n');
  const lcs = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) for (let j = b.length - 1; j >= 0; j--) lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  const lines: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      lines.push({ kind: ' ', text: a[i]! });
      i++;
      j++;
    } else if (i < a.length && (j === b.length || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) lines.push({ kind: '-', text: a[i++]! });
    else lines.push({ kind: '+', text: b[j++]! });
  }
  return lines;
}
