import { describe, expect, it } from 'vitest';
import { render } from '../../src/cli/output/render';
import { friendlyDuration, preciseAgo, roughDuration } from '../../src/cli/output/time';
import { line, styled, table, type View } from '../../src/cli/output/view';

const view: View = {
  json: { servers: [{ node: 'N1', storage_state: 'read-write' }] },
  blocks: [
    line('Node configuration v12'),
    table(['NODE', 'GEN', 'STORAGE-STATE'], [['N1', 'N1:2', styled('read-write', 'good')], ['N3', 'N3:6', styled('data-loss', 'bad')]]),
  ],
};

const base = { output: 'table', tableStyle: 'compact', timeFormat: 'human', colorLevel: 0 } as const;

describe('renderer', () => {
  it('renders compact tables like restatectl: one space of padding per cell, no colour when off', () => {
    expect(render(view, base)).toMatchInlineSnapshot(`
      "Node configuration v12
       NODE  GEN   STORAGE-STATE 
       N1    N1:2  read-write    
       N3    N3:6  data-loss     
      "
    `);
  });

  it('colours cells and bolds headers only when colour is on', () => {
    const out = render(view, { ...base, colorLevel: 1 });
    expect(out).toContain('\u001b[1mNODE\u001b[22m');
    expect(out).toContain('\u001b[32mread-write\u001b[39m');
    expect(out).toContain('\u001b[31mdata-loss\u001b[39m');
  });

  it('draws rounded borders with --table-style borders', () => {
    expect(render(view, { ...base, tableStyle: 'borders' })).toMatchInlineSnapshot(`
      "Node configuration v12
      ╭──────┬──────┬───────────────╮
      │ NODE │ GEN  │ STORAGE-STATE │
      ├──────┼──────┼───────────────┤
      │ N1   │ N1:2 │ read-write    │
      ├──────┼──────┼───────────────┤
      │ N3   │ N3:6 │ data-loss     │
      ╰──────┴──────┴───────────────╯
      "
    `);
  });

  it('prints the JSON document, indented, for -o json', () => {
    expect(JSON.parse(render(view, { ...base, output: 'json' }))).toEqual(view.json);
  });

  it('shows times per --time-format', () => {
    const now = new Date('2026-11-23T01:15:05.000Z');
    const timeView: View = { json: null, blocks: [line({ time: '2026-11-23T01:15:03.173Z', style: 'ago' })] };
    expect(render(timeView, { ...base, now })).toBe('1 second and 827 ms ago\n');
    expect(render(timeView, { ...base, now, timeFormat: 'iso8601' })).toBe('2026-11-23T01:15:03.173Z\n');
    expect(render(timeView, { ...base, now, timeFormat: 'rfc2822' })).toBe('Mon, 23 Nov 2026 01:15:03 +0000\n');
  });
});

describe('human durations', () => {
  it('matches the reference wording', () => {
    expect(preciseAgo(268)).toBe('268 ms ago');
    expect(preciseAgo(2037)).toBe('2 seconds and 37 ms ago');
    expect(preciseAgo(42_609)).toBe('42 seconds and 609 ms ago');
    expect(preciseAgo(62_005)).toBe('1 minute, 2 seconds and 5 ms ago');
    expect(friendlyDuration(1_196_000)).toBe('19m 56s');
    expect(friendlyDuration(35_400)).toBe('35s');
    expect(friendlyDuration(0)).toBe('n/a');
    expect(roughDuration(70_000)).toBe('a minute');
    expect(roughDuration(15 * 60_000)).toBe('15 minutes');
  });
});
