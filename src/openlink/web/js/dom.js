// The only way this app builds DOM: h(tag, attrs, ...children).
//
// Children that are not Nodes become text nodes, so user text can never become markup.
// There is deliberately no innerHTML path; URLs in href/src must be http(s), relative
// or a fragment, so no javascript: link can be made from data either.

const SAFE_URL = /^(https?:\/\/|\/(?!\/)|#|\.\/|mailto:)/i;
const PROPS = new Set(["value", "checked", "disabled", "selected", "hidden", "indeterminate", "open"]);

export function safeUrl(url) {
  return typeof url === "string" && SAFE_URL.test(url.trim()) ? url.trim() : null;
}

function setAttr(el, key, value) {
  if (value === null || value === undefined || value === false) return;
  if (key === "class") {
    el.className = Array.isArray(value) ? value.filter(Boolean).join(" ") : value;
  } else if (key === "dataset") {
    for (const [k, v] of Object.entries(value)) if (v !== null && v !== undefined) el.dataset[k] = v;
  } else if (key === "text") {
    el.textContent = value;
  } else if (key === "ref") {
    value(el);
  } else if (key.startsWith("on") && typeof value === "function") {
    el.addEventListener(key.slice(2).toLowerCase(), value);
  } else if (PROPS.has(key)) {
    el[key] = value;
  } else if (key === "href" || key === "src") {
    const url = safeUrl(value);
    if (url) el.setAttribute(key, url);
  } else if (key === "style" || key === "innerHTML" || key === "outerHTML" || key === "srcdoc") {
    throw new Error(`h(): "${key}" is not allowed`);
  } else {
    el.setAttribute(key, value === true ? "" : String(value));
  }
}

export function append(el, ...children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false || child === true) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) for (const [k, v] of Object.entries(attrs)) setAttr(el, k, v);
  return append(el, children);
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

export function replaceChildren(el, ...children) {
  clear(el);
  return append(el, children);
}

const SVG = "http://www.w3.org/2000/svg";
// Icons are constant path data from this file, never from data.
const ICONS = {
  back: "M15 18l-6-6 6-6",
  send: "M4 12l16-8-6 16-2-7-8-1z",
  search: "M11 18a7 7 0 1 1 0-14 7 7 0 0 1 0 14zm5-2l5 5",
  compass: "M12 21a9 9 0 1 1 0-18 9 9 0 0 1 0 18zm3.5-12.5l-2 5-5 2 2-5 5-2z",
  settings: "M12 15a3 3 0 1 1 0-6 3 3 0 0 1 0 6zm7.4-3a7.4 7.4 0 0 0-.1-1.2l2-1.6-2-3.4-2.4 1a7.5 7.5 0 0 0-2-1.2L14.5 3h-5l-.4 2.6a7.5 7.5 0 0 0-2 1.2l-2.4-1-2 3.4 2 1.6a7.4 7.4 0 0 0 0 2.4l-2 1.6 2 3.4 2.4-1a7.5 7.5 0 0 0 2 1.2l.4 2.6h5l.4-2.6a7.5 7.5 0 0 0 2-1.2l2.4 1 2-3.4-2-1.6c.1-.4.1-.8.1-1.2z",
  plus: "M12 5v14M5 12h14",
  more: "M5 12h.01M12 12h.01M19 12h.01",
  reply: "M9 14L4 9l5-5M4 9h10a6 6 0 0 1 6 6v4",
  smile: "M12 21a9 9 0 1 1 0-18 9 9 0 0 1 0 18zM8 14s1.5 2 4 2 4-2 4-2M9 9h.01M15 9h.01",
  edit: "M4 20h4L19 9l-4-4L4 16v4zM13.5 6.5l4 4",
  trash: "M4 7h16M10 11v6M14 11v6M6 7l1 13h10l1-13M9 7V4h6v3",
  globe: "M12 21a9 9 0 1 1 0-18 9 9 0 0 1 0 18zM3 12h18M12 3c2.5 2.5 3.5 5.5 3.5 9s-1 6.5-3.5 9c-2.5-2.5-3.5-5.5-3.5-9s1-6.5 3.5-9z",
  shield: "M12 3l8 3v6c0 5-3.5 8-8 9-4.5-1-8-4-8-9V6l8-3z",
  close: "M6 6l12 12M18 6L6 18",
  link: "M10 14a4 4 0 0 0 5.7 0l3-3a4 4 0 0 0-5.7-5.7l-1 1M14 10a4 4 0 0 0-5.7 0l-3 3a4 4 0 0 0 5.7 5.7l1-1",
  logout: "M15 4h4v16h-4M10 16l4-4-4-4M14 12H4",
  users: "M9 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM2 21v-1a6 6 0 0 1 12 0v1M16 3.5a4 4 0 0 1 0 7.5M22 21v-1a6 6 0 0 0-4-5.6",
  down: "M6 9l6 6 6-6",
  pin: "M9 4h6l-1 6 4 4H6l4-4-1-6zM12 14v7",
  chat: "M4 5h16v11H9l-5 4V5z",
  forward: "M9 18l6-6-6-6",
  clip: "M20 11l-8.5 8.5a5 5 0 0 1-7-7L13 4a3.5 3.5 0 0 1 5 5l-8.5 8.5a2 2 0 0 1-3-3L14 7",
  mic: "M12 15a3 3 0 0 0 3-3V6a3 3 0 0 0-6 0v6a3 3 0 0 0 3 3zM6 11a6 6 0 0 0 12 0M12 17v4M9 21h6",
  play: "M8 5l11 7-11 7V5z",
  pause: "M8 5v14M16 5v14",
  stop: "M7 7h10v10H7z",
  file: "M6 3h8l4 4v14H6V3zM14 3v4h4",
  download: "M12 4v11M7 10l5 5 5-5M5 20h14",
  retry: "M4 12a8 8 0 1 0 3-6.2M4 4v5h5",
  heart: "M12 20s-7-4.5-7-10a4 4 0 0 1 7-2.6A4 4 0 0 1 19 10c0 5.5-7 10-7 10z",
  film: "M4 4h16v16H4zM8 4v16M16 4v16M4 8h4M4 12h4M4 16h4M16 8h4M16 12h4M16 16h4",
};

export function icon(name, label) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("class", `icon icon-${name}`);
  if (label) {
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", label);
  } else {
    svg.setAttribute("aria-hidden", "true");
  }
  svg.setAttribute("focusable", "false");
  const path = document.createElementNS(SVG, "path");
  path.setAttribute("d", ICONS[name] || "");
  svg.append(path);
  return svg;
}
