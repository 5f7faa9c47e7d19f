// Which table cells of a `--watch` frame differ from the frame before: tables are matched by their
// header (the View's full one; fitting to the terminal happens later, in the renderer), rows by
// their keys (TableBlock.keys, else the first cell), so a row that appears or goes away does not
// shift the comparison. Times and durations move on every
// frame by themselves and are never "changed"; a row that is new is changed as a whole.
import type { Block, Cell, TableBlock, View } from './view';

/** What a cell shows, for comparing frames; undefined for cells that change with the clock alone. */
function comparable(cell: Cell): string | undefined {
  if (typeof cell === 'string' || typeof cell === 'number') return String(cell);
  if ('time' in cell || 'ms' in cell) return undefined;
  if ('icon' in cell) return cell.icon;
  return `${cell.text}\u0000${cell.tone ?? ''}`;
}

function markChanged(cell: Cell): Cell {
  if (typeof cell === 'string' || typeof cell === 'number') return { text: String(cell), changed: true };
  if ('time' in cell || 'ms' in cell) return cell;
  return { ...cell, changed: true };
}

/** Each row's identity: its key, or its first cell (with a count, should first cells repeat). */
function rowKeys(block: TableBlock): string[] {
  if (block.keys) return block.keys;
  const seen = new Map<string, number>();
  return block.rows.map((row) => {
    const first = comparable(row[0] ?? '') ?? '';
    const n = seen.get(first) ?? 0;
    seen.set(first, n + 1);
    return `${first}#${n}`;
  });
}

/** Tables are told apart by their header (and which of that header they are, should one repeat). */
function tableIds(blocks: readonly Block[]): Map<string, TableBlock> {
  const tables = new Map<string, TableBlock>();
  for (const block of blocks) {
    if (block.kind !== 'table') continue;
    let n = 0;
    while (tables.has(`${block.header.join('|')}#${n}`)) n++;
    tables.set(`${block.header.join('|')}#${n}`, block);
  }
  return tables;
}

export interface MarkedFrame {
  view: View;
  /** How many cells were marked. */
  changed: number;
}

/** `current` with the cells that differ from `previous` marked `changed` (none on the first frame). */
export function markChangedCells(previous: View | undefined, current: View): MarkedFrame {
  if (!previous) return { view: current, changed: 0 };
  const before = tableIds(previous.blocks);
  const ids = new Map([...tableIds(current.blocks)].map(([id, block]) => [block, id]));
  let changed = 0;
  const blocks = current.blocks.map((block): Block => {
    if (block.kind !== 'table') return block;
    const old = before.get(ids.get(block)!);
    // A table that was not there before is news as a whole; the lines around it say what it is.
    const oldRows = new Map<string, Cell[]>();
    if (old) rowKeys(old).forEach((key, i) => oldRows.set(key, old.rows[i]!));
    const keys = rowKeys(block);
    const rows = block.rows.map((row, r) => {
      const oldRow = oldRows.get(keys[r]!);
      return row.map((cell, c) => {
        const now = comparable(cell);
        if (now === undefined) return cell;
        const oldCell = oldRow?.[c];
        // A cell that went blank (an offline node's uptime) is told by its row's other cells.
        if (now === '' || (oldCell !== undefined && comparable(oldCell) === now)) return cell;
        changed++;
        return markChanged(cell);
      });
    });
    return { ...block, rows };
  });
  return { view: { ...current, blocks }, changed };
}
