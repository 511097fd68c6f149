// The browser libraries come from Debian packages, copied into dist/vendor by
// build.sh and loaded as classic scripts (see index.html).
// Only what the app calls is declared.

declare const marked: {
  parse(markdown: string, options?: Record<string, unknown>): string;
  Renderer: new () => MarkedRenderer;
};

interface MarkedRenderer {
  image(href: string | null, title: string | null, text: string): string;
  html(html: string, block?: boolean): string;
}

declare const DOMPurify: {
  sanitize(dirty: string, config?: Record<string, unknown>): string;
  addHook(hook: 'afterSanitizeAttributes', callback: (node: Element) => void): void;
};

/** highlight.js 9.x (Debian's libjs-highlight.js); loaded after the page is interactive (lib/highlighter.ts). */
declare var hljs:
  | {
      highlightBlock(block: Element): void;
      configure(options: Record<string, unknown>): void;
    }
  | undefined;
