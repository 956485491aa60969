"""The chat page's CSS and JS (kept in Python so they ship with the package without package-data)."""

CSS = """
/* Chat page styles. Classes are set by ui/render.py; nothing here depends on article content. */
.gradio-container { max-width: 1280px !important; width: 100% !important; margin: 0 auto !important; }
#rag-header { align-items: center; margin-bottom: 4px; }
.rag-brand h1 { font-size: 1.45rem; font-weight: 700; margin: 0 0 2px 0; letter-spacing: -0.01em; }
.rag-brand p { margin: 0; color: var(--body-text-color-subdued); font-size: 0.92rem; }
#rag-status { display: flex; justify-content: flex-end; }
.rag-status { display: inline-flex; align-items: center; gap: 8px; font-size: 0.82rem; padding: 4px 10px;
  border-radius: 999px; border: 1px solid var(--border-color-primary); color: var(--body-text-color-subdued);
  background: var(--background-fill-secondary); white-space: nowrap; }
.rag-status .dot { width: 8px; height: 8px; border-radius: 50%; background: #16a34a; display: inline-block; }
.rag-status.bad { color: #b91c1c; border-color: #fecaca; background: #fef2f2; white-space: normal; }

/* answers */
.rag-answer { line-height: 1.6; }
a.cite, span.cite { font-size: 0.78em; font-weight: 600; vertical-align: super; line-height: 0;
  padding: 0 2px; text-decoration: none !important; }
a.cite { color: var(--color-accent) !important; cursor: pointer; }
a.cite:hover { text-decoration: underline !important; }
span.cite-old { color: var(--body-text-color-subdued); }
.rag-foot { margin-top: 8px; font-size: 0.74rem; color: var(--body-text-color-subdued);
  border-top: 1px dashed var(--border-color-primary); padding-top: 5px; }
.rag-draft { color: var(--body-text-color-subdued); }
.rag-draft-text { font-style: italic; opacity: 0.85; margin-top: 4px; }
.rag-draft-badge { display: inline-flex; align-items: center; gap: 6px; font-size: 0.75rem; font-weight: 600;
  text-transform: uppercase; letter-spacing: 0.04em; color: #92400e; background: #fef3c7; border-radius: 999px;
  padding: 2px 9px; }
.rag-spinner { width: 10px; height: 10px; border-radius: 50%; border: 2px solid currentColor;
  border-right-color: transparent; display: inline-block; animation: rag-spin 0.8s linear infinite; }
@keyframes rag-spin { to { transform: rotate(360deg); } }
.rag-abstain { background: #f1f5f9; border: 1px solid #cbd5e1; border-left: 4px solid #94a3b8; border-radius: 8px;
  padding: 8px 12px; color: #334155; }
.rag-abstain-head { font-weight: 700; font-size: 0.8rem; text-transform: uppercase; letter-spacing: 0.05em;
  color: #64748b; margin-bottom: 3px; }
.rag-error { background: #fef2f2; border: 1px solid #fecaca; border-left: 4px solid #dc2626; border-radius: 8px;
  padding: 8px 12px; color: #7f1d1d; }
.rag-error-head { font-weight: 700; font-size: 0.8rem; text-transform: uppercase; letter-spacing: 0.05em;
  margin-bottom: 3px; }
.rag-placeholder { text-align: center; color: var(--body-text-color-subdued); line-height: 1.6; }

/* sources */
#rag-sources { padding: 2px; }
.rag-sources-head { font-size: 0.78rem; font-weight: 700; text-transform: uppercase; letter-spacing: 0.06em;
  color: var(--body-text-color-subdued); margin: 2px 2px 8px; }
.rag-sources-empty, .rag-sources-none { color: var(--body-text-color-subdued); font-size: 0.9rem; padding: 18px;
  border: 1px dashed var(--border-color-primary); border-radius: 10px; background: var(--background-fill-secondary); }
.rag-card { border: 1px solid var(--border-color-primary); border-radius: 10px; padding: 12px 14px;
  margin-bottom: 10px; background: var(--background-fill-primary); box-shadow: 0 1px 2px rgba(15, 23, 42, 0.05);
  scroll-margin: 12px; transition: box-shadow 0.3s, border-color 0.3s; }
.rag-card header { display: flex; gap: 10px; align-items: flex-start; }
.rag-card-n { flex: none; width: 24px; height: 24px; border-radius: 50%; background: var(--color-accent);
  color: white; font-weight: 700; font-size: 0.8rem; display: inline-flex; align-items: center;
  justify-content: center; margin-top: 1px; }
.rag-card-title { font-weight: 650; line-height: 1.3; }
.rag-card-meta { font-size: 0.75rem; color: var(--body-text-color-subdued); margin-top: 2px; }
.rag-card-file { font-family: var(--font-mono); }
.rag-card-context { margin: 10px 0 0 0; padding: 8px 12px; border-left: 3px solid var(--border-color-primary);
  background: var(--background-fill-secondary); border-radius: 0 6px 6px 0; font-size: 0.88rem;
  line-height: 1.55; color: var(--body-text-color); }
.rag-card-context mark { background: #fde68a; color: inherit; padding: 1px 0; border-radius: 3px; }
.rag-card.rag-flash { border-color: var(--color-accent); box-shadow: 0 0 0 3px rgba(99, 102, 241, 0.35); }

/* uploads */
.rag-upload-help { font-size: 0.85rem; color: var(--body-text-color-subdued); margin-bottom: 6px; }
.rag-upload-report ul { list-style: none; padding: 0; margin: 6px 0; font-size: 0.88rem; }
.rag-upload-report li { padding: 3px 0; }
.rag-upload-report li.ok b { color: #15803d; }
.rag-upload-report li.bad b { color: #b91c1c; }
.rag-upload-report li.meh b { color: #64748b; }
.rag-upload-total { font-size: 0.8rem; color: var(--body-text-color-subdued); }

/* layout polish */
#rag-input-row { gap: 8px; align-items: stretch; margin-top: 4px; }
#rag-input-row textarea { min-height: 44px; font-size: 0.98rem; }
#rag-send, #rag-clear { min-height: 44px; }
.rag-card .rag-card-context { margin: 10px 0 0 0 !important; }
#rag-chat .rag-question { white-space: normal; }
.rag-foot .rag-ok { color: #15803d; font-weight: 600; }
#rag-chat button.example { border: 1px solid var(--border-color-primary); border-radius: 10px;
  background: var(--background-fill-secondary); text-align: left; transition: border-color 0.2s, background 0.2s; }
#rag-chat button.example:hover { border-color: var(--color-accent); background: var(--background-fill-primary); }
"""

# Runs once on page load (Gradio's ``launch(js=...)``).
JS = """
() => {
  // [n] markers in an answer are links to #source-n; bring the card into view and flash it.
  if (window.__ragCiteHandler) return;
  window.__ragCiteHandler = true;
  document.addEventListener("click", (event) => {
    const link = event.target && event.target.closest ? event.target.closest("a.cite") : null;
    if (!link) return;
    const id = (link.getAttribute("href") || "").replace(/^#/, "");
    const card = id ? document.getElementById(id) : null;
    if (!card) return;
    event.preventDefault();
    event.stopPropagation();
    card.scrollIntoView({ behavior: "smooth", block: "nearest" });
    card.classList.remove("rag-flash");
    void card.offsetWidth;
    card.classList.add("rag-flash");
  }, true);
}
"""
