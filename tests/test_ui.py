"""The chat page's server, driven through gradio_client: a real Gradio server over a real Pipeline.

Extractive answer mode (no LLM) keeps this module fast; tests/test_page.py drives the page in Chromium with
the real local model."""

from __future__ import annotations

import re
from html import unescape

import pytest

from conftest import SEEDS, assert_answer_invariants, free_port, original_text
from rag import Answer, AnswerTrace, Citation, FileError, Pipeline, Settings
from ui import render
from ui.app import build_demo, read_upload, safe_name


def _answer(d: dict) -> Answer:
    return Answer(text=d["text"], citations=[Citation(**c) for c in d["citations"]], abstained=d["abstained"],
                  trace=AnswerTrace.from_dict(d["metadata"]), question=d["question"])


def _plain(html_text: str) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", html_text))


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A real server over an *empty* index: launching it must index seeds/ by itself."""
    from gradio_client import Client

    home = tmp_path_factory.mktemp("ui_home")
    settings = Settings.from_env({
        "RAG_HOME": str(home), "RAG_SEEDS_DIR": str(SEEDS), "RAG_ANSWER_MODE": "extractive",
        "RAG_ALLOW_UPLOADS": "1", "RAG_MAX_FILE_BYTES": "20000",
    })
    pipeline = Pipeline(settings)
    demo = build_demo(pipeline)
    port = free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        demo.seeder.wait(120)
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        yield pipeline, client, demo
    finally:
        demo.close()


def test_launch_indexes_seeds_into_an_empty_index(served):
    pipeline, _, demo = served
    assert demo.seeder.state == "ready", demo.seeder.message
    assert pipeline.index.count() > 0
    assert "passages indexed" in demo.seeder.status_html()


def test_ask_api_returns_cited_answer(served):
    pipeline, client, _ = served
    result = client.predict("When was the NATO-Russia Council meeting scheduled?", api_name="/ask")
    answer = _answer(result)
    assert not answer.abstained
    assert_answer_invariants(answer)  # quotes equal seeds/<source>[start:end]
    for c in answer.citations:
        assert (SEEDS / c.source).exists()
        assert original_text(c.source)[c.start : c.end] == c.quote
    assert any("NATO-Russia Council" in c.quote for c in answer.citations)
    assert result["metadata"]["backend"] == "extractive"


def test_ask_api_abstains_on_unanswerable(served):
    _, client, _ = served
    answer = _answer(client.predict("What is the capital of Australia?", api_name="/ask"))
    assert answer.abstained
    assert answer.citations == []
    assert_answer_invariants(answer)


def test_ask_api_reports_bad_question_clearly(served):
    from gradio_client.exceptions import AppError

    _, client, _ = served
    with pytest.raises(AppError, match="limit is 2,000"):
        client.predict("why " * 600, api_name="/ask")
    # the server keeps working afterwards
    assert not client.predict("Who visited Kyiv on Monday?", api_name="/ask")["abstained"]


def test_upload_new_article_then_ask_about_it(served, tmp_path):
    from gradio_client import handle_file

    pipeline, client, _ = served
    article = tmp_path / "veldhaven_port.txt"
    article.write_text(
        "Veldhaven opens lunar cargo terminal\n"
        "The port authority of Veldhaven said on Tuesday that its lunar cargo terminal will open on March 3, 2031.\n"
        "The terminal cost 42 million euros and will handle twelve launches a year.\n",
        encoding="utf-8",
    )
    report = client.predict([handle_file(str(article))], api_name="/upload")
    assert "Added" in report and "veldhaven_port.txt" in report
    answer = _answer(client.predict("When will the Veldhaven lunar cargo terminal open?", api_name="/ask"))
    assert not answer.abstained
    assert {c.source for c in answer.citations} == {"veldhaven_port.txt"}
    assert_answer_invariants(answer, pipeline=pipeline)
    assert pipeline.index.original_text("veldhaven_port.txt") == article.read_text(encoding="utf-8")
    # the same file again changes nothing
    assert "Unchanged" in client.predict([handle_file(str(article))], api_name="/upload")


def test_upload_refuses_binary_and_keeps_the_index(served, tmp_path):
    from gradio_client import handle_file

    pipeline, client, _ = served
    before = pipeline.index.count()
    fingerprint = pipeline.index.fingerprint()
    binary = tmp_path / "photo.txt"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    latin1 = tmp_path / "latin.md"
    latin1.write_bytes("Caf\xe9 na\xefve r\xe9sum\xe9 of the week".encode("latin-1"))
    big = tmp_path / "big.txt"
    big.write_text("A long sentence about nothing in particular. " * 1000, encoding="utf-8")
    report = client.predict([handle_file(str(p)) for p in (binary, latin1, big)], api_name="/upload")
    text = _plain(report)
    assert text.count("Refused") == 3
    assert "photo.txt" in text and "binary" in text
    assert "latin.md" in text and "UTF-8" in text
    assert "big.txt" in text and "too large" in text
    assert "Added" not in text
    assert pipeline.index.count() == before
    assert pipeline.index.fingerprint() == fingerprint
    # and the index still answers
    assert not client.predict("Who visited Kyiv on Monday?", api_name="/ask")["abstained"]


def test_upload_names_and_reading_rules(tmp_path):
    assert safe_name("../../etc/passwd.txt") == "passwd.txt"
    assert safe_name("C:\\Users\\me\\..\\notes.md") == "notes.md"
    assert safe_name("..hidden.txt") == "hidden.txt"
    assert safe_name("a\x00b\nc.txt") == "abc.txt"
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    with pytest.raises(FileError, match="empty"):
        read_upload("empty.txt", empty, 1000)
    blank = tmp_path / "blank.txt"
    blank.write_text("  \n\t\n", encoding="utf-8")
    with pytest.raises(FileError, match="whitespace"):
        read_upload("blank.txt", blank, 1000)
    exe = tmp_path / "tool.exe"
    exe.write_bytes(b"MZ\x90\x00")
    with pytest.raises(FileError, match="unsupported type"):
        read_upload("tool.exe", exe, 1000)
    ok = tmp_path / "ok.md"
    ok.write_text("\ufeff# Title\nText é.", encoding="utf-8")
    assert read_upload("ok.md", ok, 1000) == "# Title\nText é."


def test_uploads_are_off_by_default(tmp_path):
    settings = Settings.from_env({"RAG_HOME": str(tmp_path / "home"), "RAG_SEEDS_DIR": str(SEEDS)})
    demo = build_demo(Pipeline(settings, auto_ingest=False))
    names = {fn.api_name for fn in demo.fns.values()}
    assert "ask" in names and "upload" not in names
    assert not any(getattr(b, "elem_id", None) == "rag-files" for b in demo.blocks.values())


def test_card_renderer_escapes_article_text_and_questions():
    original = (
        "Evil <b>page</b>\n"
        "Intro line.\n"
        "Before the quote <img src=x onerror=alert(1)>. <script>window.__xss=1</script> after the quote & more.\n"
    )
    quote = "<script>window.__xss=1</script>"
    start = original.index(quote)
    citation = Citation(n=1, source='evil"<x>.txt', title="<img src=x onerror=alert(2)>", chunk_id='evil"<x>.txt#0',
                        quote=quote, start=start, end=start + len(quote), date="2024-01-02")
    answer = Answer(text=f"It says {quote} [1].", citations=[citation], question="<b>q</b>")
    cards = render.sources_html(answer, lambda source: original)
    bubble = render.answer_html(answer)
    asked = render.question_html('<img src=x onerror="window.__xss=1">')
    for html_text in (cards, bubble, asked):
        assert "<script" not in html_text
        assert "<img" not in html_text
        assert "<b>" not in html_text
    assert "<mark>&lt;script&gt;window.__xss=1&lt;/script&gt;</mark>" in cards
    assert "&lt;img src=x onerror=alert(1)&gt;" in cards  # the surrounding paragraph is shown, escaped
    assert 'id="source-1"' in cards and "2024-01-02" in cards and "evil&quot;&lt;x&gt;.txt" in cards
    assert '<a class="cite" href="#source-1"' in bubble
    assert "&lt;img src=x onerror=&quot;window.__xss=1&quot;&gt;" in asked


def test_abstention_and_errors_render_without_cards():
    answer = Answer(text="The articles don't say the answer. They cover: “<i>NATO</i>”.", abstained=True,
                    trace=AnswerTrace(backend="extractive", model="none"))
    assert "No sources" in render.sources_html(answer, lambda s: "")
    bubble = render.answer_html(answer, 0.25)
    assert "rag-abstain" in bubble and "No answer in the articles" in bubble and "cite" not in bubble
    assert "&lt;i&gt;" in bubble and "0.2 s" in bubble
    assert "&lt;script&gt;" in render.error_html("<script>x</script>")
    older = render.answer_html(Answer(text="A [1].", citations=[Citation(1, "a.txt", "A", "a.txt#0", "A.", 0, 2)]))
    assert 'href="#source-1"' not in render.delink(older) and "[1]" in render.delink(older)


def test_context_is_the_paragraph_around_the_quote():
    text = "Title\n" + "word " * 400 + "THE QUOTE." + " tail" * 400 + "\nNext paragraph."
    start = text.index("THE QUOTE.")
    lo, hi = render.context_bounds(text, start, start + len("THE QUOTE."), max_chars=200)
    assert lo < start and hi > start + 10
    assert hi - lo <= 220
    assert "\n" not in text[lo:hi]
    short = "One.\nTwo sentences here. The quote.\nThree."
    s = short.index("The quote.")
    assert short[slice(*render.context_bounds(short, s, s + 10))] == "Two sentences here. The quote."


@pytest.mark.parametrize("auth, ok", [("", True), ("ann:secret", True), ("nocolon", False)])
def test_auth_setting(auth, ok):
    from rag import ConfigurationError
    from ui.app import _parse_auth

    if ok:
        assert _parse_auth(auth) == (tuple(auth.split(":", 1)) if auth else None)
    else:
        with pytest.raises(ConfigurationError):
            _parse_auth(auth)



def test_chat_shows_backend_errors_as_a_bubble_and_recovers(served):
    """A misconfigured backend (openai without a key) gives an error bubble, not a crash; the same session then
    gets answers again from a working pipeline."""
    pipeline, _, _ = served
    broken = Pipeline(pipeline.settings.with_(llm="openai", answer_mode="auto", openai_api_key=""),
                      index=pipeline.index)
    demo = build_demo(broken)
    state = {"display": [], "history": []}
    *_, (box, display, sources, state) = list(demo.respond("Who visited Kyiv on Monday?", state))
    assert box == ""
    assert "rag-error" in display[-1]["content"] and "OPENAI_API_KEY" in display[-1]["content"]
    assert "rag-card" not in sources
    assert state["history"] == []  # the failed turn is not sent as context later
    working = build_demo(pipeline)
    *_, (_, display, sources, state) = list(working.respond("Who visited Kyiv on Monday?", state))
    assert "rag-error" in display[1]["content"] and "rag-answer" in display[-1]["content"]
    assert 'id="source-1"' in sources
    assert [m["role"] for m in state["history"]] == ["user", "assistant"]
