"""The web chat page's look and behaviour in the browser: its CSS, the script run once when the
page loads (``launch(js=...)``), and the documents list's own script (``gr.HTML(js_on_load=...)``).
"""

CSS = """
.gradio-container { max-width: 1440px !important; margin: 0 auto; }
#app-header h1 { margin: 0 0 2px 0; font-size: 1.6em; }
#app-header p { margin: 0; color: var(--body-text-color-subdued); }
.banner { padding: 7px 14px; border-radius: 8px; font-size: 0.92em; }
.banner code { font-weight: 600; }
.banner-ok { background: var(--background-fill-secondary); color: var(--body-text-color-subdued); }
.banner-info, .banner-starting, .banner-working { background: #eef2ff; color: #312e81; border: 1px solid #c7d2fe; }
.banner-warning { background: #fffbeb; color: #78350f; border: 1px solid #fcd34d; }
.banner-error { background: #fef2f2; color: #7f1d1d; border: 1px solid #fca5a5; }
#chat .answer-text { line-height: 1.55; }
#chat .sources { margin-top: 12px; border-top: 1px solid var(--border-color-primary); padding-top: 6px; }
#chat .sources-title { font-weight: 600; font-size: 0.82em; text-transform: uppercase; letter-spacing: 0.04em;
  margin: 6px 0; color: var(--body-text-color-subdued); }
#chat .source { margin: 8px 0 10px 0; }
#chat .source-head { font-size: 0.9em; }
#chat .source-n { font-weight: 700; color: var(--color-accent); }
#chat .source-title { font-weight: 600; }
#chat .source-file { color: var(--body-text-color-subdued); margin-left: 4px; }
#chat .source blockquote { margin: 4px 0 2px 0; padding: 6px 10px; font-size: 0.88em; line-height: 1.5;
  border-left: 3px solid #a5b4fc; background: var(--background-fill-secondary); border-radius: 0 6px 6px 0; }
#chat details.whole summary { cursor: pointer; font-size: 0.78em; color: var(--body-text-color-subdued); }
/* the highlight keeps dark text on yellow in both themes (a light theme colour on yellow is unreadable) */
#chat mark { background: #fde68a; color: #1f2937; padding: 0 2px; border-radius: 2px; }
#chat a.cite { text-decoration: none; font-weight: 600; color: var(--color-accent); }
#chat .open-source { margin-left: 6px; font-size: 0.9em; }
#chat .copy-text { display: none; }
#chat .copy-answer { margin-left: 4px; }
#question-count-box .count { font-size: 0.8em; color: var(--body-text-color-subdued); min-height: 1em; text-align: right; }
#question-count-box .count.over { color: var(--error-text-color, #b91c1c); font-weight: 600; }
#examples { gap: 6px; }
#examples button { font-weight: 400; }
#chat .refusal { color: #92400e; margin-bottom: 2px; }
#chat .error-message { color: #991b1b; }
#chat .note { font-size: 0.85em; color: var(--body-text-color-subdued); }
#chat .answer-meta { font-size: 0.75em; color: var(--body-text-color-subdued); margin-top: 8px; }
#chat .pending { color: var(--body-text-color-subdued); }
#chat .stopped { font-size: 0.85em; color: var(--body-text-color-subdued); font-style: italic; }
#chat .stopped-text { opacity: 0.8; }
/* Stop shows while an answer is being made; Retry once there is an answer to redo */
body:not(:has(#chat .answering)) #stop-answer { display: none !important; }
body:has(#chat .answering) #retry, body:not(:has(#chat [data-testid="bot"])) #retry { display: none !important; }
#chat-controls { gap: 6px; }
#documents .doc-list { max-height: 280px; overflow-y: auto; }
#documents .doc { padding: 7px 4px; border-bottom: 1px solid var(--border-color-primary); }
#documents .doc:last-child { border-bottom: none; }
#documents .doc-row { display: flex; align-items: flex-start; gap: 8px; }
#documents .doc-text { flex: 1; min-width: 0; }
#documents .doc-title { font-weight: 600; }
#documents button { font-size: 0.8em; padding: 2px 8px; border-radius: 6px; cursor: pointer;
  border: 1px solid var(--border-color-primary); background: var(--background-fill-secondary); color: var(--body-text-color); }
#documents .doc-remove-yes { background: #b91c1c; border-color: #b91c1c; color: #fff; }
#documents .doc-confirm { margin-top: 6px; font-size: 0.88em; }
#documents .doc.removing { opacity: 0.5; }
#documents .doc-meta { font-size: 0.85em; color: var(--body-text-color-subdued); word-break: break-all; }
#documents .empty { color: var(--body-text-color-subdued); padding: 6px 4px; }
/* the upload box's label in the flow, not floating over the box: wrapped on a phone, it covered the upload icon */
#upload [data-testid="block-label"] { position: static; }
#ingest-status .failed { color: #991b1b; }
#ingest-status .ok { color: #166534; }
#ingest-status .same { color: var(--body-text-color-subdued); }
#ingest-status .report { font-size: 0.92em; line-height: 1.6; }
"""


