/** Number formatting shared by the terminal table and the HTML report; "—" marks what could not be measured. */
export const DASH = '—';

export function pct(x: number, digits = 2): string {
  return Number.isFinite(x) ? `${(x * 100).toFixed(digits)} %` : DASH;
}

export function ms(x: number, digits = 1): string {
  return Number.isFinite(x) ? x.toFixed(digits) : DASH;
}

export function times(x: number): string {
  return Number.isFinite(x) ? `${x.toFixed(2)}×` : DASH;
}

/** Decimal units (kB = 1000 B), as network figures are usually given. */
export function bytes(x: number): string {
  if (!Number.isFinite(x)) return DASH;
  if (x < 1000) return `${x.toFixed(0)} B`;
  if (x < 1e6) return `${(x / 1e3).toFixed(1)} kB`;
  return `${(x / 1e6).toFixed(2)} MB`;
}

export function count(x: number): string {
  return Number.isFinite(x) ? String(x) : DASH;
}
