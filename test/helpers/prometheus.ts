// A strict reader of the Prometheus text exposition format (version 0.0.4), for tests of GET
// /metrics: it throws, naming the line, on anything the format does not allow (bad names, label
// syntax or escapes, values, HELP/TYPE out of place, a family split up, a repeated series) and on
// histograms that are not well formed (buckets not cumulative, no +Inf bucket, +Inf != _count).
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: string;
  help: string | undefined;
  samples: Sample[];
}

export class ExpositionError extends Error {}

/** A value as Go's strconv.ParseFloat reads it (the format's rule): NaN and Inf in any case. */
function parseValue(text: string, where: string): number {
  const special = /^([+-]?)(inf|infinity|nan)$/i.exec(text);
  if (special) return special[2]!.toLowerCase() === 'nan' ? Number.NaN : special[1] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) throw new ExpositionError(`${where}: '${text}' is not a number`);
  return Number(text);
}

/** HELP text with its two escapes (a backslash before a backslash or n) undone; any other escape is an error. */
function unescapeHelp(text: string, where: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== '\\') {
      out += text[i];
      continue;
    }
    const escaped = text[++i];
    if (escaped === '\\') out += '\\';
    else if (escaped === 'n') out += '\n';
    else throw new ExpositionError(`${where}: invalid escape '\\${escaped ?? ''}'`);
  }
  return out;
}

/** `{a="x",b="y\"z"}` from position `i` of `line` (at the `{`); returns the labels and the position after `}`. */
function parseLabels(line: string, i: number, where: string): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {};
  i++;
  for (;;) {
    if (line[i] === '}') return { labels, end: i + 1 };
    const eq = line.indexOf('=', i);
    if (eq < 0) throw new ExpositionError(`${where}: label without '='`);
    const name = line.slice(i, eq);
    if (!LABEL_NAME.test(name)) throw new ExpositionError(`${where}: invalid label name '${name}'`);
    if (name in labels) throw new ExpositionError(`${where}: label '${name}' given twice`);
    if (line[eq + 1] !== '"') throw new ExpositionError(`${where}: the value of label '${name}' is not quoted`);
    let value = '';
    let j = eq + 2;
    for (; j < line.length && line[j] !== '"'; j++) {
      if (line[j] !== '\\') {
        value += line[j];
        continue;
      }
      const escaped = line[++j];
      if (escaped === '\\' || escaped === '"') value += escaped;
      else if (escaped === 'n') value += '\n';
      else throw new ExpositionError(`${where}: invalid escape '\\${escaped ?? ''}' in label '${name}'`);
    }
    if (j >= line.length) throw new ExpositionError(`${where}: unterminated value of label '${name}'`);
    labels[name] = value;
    i = j + 1;
    if (line[i] === ',') i++;
    else if (line[i] !== '}') throw new ExpositionError(`${where}: expected ',' or '}' after label '${name}'`);
  }
}

/** The family a sample belongs to: its own name, or a histogram's/summary's for the suffixed series. */
function familyOf(sample: string, types: Map<string, string>): string {
  if (types.has(sample)) return sample;
  const suffix = /_(bucket|sum|count)$/.exec(sample);
  if (suffix) {
    const base = sample.slice(0, -suffix[0].length);
    const type = types.get(base);
    if (type === 'histogram' || (type === 'summary' && suffix[1] !== 'bucket')) return base;
  }
  return sample;
}

