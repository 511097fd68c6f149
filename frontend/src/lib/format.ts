// Numbers and times as the header and bubbles show them. The Intl formatters
// are made once: creating one per call (what toLocaleString does) showed up as
// the top cost of rendering during a token flood.

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const integerFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** "14:05" in the reader's time zone; "" for a missing or unreadable time. */
export function clockTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '' : timeFormat.format(date);
}

/** The full local date and time, for tooltips. */
export function fullTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '' : dateTimeFormat.format(date);
}

/** 1234 → "1,234"; 1234567 → "1.23M". */
export function compactNumber(value: number): string {
  if (value >= 1_000_000) return `${(value / 1_000_000).toFixed(2)}M`;
  return integerFormat.format(value);
}

/** Dollars with cents, or more digits when below a cent (a loopback turn costs fractions of a cent). */
export function dollars(value: number): string {
  if (value > 0 && value < 0.01) return `$${value.toFixed(4)}`;
  return `$${value.toFixed(2)}`;
}
