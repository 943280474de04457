/**
 * Live lists (`data-live="<url>"`): the server renders the list alone at that URL; every two
 * seconds the script fetches it and merges by item id — new items are added, closed ones
 * removed, the ones being typed into are left alone. The navigation's count follows.
 */
const EVERY_MS = 2000;

export function liveQueues(doc: Document): void {
  for (const list of doc.querySelectorAll<HTMLElement>("[data-live]")) {
    const url = list.dataset.live!;
    const poll = async () => {
      try {
        const res = await fetch(url, { credentials: "same-origin", headers: { accept: "text/html" } });
        if (res.ok && res.headers.get("content-type")?.startsWith("text/html")) merge(doc, list, await res.text());
      } catch {
        // Offline for a moment: try again at the next tick.
      }
      setTimeout(poll, EVERY_MS);
    };
    setTimeout(poll, EVERY_MS);
  }
}

function merge(doc: Document, list: HTMLElement, html: string): void {
  const fresh = new DOMParser().parseFromString(html, "text/html").body.firstElementChild;
  if (!fresh) return;
  const key = (el: Element) => el.getAttribute("data-approval");
  const incoming = new Map<string, Element>();
  for (const item of fresh.children) {
    const k = key(item);
    if (k) incoming.set(k, item);
  }
  for (const item of [...list.children]) {
    const k = key(item);
    if (k && !incoming.has(k)) item.remove();
  }
  const present = new Set([...list.children].map(key).filter(Boolean));
  for (const [k, item] of incoming) if (!present.has(k)) list.append(doc.importNode(item, true));
  const empty = list.querySelector("[data-empty]");
  if (incoming.size > 0) empty?.remove();
  else if (!empty) {
    const li = doc.createElement("li");
    li.className = "muted empty";
    li.dataset.empty = "";
    li.textContent = "Nothing is waiting.";
    list.append(li);
  }
  list.dataset.count = String(incoming.size);
  updateCount(doc, incoming.size);
}

function updateCount(doc: Document, n: number): void {
  const link = doc.querySelector<HTMLAnchorElement>('nav a[href="/dashboard/approvals"]');
  if (!link) return;
  let badge = link.querySelector<HTMLElement>("[data-pending-count]");
  if (n === 0) {
    badge?.remove();
    return;
  }
  if (!badge) {
    badge = doc.createElement("span");
    badge.className = "count";
    badge.dataset.pendingCount = "";
    link.append(badge);
  }
  badge.textContent = String(n);
  const words = doc.createElement("span");
  words.className = "sr-only";
  words.textContent = " pending";
  badge.append(words);
}