export function parseExposition(text: string): Map<string, Family> {
  if (text.length && !text.endsWith('\n')) throw new ExpositionError('the last line does not end with a newline');
  const families = new Map<string, Family>();
  const types = new Map<string, string>();
  const helps = new Set<string>();
  const series = new Set<string>();
  let current: string | undefined;
  const closed = new Set<string>();
  const open = (name: string, where: string): Family => {
    if (current !== name) {
      if (closed.has(name)) throw new ExpositionError(`${where}: family ${name} continues after other families (its lines must be together)`);
      if (current !== undefined) closed.add(current);
      current = name;
    }
    let family = families.get(name);
    if (!family) families.set(name, (family = { name, type: types.get(name) ?? 'untyped', help: undefined, samples: [] }));
    return family;
  };

  text.split('\n').forEach((line, index) => {
    const where = `line ${index + 1}`;
    if (line.trim() === '') return;
    if (line.startsWith('#')) {
      const meta = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s(.*))?$/.exec(line);
      if (!meta) return; // a comment
      const [, keyword, name, rest = ''] = meta;
      if (!METRIC_NAME.test(name!)) throw new ExpositionError(`${where}: invalid metric name '${name}'`);
      if (keyword === 'TYPE') {
        if (types.has(name!)) throw new ExpositionError(`${where}: a second TYPE line for ${name}`);
        if (families.get(name!)?.samples.length) throw new ExpositionError(`${where}: TYPE of ${name} after its samples`);
        if (!TYPES.has(rest.trim())) throw new ExpositionError(`${where}: unknown metric type '${rest.trim()}'`);
        types.set(name!, rest.trim());
        open(name!, where).type = rest.trim();
      } else {
        if (helps.has(name!)) throw new ExpositionError(`${where}: a second HELP line for ${name}`);
        helps.add(name!);
        open(name!, where).help = unescapeHelp(rest, `${where}: HELP of ${name}`);
      }
      return;
    }
    const nameEnd = line.search(/[{ ]/);
    const name = nameEnd < 0 ? line : line.slice(0, nameEnd);
    if (!METRIC_NAME.test(name)) throw new ExpositionError(`${where}: invalid metric name '${name}'`);
    let rest = nameEnd < 0 ? '' : line.slice(nameEnd);
    let labels: Record<string, string> = {};
    if (rest.startsWith('{')) {
      const parsed = parseLabels(rest, 0, where);
      labels = parsed.labels;
      rest = rest.slice(parsed.end);
    }
    const fields = rest.split(' ').filter((f) => f !== '');
    if (!rest.startsWith(' ') || fields.length < 1 || fields.length > 2) throw new ExpositionError(`${where}: expected 'name{labels} value [timestamp]'`);
    const value = parseValue(fields[0]!, where);
    if (fields[1] !== undefined && !/^-?\d+$/.test(fields[1])) throw new ExpositionError(`${where}: timestamp '${fields[1]}' is not an integer`);
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (series.has(key)) throw new ExpositionError(`${where}: series ${name}${JSON.stringify(labels)} given twice`);
    series.add(key);
    const family = open(familyOf(name, types), where);
    if (family.type === 'counter' && !(value >= 0)) throw new ExpositionError(`${where}: counter ${name} is ${fields[0]}`);
    if (family.type === 'histogram' && name.endsWith('_bucket') && !('le' in labels)) throw new ExpositionError(`${where}: bucket of ${family.name} without an 'le' label`);
    family.samples.push({ name, labels, value });
  });

  for (const family of families.values()) if (family.type === 'histogram') checkHistogram(family);
  return families;
}

/** Per series of a histogram: buckets in rising `le` order with rising counts, ending at +Inf = _count. */
function checkHistogram(family: Family): void {
  const bySeries = new Map<string, Sample[]>();
  for (const sample of family.samples) {
    const { le: _le, ...rest } = sample.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    (bySeries.get(key) ?? bySeries.set(key, []).get(key)!).push(sample);
  }
  for (const [key, samples] of bySeries) {
    const what = `histogram ${family.name}${key}`;
    const buckets = samples.filter((s) => s.name === `${family.name}_bucket`);
    const count = samples.find((s) => s.name === `${family.name}_count`);
    if (!samples.some((s) => s.name === `${family.name}_sum`) || !count) throw new ExpositionError(`${what}: no _sum or _count`);
    let le = Number.NEGATIVE_INFINITY;
    let cumulative = 0;
    for (const bucket of buckets) {
      const bound = parseValue(bucket.labels.le!, what);
      if (!(bound > le)) throw new ExpositionError(`${what}: bucket le=${bucket.labels.le} is not above the one before`);
      if (bucket.value < cumulative) throw new ExpositionError(`${what}: bucket le=${bucket.labels.le} counts less than the one before`);
      le = bound;
      cumulative = bucket.value;
    }
    if (le !== Number.POSITIVE_INFINITY) throw new ExpositionError(`${what}: no le="+Inf" bucket`);
    if (cumulative !== count.value) throw new ExpositionError(`${what}: the +Inf bucket (${cumulative}) is not _count (${count.value})`);
  }
}

/** The sum of a family's samples named `name` whose labels include `match`. */
export function total(families: Map<string, Family>, family: string, name: string, match: Record<string, string> = {}): number {
  const samples = families.get(family)?.samples ?? [];
  return samples
    .filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}
