/**
 * Keeps a container's children in step with a list of items by key: an item
 * that did not change (same object) is not touched, a changed one is updated
 * in place, and only moved elements are moved. Rendering a 2,000-row chat
 * where one reply grows costs one element update, not 2,000.
 */
export interface KeyedListOptions<T> {
  key(item: T): string;
  create(item: T): HTMLElement;
  /** Brings `element` up to date with `item`; returns a replacement when the element's shape must change. */
  update(element: HTMLElement, item: T, previous: T): HTMLElement | void;
}

export class KeyedList<T> {
  private readonly rendered = new Map<string, { element: HTMLElement; item: T }>();

  constructor(
    private readonly container: HTMLElement,
    private readonly options: KeyedListOptions<T>,
    /** Children before this node are not managed (e.g. a "load older" row). */
    private readonly after: Node | null = null,
  ) {}

  /** Renders `items`; returns the keys that were not rendered before. */
  render(items: readonly T[]): string[] {
    const added: string[] = [];
    const wanted = new Set<string>();
    const elements: HTMLElement[] = [];
    for (const item of items) {
      const key = this.options.key(item);
      wanted.add(key);
      const current = this.rendered.get(key);
      let element: HTMLElement;
      if (!current) {
        element = this.options.create(item);
        element.dataset['key'] = key;
        added.push(key);
      } else if (current.item !== item) {
        element = this.options.update(current.element, item, current.item) ?? current.element;
        if (element !== current.element) {
          element.dataset['key'] = key;
          current.element.replaceWith(element);
        }
      } else {
        element = current.element;
      }
      this.rendered.set(key, { element, item });
      elements.push(element);
    }
    for (const [key, { element }] of this.rendered) {
      if (!wanted.has(key)) {
        element.remove();
        this.rendered.delete(key);
      }
    }
    let cursor: ChildNode | null = this.after ? this.after.nextSibling : this.container.firstChild;
    for (const element of elements) {
      if (cursor === element) cursor = element.nextSibling;
      else this.container.insertBefore(element, cursor);
    }
    return added;
  }

  elementFor(key: string): HTMLElement | undefined {
    return this.rendered.get(key)?.element;
  }
}
