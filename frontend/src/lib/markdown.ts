/**
 * Markdown → safe HTML for orchestrator replies: `marked` parses, `DOMPurify`
 * removes anything executable, and `highlight.js` colours code once a reply is
 * final. A reply is model output, which a prompt injection can steer, so it is
 * treated as hostile:
 * - raw HTML in a reply is shown as text, never parsed (a model writing
 *   `<div>` means the characters; and parsing `onerror=` even in DOMPurify's
 *   detached document trips the page's CSP, which logs a violation);
 * - DOMPurify still cleans what marked produces (a `javascript:` link, say);
 * - no images: an image URL would fetch on render and could carry data out;
 *   markdown images become plain links instead.
 */

import { highlight } from './highlighter';
import { splitMarkdownBlocks } from './markdownBlocks';

const forbiddenTags = ['img', 'style', 'form', 'input', 'button', 'textarea', 'select', 'option', 'iframe', 'frame', 'object', 'embed', 'video', 'audio', 'source', 'picture', 'svg', 'math', 'link', 'meta', 'base'];

let configured = false;
let renderer: MarkedRenderer | null = null;

function configure(): void {
  if (configured) return;
  configured = true;
  renderer = new marked.Renderer();
  renderer.html = (html) => escapeHtml(html);
  renderer.image = (href, _title, text) => {
    const label = text || href || 'image';
    return href ? `<a href="${escapeAttribute(href)}">${escapeHtml(label)}</a>` : escapeHtml(label);
  };
  // Links open in a new tab and tell the target nothing about this page.
  DOMPurify.addHook('afterSanitizeAttributes', (node) => {
    if (node.tagName === 'A' && node.hasAttribute('href')) {
      node.setAttribute('target', '_blank');
      node.setAttribute('rel', 'noopener noreferrer');
    }
  });
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

function escapeAttribute(text: string): string {
  return escapeHtml(text);
}

/** Sanitized HTML for a markdown text. */
export function markdownToSafeHtml(markdown: string): string {
  configure();
  const html = marked.parse(markdown, { gfm: true, breaks: true, renderer, mangle: false, headerIds: false });
  return DOMPurify.sanitize(html, { FORBID_TAGS: forbiddenTags, FORBID_ATTR: ['style'], ALLOW_DATA_ATTR: false });
}

/**
 * Renders `markdown` into `target`. `final`: highlight code and add copy
 * buttons; while a reply streams, code stays plain (highlighting on every
 * frame would cost the frame budget, and the block is not complete yet).
 */
export function renderMarkdown(target: HTMLElement, markdown: string, final: boolean): void {
  if (final && referenceDefinition.test(markdown)) {
    // A reference link's definition may sit in another block: only the whole text resolves it.
    target.innerHTML = markdownToSafeHtml(markdown);
  } else {
    renderBlocks(target, markdown);
  }
  if (final) decorateCodeBlocks(target);
}

/** `[label]: url` at the start of a line. */
const referenceDefinition = /^ {0,3}\[[^\]]+\]:\s*\S/m;

/**
 * Markdown block by block: blocks whose text did not change keep their
 * elements, so a streaming reply parses, sanitizes and lays out only its last
 * block each frame, and turning final re-renders nothing but what changed.
 */
function renderBlocks(target: HTMLElement, markdown: string): void {
  const blocks = splitMarkdownBlocks(markdown);
  const existing = Array.from(target.children).filter((child): child is HTMLElement => child instanceof HTMLElement && child.classList.contains('md-block'));
  if (existing.length !== target.children.length) target.replaceChildren();
  blocks.forEach((block, index) => {
    let element = existing[index];
    if (!element) {
      element = document.createElement('div');
      element.className = 'md-block';
      target.append(element);
    } else if (element.dataset['source'] === block) {
      return;
    }
    element.dataset['source'] = block;
    element.innerHTML = markdownToSafeHtml(block);
  });
  for (const extra of existing.slice(blocks.length)) extra.remove();
}

function decorateCodeBlocks(root: HTMLElement): void {
  for (const code of Array.from(root.querySelectorAll<HTMLElement>('pre > code'))) {
    const pre = code.parentElement;
    if (!pre || pre.parentElement?.classList.contains('code-block')) continue; // decorated already
    highlight(code);
    const language = [...code.classList].find((c) => c.startsWith('language-'))?.slice('language-'.length) ?? '';
    const bar = document.createElement('div');
    bar.className = 'code-bar';
    const label = document.createElement('span');
    label.className = 'code-language';
    label.textContent = language || 'code';
    const copy = document.createElement('button');
    copy.type = 'button';
    copy.className = 'copy-code';
    copy.dataset['action'] = 'copy-code';
    copy.textContent = 'Copy';
    copy.setAttribute('aria-label', `Copy ${language || 'code'} to the clipboard`);
    bar.append(label, copy);
    const wrapper = document.createElement('div');
    wrapper.className = 'code-block';
    pre.replaceWith(wrapper);
    wrapper.append(bar, pre);
  }
}

/** Copies a code block's text; falls back to a selection copy where the clipboard API is unavailable. */
export async function copyCodeBlock(button: HTMLElement): Promise<boolean> {
  const code = button.closest('.code-block')?.querySelector('code');
  const text = code?.textContent ?? '';
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.className = 'visually-hidden';
    document.body.append(area);
    area.select();
    const ok = document.execCommand('copy');
    area.remove();
    return ok;
  }
}
