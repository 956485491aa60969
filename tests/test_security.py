"""Security: secrets never leak (logs at DEBUG, error messages, reprs, CLI stderr, the page and its config), the
page's login (RAG_AUTH) really locks it, uploads stay off unless RAG_ALLOW_UPLOADS, upload names cannot reach
outside the upload folder, and article content is never executed (page, prompt, eval): it renders as text."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from conftest import ROOT, SEEDS, assert_answer_invariants, free_port
from fake_openai import FakeOpenAI

from rag import ConfigurationError, LLMError, Pipeline, RagError, Settings, VectorStoreError

pytestmark = pytest.mark.timeout(400)

API_KEY = "sk-test-SECRET123456789"
CHROMA_TOKEN = "chroma-tok-SECRET-55501"
PASSWORD = "hunter2-SECRET-pass"
USER = "editor"
SECRETS = (API_KEY, CHROMA_TOKEN, PASSWORD, "SECRET")
KNOWN_Q = "Which news agency did Josep Borrell speak to about the purpose of his trip to Ukraine?"
KNOWN_QUOTE = ("The European Union's top diplomat told Poland’s PAP news agency that the purpose of his trip is to talk "
               "to the Ukrainians about their concerns and ways to address them.")

# An article that would do something if anything along the way executed or templated it.
EVIL = (
    "Brindlecombe lantern festival\n"
    "The Brindlecombe lantern festival will open on 9 June with {{7*7}} lanterns, ${7*7} drummers, {question} banners "
    "and a <script>window.__pwned = 1; alert(1)</script> stall on the quay. "
    "<img src=x onerror=\"window.__pwned = 2\"> "
    "Organisers printed the code {__import__('os').system('touch PWNED_MARKER')} on every ticket.\n"
)
EVIL_Q = "When will the Brindlecombe lantern festival open?"
EVIL_LITERALS = ("{{7*7}}", "${7*7}", "<script>window.__pwned = 1; alert(1)</script>", "{question}")


def secret_env(home: Path, **extra: str) -> dict[str, str]:
    return {"RAG_HOME": str(home), "RAG_SEEDS_DIR": str(SEEDS), "OPENAI_API_KEY": API_KEY,
            "RAG_CHROMA_TOKEN": CHROMA_TOKEN, "RAG_AUTH": f"{USER}:{PASSWORD}", **extra}


def assert_no_secret(text: str, where: str) -> None:
    for s in SECRETS:
        assert s not in text, f"{s!r} leaked in {where}: ...{text[max(0, text.find(s) - 200):text.find(s) + 100]}..."


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """An extractive pipeline over seeds/ plus the evil article; its settings carry every secret."""
    home = tmp_path_factory.mktemp("security_home")
    p = Pipeline(Settings.from_env(secret_env(home, RAG_ANSWER_MODE="extractive")))
    p.ingest([SEEDS])
    p.add_texts([("brindlecombe.txt", EVIL)])
    return p


# ----------------------------------------------------------------------------------------- secrets


def test_reprs_hold_no_secret(base):
    s = base.settings
    assert s.openai_api_key == API_KEY and s.chroma_token == CHROMA_TOKEN  # they are set...
    openai = Pipeline(s.with_(llm="openai", answer_mode="auto", openai_base_url="http://127.0.0.1:9/v1"),
                      index=base.index)
    for obj in (s, base, openai, openai.chat_model, openai.describe(), base.index):
        assert_no_secret(repr(obj), f"repr({type(obj).__name__})")
        assert_no_secret(str(obj), f"str({type(obj).__name__})")


def test_logs_and_errors_hold_no_secret(base, chroma_server, caplog, capfd, tmp_path):
    """Every path that talks to a secret-holding backend, with every logger at DEBUG."""
    caplog.set_level(logging.DEBUG)
    for name in ("openai", "httpx", "httpcore", "httpx2", "httpcore2", "chromadb", "rag", "langchain", "urllib3"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    errors: list[str] = []
    env = secret_env(tmp_path, RAG_LLM="openai", RAG_ANSWER_MODE="auto", RAG_LLM_RETRIES="1")
    for script in (["ok"], ["500echo"], ["401echo"], ["garbage"]):
        with FakeOpenAI(script=script, reply=KNOWN_QUOTE + " [1]") as fake:
            p = Pipeline(Settings.from_env({**env, "OPENAI_BASE_URL": fake.base_url}), index=base.index)
            try:
                a = p.ask(KNOWN_Q)
                errors.append(a.format() + json.dumps(a.to_dict(), default=str))
            except RagError as exc:
                errors.append(f"{exc!s} {exc!r}")
            assert any(API_KEY in r["headers"].get("authorization", "") for r in fake.chat_requests)
    assert any("Bearer ***" in e for e in errors), "the leaky 500 body was redacted"
    # the Chroma server: a token-carrying client, first up, then a port where nothing listens
    host, port, _, _ = chroma_server
    server = Pipeline(Settings.from_env(secret_env(tmp_path / "srv", RAG_CHROMA_HOST=host, RAG_CHROMA_PORT=str(port),
                                                   RAG_COLLECTION="security_probe",
                                                   RAG_ANSWER_MODE="extractive")), auto_ingest=False)
    server.add_texts([("brindlecombe.txt", EVIL)])
    errors.append(server.ask(EVIL_Q).format())
    down = Settings.from_env(secret_env(tmp_path / "down", RAG_CHROMA_HOST="127.0.0.1", RAG_CHROMA_PORT=str(free_port())))
    with pytest.raises(VectorStoreError) as err:
        Pipeline(down).ask(KNOWN_Q)
    errors.append(f"{err.value!s} {err.value!r}")
    for name, value in (("RAG_TOP_K", f"5{API_KEY}"), ("RAG_CHROMA_PORT", CHROMA_TOKEN), ("RAG_PORT", PASSWORD)):
        with pytest.raises(ConfigurationError) as err:  # a secret pasted into the wrong setting
            Settings.from_env({**secret_env(tmp_path), name: value})
        errors.append(str(err.value))

    logged = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    assert len(caplog.records) > 20  # the loggers really were talking
    out, err_out = capfd.readouterr()
    assert_no_secret(logged, "the DEBUG logs")
    assert_no_secret(out + err_out, "stdout/stderr")
    for e in errors:
        assert_no_secret(e, "an error message or answer")


def _cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if not k.startswith(("RAG_", "OPENAI_"))}
    full.update(env)
    return subprocess.run([sys.executable, "-m", "rag.cli", "-v", *args], cwd=ROOT, env=full, capture_output=True,
                          text=True, timeout=180)


def test_cli_stderr_holds_no_secret(base, tmp_path):
    home = base.settings.home  # the CLI reads the same (finished) index; the pipeline above only reads it too
    with FakeOpenAI(script=["500echo"], reply="x") as fake:
        env = secret_env(Path(home), RAG_LLM="openai", OPENAI_BASE_URL=fake.base_url, RAG_LLM_RETRIES="0")
        runs = [_cli(["ask", KNOWN_Q], env)]
        assert fake.chat_requests, "the CLI did reach the leaky server"
    runs.append(_cli(["ask", KNOWN_Q], secret_env(tmp_path, RAG_CHROMA_HOST="127.0.0.1",
                                                  RAG_CHROMA_PORT=str(free_port()))))
    runs.append(_cli(["ask", KNOWN_Q], secret_env(tmp_path, RAG_LLM="nonsense")))
    codes = [r.returncode for r in runs]
    assert codes == [LLMError.exit_code, VectorStoreError.exit_code, ConfigurationError.exit_code]
    for r in runs:
        assert r.stderr.count("error: ") == 1 and "Traceback" not in r.stderr
        assert_no_secret(r.stdout + r.stderr, f"`rag {' '.join(r.args[3:4])}` output")


# ----------------------------------------------------------------------------------- the page: login, config


def _launch(pipeline: Pipeline, **kwargs):
    from ui.app import build_demo

    demo = build_demo(pipeline)
    port = free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True, **kwargs)
    demo.seeder.wait(120)
    return demo, f"http://127.0.0.1:{port}/"


def test_page_and_config_hold_no_secret_and_uploads_are_off(base):
    from gradio_client import Client

    assert base.settings.allow_uploads is False  # the default
    demo, url = _launch(base)
    try:
        pages = {path: httpx.get(url + path, timeout=30) for path in ("", "config", "gradio_api/info")}
        for path, r in pages.items():
            assert r.status_code == 200, path
            assert_no_secret(r.text, f"GET /{path}")
        assert "upload" not in json.dumps(pages["gradio_api/info"].json()["named_endpoints"])
        client = Client(url, verbose=False)
        assert "/upload" not in client.view_api(print_info=False, return_format="dict")["named_endpoints"]
        before = base.index.count()
        r = httpx.post(url + "gradio_api/call/upload", json={"data": [[]]}, timeout=30)
        assert r.status_code >= 400  # no such endpoint while uploads are off
        assert base.index.count() == before
        assert "rag-files" not in pages["config"].text
    finally:
        demo.close()


def test_auth_from_rag_auth_locks_the_page(base, capsys):
    from gradio_client import Client

    from ui.app import serve

    port = free_port()
    app, _, _ = serve("127.0.0.1", port, pipeline=base, block=False)
    try:
        url = f"http://127.0.0.1:{port}/"
        assert "login required" in capsys.readouterr().out
        for path in ("config", "gradio_api/info"):
            assert httpx.get(url + path, timeout=30).status_code == 401, path
        home = httpx.get(url, timeout=30)
        assert_no_secret(home.text, "the login page")
        r = httpx.post(url + "gradio_api/call/ask", json={"data": [KNOWN_Q]}, timeout=30)
        assert r.status_code == 401
        with pytest.raises(Exception):
            Client(url, verbose=False).predict(KNOWN_Q, api_name="/ask")
        assert httpx.post(url + "login", data={"username": USER, "password": "wrong"}, timeout=30).status_code == 400
        with httpx.Client(base_url=url, timeout=30) as session:
            ok = session.post("login", data={"username": USER, "password": PASSWORD})
            assert ok.status_code == 200 and ok.json() == {"success": True}
            for path in ("", "config"):
                r = session.get(path)
                assert r.status_code == 200, path
                assert_no_secret(r.text, f"GET /{path} after login")
        answer = Client(url, auth=(USER, PASSWORD), verbose=False).predict(KNOWN_Q, api_name="/ask")
        assert not answer["abstained"] and any(c["quote"] == KNOWN_QUOTE for c in answer["citations"])
    finally:
        app.get_blocks().close()


def test_upload_names_cannot_leave_the_upload_folder(base, tmp_path, monkeypatch):
    """Uploads on: a client-side name like ../../etc/passwd.txt is stored and indexed under its base name only,
    and a path the user did not upload (/etc/passwd) cannot be pulled in through the /upload API."""
    upload_dir = tmp_path / "gradio_uploads"
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(upload_dir))
    p = Pipeline(base.settings.with_(allow_uploads=True), index=base.index)
    demo, url = _launch(p)
    text = ("The Zanzibar harbour authority approved a new ferry terminal costing 42 million dollars on Tuesday. "
            "The terminal will open in 2027, officials said.\n").encode()
    before = set(base.index.file_records())
    try:
        r = httpx.post(url + "gradio_api/upload", timeout=30, files=[
            ("files", ("../../etc/passwd.txt", text, "text/plain")),
            ("files", ("/tmp/../etc/evil.md", text, "text/plain")),
            ("files", ("..\\..\\windows\\win.txt", text, "text/plain")),
        ])
        assert r.status_code == 200
        stored = [Path(s) for s in r.json()]
        assert all(s.resolve().is_relative_to(upload_dir.resolve()) for s in stored), stored
        data = [[{"path": str(s), "orig_name": "../../etc/passwd.txt", "meta": {"_type": "gradio.FileData"}}
                 for s in stored]]
        report = _call(url, "upload", data)
        added = set(base.index.file_records()) - before
        # Gradio itself drops the folder part (a Windows path loses its backslashes: "windowswin.txt")
        assert {"passwd.txt", "evil.md"} < added and len(added) == 3, report
        assert all("/" not in n and "\\" not in n and not n.startswith(".") for n in added), added
        for bad in (Path("/etc/passwd.txt"), Path("/etc/evil.md"), Path("/tmp/evil.md"), ROOT / "passwd.txt",
                    Path(base.settings.home) / "passwd.txt"):
            assert not bad.exists(), bad
        # a server path that was not uploaded: refused by Gradio before our handler, index untouched
        count = base.index.count()
        result = _call(url, "upload", [[{"path": "/etc/passwd", "meta": {"_type": "gradio.FileData"}}]])
        assert result is None
        assert base.index.count() == count and "passwd" not in base.index.file_records()
    finally:
        demo.close()
        for source in set(base.index.file_records()) - before:
            base.index.remove(source)
        base.retriever.invalidate()


def _call(url: str, api: str, data: list) -> object:
    """POST /gradio_api/call/<api>, then read its result; None when the call ends in an error event."""
    r = httpx.post(url + f"gradio_api/call/{api}", json={"data": data}, timeout=30)
    assert r.status_code == 200, r.text
    events = httpx.get(url + f"gradio_api/call/{api}/{r.json()['event_id']}", timeout=120).text
    if "event: complete" not in events:
        return None
    return json.loads(events.split("event: complete", 1)[1].split("data:", 1)[1].strip().splitlines()[0])


# ------------------------------------------------------------------------------ content is data, never code


def test_article_content_is_quoted_not_executed_by_the_pipeline(base, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    a = base.ask(EVIL_Q)
    assert not a.abstained and a.citations[0].source == "brindlecombe.txt"
    assert_answer_invariants(a, pipeline=base)
    assert "9 June" in a.text
    for literal in EVIL_LITERALS:
        assert literal in a.citations[0].quote and literal in a.text
    assert "49" not in a.text
    # the prompt carries the passage verbatim: nothing in it was filled in as a template field
    with FakeOpenAI(script=["ok"], reply="The festival opens on 9 June [1].") as fake:
        p = Pipeline(base.settings.with_(llm="openai", answer_mode="auto", openai_base_url=fake.base_url,
                                         openai_api_key=API_KEY), index=base.index)
        history = [{"role": "user", "content": "Tell me about {question} and {{7*7}}"},
                   {"role": "assistant", "content": "${7*7} {history}"}]
        p.ask("When will the Brindlecombe lantern festival open, and what about its lanterns?", history)
        prompts = [json.dumps(r["body"]["messages"], ensure_ascii=False) for r in fake.chat_requests]
    answer_prompt = json.loads(prompts[-1])[-1]["content"]
    # template syntax arrives verbatim (nothing filled in); markup arrives with its angle brackets defused
    # (the prompt keeps passages inside <passage> tags, so article text may not open or close tags)
    assert "{{7*7}} lanterns, ${7*7} drummers, {question} banners" in answer_prompt
    assert "window.__pwned = 1; alert(1)" in answer_prompt and "<script>" not in answer_prompt
    assert answer_prompt.count("When will the Brindlecombe lantern festival open") == 1
    assert not (tmp_path / "PWNED_MARKER").exists() and not (ROOT / "PWNED_MARKER").exists()


def test_eval_treats_article_content_as_data(base, tmp_path, monkeypatch):
    from evals.run import evaluate, write_outputs

    monkeypatch.chdir(tmp_path)
    item = {"id": "sec-001", "user_input": EVIL_Q, "reference": "On 9 June.", "category": "number_date",
            "reference_contexts": [{"source": "brindlecombe.txt", "quote": EVIL.splitlines()[1][:80]}],
            "key_facts": [["9 June"]], "answerable": True, "history": []}
    seeds = {f.name: f.read_text(encoding="utf-8") for f in SEEDS.glob("*.txt")}
    seeds["brindlecombe.txt"] = base.index.original_text("brindlecombe.txt")
    report = evaluate([item], base, seeds=seeds, progress=False)
    out = write_outputs(report, tmp_path / "eval_out", thresholds={})
    record = json.loads((out / "results.jsonl").read_text(encoding="utf-8").splitlines()[0])
    dumped = json.dumps(record, ensure_ascii=False)
    assert "{{7*7}}" in dumped and "${7*7}" in dumped and "49 lanterns" not in dumped
    assert not report.errors
    assert not (tmp_path / "PWNED_MARKER").exists() and not (ROOT / "PWNED_MARKER").exists()


def test_page_renders_article_content_as_text(base):
    """Headless Chromium: the answer and its source card show the article's markup and template syntax as text;
    no script runs, no dialog opens."""
    from playwright.sync_api import sync_playwright

    chromium = "/usr/bin/chromium"
    assert Path(chromium).exists(), "Debian's chromium is needed: apt-get install chromium"
    demo, url = _launch(base)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, headless=True,
                                         args=["--headless=new", "--no-sandbox", "--disable-gpu",
                                               "--disable-dev-shm-usage"])
            try:
                page = browser.new_page()
                dialogs: list[str] = []
                page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
                page.goto(url)
                page.wait_for_selector(".rag-status.ok", timeout=60_000)
                box = page.locator("#rag-question textarea")
                box.fill(EVIL_Q)
                box.press("Enter")
                page.wait_for_function("document.querySelectorAll('#rag-chat .rag-foot').length > 0", timeout=60_000)
                page.wait_for_selector("#rag-sources .rag-card", timeout=30_000)
                bubble = page.locator("#rag-chat [data-testid='bot']").last.inner_text()
                cards = page.locator("#rag-sources").inner_text()
                assert "9 June" in bubble and "{{7*7}}" in bubble and "${7*7}" in bubble
                assert "<script>window.__pwned = 1; alert(1)</script>" in cards
                assert "{{7*7}} lanterns" in cards and "49 lanterns" not in cards + bubble
                assert page.evaluate("window.__pwned === undefined")
                assert page.locator("#rag-sources script, #rag-chat script, #rag-sources img[src=x]").count() == 0
                assert dialogs == []
            finally:
                browser.close()
    finally:
        demo.close()