# The page's controls, run once when the page loads (launch(js=...)): the answers' plain-text
# "Copy", [n] links that scroll to their source card, and the question's character count (shown
# from 80% of the limit; past it, says by how much; the server refuses such a question with the
# same figures, it never cuts it).
SCRIPT = """
() => {
  const fmt = (n) => n.toLocaleString('en-US');
  document.addEventListener('click', (event) => {
    const copy = event.target.closest('#chat .copy-answer');
    if (copy) {
      event.preventDefault();
      event.stopPropagation();
      let node = copy;
      while (node && !node.querySelector('.copy-text')) node = node.parentElement;
      const text = node ? node.querySelector('.copy-text').textContent : '';
      navigator.clipboard.writeText(text).then(
        () => { copy.textContent = 'Copied'; setTimeout(() => { copy.textContent = 'Copy'; }, 1500); },
        () => { copy.textContent = 'Copy failed'; });
      return;
    }
    const cite = event.target.closest('#chat a.cite');
    if (cite) {
      event.preventDefault();
      event.stopPropagation();
      const card = document.getElementById(cite.getAttribute('href').slice(1));
      // and once more after the chat settles: when the link is clicked while the chat counts as
      // scrolled to its end, Gradio's autoscroll may take it back there just after
      if (card) {
        card.scrollIntoView({block: 'start'});
        setTimeout(() => card.scrollIntoView({block: 'start'}), 200);
      }
    }
  }, true);
  document.addEventListener('input', (event) => {
    if (!event.target.closest('#question')) return;
    const counter = document.getElementById('question-count');
    if (!counter) return;
    const limit = Number(counter.dataset.limit), length = event.target.value.length;
    counter.classList.toggle('over', length > limit);
    if (length > limit) {
      counter.textContent = `${fmt(length)} / ${fmt(limit)} characters: ${fmt(length - limit)} over the limit, shorten the question`;
    } else {
      counter.textContent = length >= 0.8 * limit ? `${fmt(length)} / ${fmt(limit)} characters` : '';
    }
  }, true);
}
"""


# The documents list's own script (gr.HTML js_on_load; ``element`` is the list, ``trigger`` sends
# its events): a row's "Remove" asks first, in the row; only "Remove" there sends the file's name
# (a "select" event) to the server, which removes it.
DOCUMENTS_SCRIPT = """
element.addEventListener('click', (event) => {
  const row = event.target.closest('.doc');
  if (!row) return;
  const confirm = row.querySelector('.doc-confirm');
  if (event.target.closest('.doc-remove')) {
    confirm.hidden = false;
    row.querySelector('.doc-remove-no').focus();
  } else if (event.target.closest('.doc-remove-no')) {
    confirm.hidden = true;
  } else if (event.target.closest('.doc-remove-yes')) {
    confirm.hidden = true;
    row.classList.add('removing');
    trigger('select', {value: row.dataset.source, index: [...element.querySelectorAll('.doc')].indexOf(row)});
  }
});
"""
