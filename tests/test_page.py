"""The chat page in a real headless Chromium (Debian's /usr/bin/chromium, driven by Playwright), over a real
Gradio server and a Pipeline with the real default local model (SmolLM2 through llama-cpp)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

from conftest import OUTPUT, ROOT, SEEDS, free_port
from rag import Pipeline, Settings
from ui.app import build_demo

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOT = ROOT / "ui" / "screenshot.png"

EVIL = (
    "Quorvath harvest fair\n"
    "The Quorvath harvest fair opens on 14 May in Lindmoor. <script>window.__xss = 2</script> "
    "<img src=x onerror=\"window.__xss = 3\"> Organisers expect 3,000 visitors.\n"
)

# Records every draft bubble the page shows while an answer streams (before it is replaced).
WATCH_DRAFTS = """() => {
  window.__drafts = [];
  const seen = (node) => {
    if (node.nodeType !== 1) return;
    const d = node.matches('.rag-draft') ? node : node.querySelector('.rag-draft');
    if (d) window.__drafts.push(d.textContent);
  };
  window.__obs && window.__obs.disconnect();
  window.__obs = new MutationObserver((ms) => ms.forEach((m) => m.addedNodes.forEach(seen)));
  window.__obs.observe(document.body, {childList: true, subtree: true});
}"""


def _launch(pipeline):
    demo = build_demo(pipeline)
    port = free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    return demo, f"http://127.0.0.1:{port}/"


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    """Two pages over one index: extractive answers (fast, most tests) and the real default local model."""
    home = tmp_path_factory.mktemp("page_home")
    env = {"RAG_HOME": str(home), "RAG_SEEDS_DIR": str(SEEDS)}
    fast = Pipeline(Settings.from_env({**env, "RAG_ANSWER_MODE": "extractive"}))
    fast.ingest([SEEDS])
    fast.add_texts([("quorvath_fair.txt", EVIL)])
    real = Pipeline(Settings.from_env(env), index=fast.index)  # default settings: SmolLM2 via llama-cpp
    launched = [_launch(fast), _launch(real)]
    try:
        yield {"fast": (launched[0][1], fast), "real": (launched[1][1], real)}
    finally:
        for demo, _ in launched:
            demo.close()


@pytest.fixture(scope="module")
def server(servers):
    return servers["fast"]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Debian's chromium is needed: apt-get install chromium"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


def open_page(browser, url: str, width: int = 1280, height: int = 900):
    context = browser.new_context(viewport={"width": width, "height": height})
    pg = context.new_page()
    pg.goto(url)
    pg.wait_for_selector(".rag-status.ok", timeout=60_000)
    return context, pg


@pytest.fixture
def page(browser, server):
    context, pg = open_page(browser, server[0])
    yield pg
    context.close()


DONE = "document.querySelectorAll('#rag-chat .rag-foot, #rag-chat .rag-error').length"


def ask(page, question: str, example: bool = False, timeout: float = 120_000):
    """Type a question (or click its example chip) and submit; wait until the verified answer (or abstention)
    has replaced the draft."""
    page.evaluate(WATCH_DRAFTS)
    before = page.evaluate(DONE)
    if example:
        page.locator("#rag-chat button.example", has_text=question).click()
    else:
        box = page.locator("#rag-question textarea")
        box.fill(question)
        box.press("Enter")
    page.wait_for_function(f"{DONE} > {before}", timeout=timeout)
    bubble = page.locator("#rag-chat [data-testid='bot']").last
    assert bubble.locator(".rag-error").count() == 0, bubble.inner_text()
    assert page.locator("#rag-chat .rag-draft").count() == 0, "the draft is gone once the answer is verified"
    return bubble


def test_real_model_answer_streams_then_settles_into_cited_answer(browser, servers):
    """The one page test with the real default local model: draft streams, then the verified answer."""
    url, pipeline = servers["real"]
    OUTPUT.mkdir(parents=True, exist_ok=True)
    context, page = open_page(browser, url)
    try:
        _check_cited_answer(page, pipeline)
    finally:
        context.close()


def _check_cited_answer(page, pipeline):
    bubble = ask(page, "When was the NATO-Russia Council meeting scheduled?")
    drafts = page.evaluate("window.__drafts")
    assert any("verifying" in d for d in drafts), f"the model's draft was shown as a draft first: {drafts}"
    marker = bubble.locator("a.cite", has_text="[1]")
    expect(marker).to_be_visible()
    assert bubble.locator(".rag-answer").count() == 1
    foot = bubble.locator(".rag-foot").inner_text()
    described = pipeline.describe()
    assert f"backend {described['backend']}" in foot and f"model {described['model']}" in foot and " s" in foot

    card = page.locator("#source-1")
    expect(card).to_be_visible()
    mark = card.locator("mark")
    expect(mark).to_be_visible()
    source = card.get_attribute("data-source")
    start, end = int(card.get_attribute("data-start")), int(card.get_attribute("data-end"))
    quote = pipeline.index.original_text(source)[start:end]
    assert (SEEDS / source).exists()
    assert " ".join(mark.inner_text().split()) == " ".join(quote.split())
    # only cited sources: one card per [n] in the answer
    markers = set(bubble.locator("a.cite").all_inner_texts())
    assert page.locator("#rag-sources .rag-card").count() == len(markers)
    assert page.locator("#rag-upload").count() == 0, "uploads are off by default"

    page.screenshot(path=str(OUTPUT / "page_answer.png"))
    shutil.copyfile(OUTPUT / "page_answer.png", SCREENSHOT)


def test_marker_click_brings_card_into_view(browser, server):
    context, page = open_page(browser, server[0], 720, 640)  # narrow: sources stack under the chat
    try:
        bubble = ask(page, "How much was the US military aid package Blinken announced?")
        card = page.locator("#source-1")
        page.evaluate("window.scrollTo(0, 0)")
        expect(card).not_to_be_in_viewport()
        bubble.locator("a.cite", has_text="[1]").first.click()
        expect(card).to_be_in_viewport()
        page.screenshot(path=str(OUTPUT / "page_marker_click.png"))
    finally:
        context.close()


def test_no_script_from_question_or_article_runs(page):
    # the cited sentence of this article holds <script> and <img onerror> text: shown as text, never run
    bubble = ask(page, "How many visitors do organisers of the Quorvath harvest fair expect?")
    expect(bubble.locator("a.cite").first).to_be_visible()
    cards = page.locator("#rag-sources .rag-card")
    assert cards.first.get_attribute("data-source") == "quorvath_fair.txt"
    expect(cards.first.locator("mark")).to_contain_text("<script>window.__xss = 2</script>")
    expect(cards.first.locator("mark")).to_contain_text('<img src=x onerror="window.__xss = 3">')
    ask(page, 'What does <img src=x onerror="window.__xss=1"> mean for NATO?')
    user = page.locator("#rag-chat [data-testid='user']").last
    expect(user).to_contain_text('<img src=x onerror="window.__xss=1">')  # the question is shown as text
    page.screenshot(path=str(OUTPUT / "page_xss.png"))
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.locator("#rag-chat script, #rag-chat img, #rag-sources script, #rag-sources img").count() == 0


def test_each_browser_session_has_its_own_chat(browser, server):
    (ctx_a, a), (ctx_b, b) = open_page(browser, server[0]), open_page(browser, server[0])
    try:
        ask(a, "Who visited Kyiv on Monday?", example=True)
        ask(b, "When was the NATO-Russia Council meeting scheduled?")
        ask(a, "What is the capital of Australia?")
        assert a.locator("#rag-chat [data-testid='user']").all_inner_texts() == [
            "Who visited Kyiv on Monday?", "What is the capital of Australia?"]
        assert b.locator("#rag-chat [data-testid='user']").all_inner_texts() == [
            "When was the NATO-Russia Council meeting scheduled?"]
        assert b.locator("#rag-sources .rag-card").count() >= 1  # b's sources survive a's abstention
    finally:
        ctx_a.close()
        ctx_b.close()


def test_unanswerable_question_shows_grey_box_and_clear_resets(page):
    bubble = ask(page, "What is the capital of Australia?")
    expect(bubble.locator(".rag-abstain")).to_be_visible()
    assert bubble.locator("a.cite").count() == 0
    expect(page.locator("#rag-sources .rag-sources-none")).to_be_visible()
    assert page.locator("#rag-sources .rag-card").count() == 0
    page.screenshot(path=str(OUTPUT / "page_abstain.png"))
    page.locator("#rag-clear").click()
    expect(page.locator("#rag-chat [data-testid='bot']")).to_have_count(0)
    expect(page.locator("#rag-sources .rag-sources-empty")).to_be_visible()
