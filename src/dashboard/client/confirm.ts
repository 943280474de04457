/** Forms with `data-confirm` ask first, in the words the page gives (what the action stops). */
export function confirmForms(doc: Document): void {
  doc.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    const question = form.dataset.confirm;
    if (question && !window.confirm(question)) event.preventDefault();
  });
}
