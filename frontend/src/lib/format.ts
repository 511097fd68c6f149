// Numbers and times as the header and bubbles show them.

/** "14:05" in the reader's time zone; "" for a missing or unreadable time. */
export function clockTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  return date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

/** The full local date and time, for tooltips and <time datetime>. */
export function fullTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '' : date.toLocaleString();
}

/** 1234 → "1,234"; 1234567 → "1.23M". */
export function compactNumber(value: number): string {
  if (value >= 1_000_000) return `${(value / 1_000_000).toFixed(2)}M`;
  return value.toLocaleString('en-US');
}

/** Dollars with cents, or more digits when below a cent (a loopback turn costs fractions of a cent). */
export function dollars(value: number): string {
  if (value > 0 && value < 0.01) return `$${value.toFixed(4)}`;
  return `$${value.toFixed(2)}`;
}
