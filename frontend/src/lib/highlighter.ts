/**
 * highlight.js (846 KB from Debian's libjs-highlight.js) loads after the page
 * is interactive instead of before it: parsing it was the largest single cost
 * of opening a long history. Code rendered before it arrives is highlighted
 * when it does; until then it is plain, readable text.
 */
const waiting = new Set<HTMLElement>();
let requested = false;

function ready(): boolean {
  return typeof hljs !== 'undefined';
}

function paint(code: HTMLElement): void {
  try {
    hljs!.highlightBlock(code);
  } catch {
    // An unknown language stays plain text; nothing else depends on the colours.
  }
}

/** Highlights `code` now if the library is here, or as soon as it is. */
export function highlight(code: HTMLElement): void {
  if (ready()) paint(code);
  else waiting.add(code);
}

/** Starts loading the library named by `<meta name="orch-highlight">` (once). */
export function loadHighlighter(doc: Document = document): void {
  if (requested || ready()) return;
  requested = true;
  const src = doc.querySelector<HTMLMetaElement>('meta[name="orch-highlight"]')?.content;
  if (!src) return;
  const script = doc.createElement('script');
  script.src = src;
  script.onload = () => {
    hljs?.configure({ classPrefix: 'hljs-' });
    for (const code of waiting) if (code.isConnected) paint(code);
    waiting.clear();
  };
  doc.head.append(script);
}
