// The shells cairnctl writes completion scripts for (kept apart from the generator, which loads
// only when `completions` runs).
export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];
