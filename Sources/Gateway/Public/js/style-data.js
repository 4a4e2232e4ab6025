// The page's Content-Security-Policy (style-src 'self') blocks style attributes and inline style
// and script elements. Templates therefore carry colours as data-band / data-color attributes,
// and this copies them into the CSS custom properties --band / --color through the CSSOM, which
// the policy allows, as soon as the elements enter the document (before the next paint).
const PROPERTIES = { band: '--band', color: '--color' };
const SELECTOR = Object.keys(PROPERTIES).map((key) => `[data-${key}]`).join(',');

function apply(el) {
  for (const [key, property] of Object.entries(PROPERTIES)) {
    const value = el.dataset[key];
    if (value !== undefined && el.style.getPropertyValue(property) !== value) el.style.setProperty(property, value);
  }
}

function applyWithin(node) {
  if (node.nodeType !== Node.ELEMENT_NODE) return;
  if (node.matches(SELECTOR)) apply(node);
  node.querySelectorAll(SELECTOR).forEach(apply);
}

/** Keeps every data-band / data-color element under `root` styled, now and as the page changes. */
export function watchStyleData(root) {
  applyWithin(root);
  new MutationObserver((records) => {
    for (const record of records) {
      if (record.type === 'attributes') apply(record.target);
      else record.addedNodes.forEach(applyWithin);
    }
  }).observe(root, { childList: true, subtree: true, attributes: true, attributeFilter: ['data-band', 'data-color'] });
}
