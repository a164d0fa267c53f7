/** The page's elements by id, with a clear error when the HTML lacks one. */
export function element<T extends Element = HTMLElement>(id: string): T {
  const el = document.querySelector<T>(`#${id}`);
  if (!el) throw new Error(`playground: the page has no element #${id}`);
  return el;
}
