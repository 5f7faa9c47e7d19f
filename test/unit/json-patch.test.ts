// JSON Patch (RFC 6902) as `cairnctl metadata patch` applies it, and the line diff it shows.
import { describe, expect, it } from 'vitest';
import { CliError } from '../../src/cli/errors';
import { applyPatch, lineDiff } from '../../src/cli/json-patch';

describe('applyPatch', () => {
  const doc = { a: 1, list: ['x', 'y'], nested: { 'b/c': 2, 'd~e': 3 } };

  it('applies each operation of the RFC, leaving the input alone', () => {
    expect(applyPatch(doc, [{ op: 'add', path: '/z', value: 9 }])).toEqual({ ...doc, z: 9 });
    expect(applyPatch(doc, [{ op: 'add', path: '/list/1', value: 'w' }])).toMatchObject({ list: ['x', 'w', 'y'] });
    expect(applyPatch(doc, [{ op: 'add', path: '/list/-', value: 'z' }])).toMatchObject({ list: ['x', 'y', 'z'] });
    expect(applyPatch(doc, [{ op: 'remove', path: '/list/0' }])).toMatchObject({ list: ['y'] });
    expect(applyPatch(doc, [{ op: 'replace', path: '/nested/b~1c', value: 5 }])).toMatchObject({ nested: { 'b/c': 5, 'd~e': 3 } });
    expect(applyPatch(doc, [{ op: 'move', from: '/nested/d~0e', path: '/moved' }])).toEqual({ a: 1, list: ['x', 'y'], nested: { 'b/c': 2 }, moved: 3 });
    expect(applyPatch(doc, [{ op: 'copy', from: '/list', path: '/copy' }])).toMatchObject({ list: ['x', 'y'], copy: ['x', 'y'] });
    expect(applyPatch(doc, [{ op: 'test', path: '/a', value: 1 }, { op: 'replace', path: '', value: 'whole' }])).toBe('whole');
    expect(doc).toEqual({ a: 1, list: ['x', 'y'], nested: { 'b/c': 2, 'd~e': 3 } });
  });

  it('keeps a replaced key where it was', () => {
    expect(Object.keys(applyPatch({ a: 1, b: 2, c: 3 }, [{ op: 'replace', path: '/a', value: 0 }]) as object)).toEqual(['a', 'b', 'c']);
  });

  it('names the failing operation, as a usage error', () => {
    const failure = (patch: unknown) => {
      try {
        applyPatch(doc, patch);
      } catch (err) {
        expect(err).toBeInstanceOf(CliError);
        return (err as Error).message;
      }
      throw new Error('the patch applied');
    };
    expect(failure({ op: 'add' })).toContain('must be a JSON array');
    expect(failure([{ op: 'replace', path: '/missing', value: 1 }])).toBe('patch operation 0 (replace /missing): no such path /missing');
    expect(failure([{ op: 'add', path: '/list/5', value: 1 }])).toContain('index 5 is outside the array (length 2)');
    expect(failure([{ op: 'test', path: '/a', value: 2 }])).toContain('not the one the test expects');
    expect(failure([{ op: 'add', path: 'a', value: 1 }])).toContain("'a' is not a JSON pointer");
    expect(failure([{ op: 'remove', path: '/a' }, { op: 'frob', path: '/b' }])).toContain('patch operation 1 (frob /b): unknown op');
  });
});

describe('lineDiff', () => {
  it('keeps common lines and marks the removed and added ones', () => {
    expect(lineDiff('a\nb\nc', 'a\nB\nc\nd')).toEqual([
      { kind: ' ', text: 'a' },
      { kind: '-', text: 'b' },
      { kind: '+', text: 'B' },
      { kind: ' ', text: 'c' },
      { kind: '+', text: 'd' },
    ]);
  });
});
