/** Console output shared by the runner: coloured, padded process names on a terminal. */
const isTty = process.stdout.isTTY === true;

const palette = [36, 33, 35, 32, 34, 91, 96, 93, 95, 92, 94];
const assigned = new Map<string, number>();

function colour(code: number, text: string): string {
  return isTty ? `\u001b[${code}m${text}\u001b[0m` : text;
}

export const bold = (text: string) => colour(1, text);
export const red = (text: string) => colour(31, text);
export const green = (text: string) => colour(32, text);
export const dim = (text: string) => colour(2, text);

let nameWidth = 16;

/** Widens the name column so every process name of this run fits. */
export function reserveNameWidth(names: string[]): void {
  nameWidth = Math.max(nameWidth, ...names.map((n) => n.length));
}

export function prefix(name: string): string {
  let code = assigned.get(name);
  if (code === undefined) {
    code = palette[assigned.size % palette.length] ?? 37;
    assigned.set(name, code);
  }
  return `${colour(code, name.padEnd(nameWidth))} ${dim('|')} `;
}

export { isTty };
