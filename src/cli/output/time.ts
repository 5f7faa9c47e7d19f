// Human times in restatectl's manner: precise past ("1 second and 827 ms ago"), rough ("a minute"),
// and friendly durations ("19m 56s").

const UNITS: [string, number][] = [
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
  ['second', 1_000],
];

export function preciseAgo(ms: number): string {
  let rest = Math.max(0, Math.round(ms));
  const parts: string[] = [];
  for (const [unit, size] of UNITS) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0) parts.push(`${n} ${unit}${n === 1 ? '' : 's'}`);
  }
  if (rest > 0 || parts.length === 0) parts.push(`${rest} ms`);
  const text = parts.length > 1 ? `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}` : parts[0]!;
  return `${text} ago`;
}

export function roughDuration(ms: number): string {
  const s = ms / 1000;
  if (s < 10) return 'now';
  if (s < 45) return `${Math.round(s)} seconds`;
  if (s < 90) return 'a minute';
  if (s < 45 * 60) return `${Math.round(s / 60)} minutes`;
  if (s < 90 * 60) return 'an hour';
  if (s < 22 * 3600) return `${Math.round(s / 3600)} hours`;
  if (s < 36 * 3600) return 'a day';
  return `${Math.round(s / 86_400)} days`;
}

export function friendlyDuration(ms: number): string {
  let s = Math.floor(ms / 1000);
  if (s <= 0) return 'n/a';
  const d = Math.floor(s / 86_400);
  s -= d * 86_400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  return [d && `${d}d`, h && `${h}h`, m && `${m}m`, s && `${s}s`].filter(Boolean).join(' ');
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export function rfc2822(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${DAYS[date.getUTCDay()]}, ${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}
