export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no #${id}`);
  return element as T;
}

/** A new element with attributes (data-* and the like) and children. */
export function el(tag: string, attributes: Record<string, string | number> = {}, ...children: (Node | string)[]): HTMLElement {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  element.append(...children);
  return element;
}

/** Replaces a select's options, keeping the chosen value when it is still there. */
export function setOptions(select: HTMLSelectElement, values: string[], preferred?: string): void {
  const keep = select.value || preferred;
  select.replaceChildren(...values.map((value) => el('option', { value }, value)));
  if (keep && values.includes(keep)) select.value = keep;
}
