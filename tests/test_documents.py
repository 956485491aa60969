"""Loading, cleaning and sentence splitting, on the five seed articles and small made-up files."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from rag.documents import (
    SUPPORTED_SUFFIXES,
    iter_files,
    load_document,
    load_documents,
    parse_document,
    read_file,
    split_sentences,
)
from rag.errors import FileError

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
SEED_FILES = sorted(SEEDS.glob("*.txt"))

BOILERPLATE = [
    "Skip to content",
    "Read also:",
    "More information",
    "More Information",
    "No comments:",
    "Leave comment here",
    "Leave a Comment",
    "Powered by Blogger.",
    "EuropeCurren Operations",
]


@pytest.fixture(scope="module")
def seeds():
    assert len(SEED_FILES) == 5
    return {p.name[:3]: load_document(p) for p in SEED_FILES}


def sentences(doc):
    return [doc.text[s:e] for s, e in doc.sentences]


def check_spans(doc):
    n = len(doc.text)
    prev_end = 0
    for s, e in doc.segments:
        assert 0 <= s < e <= n
        assert s >= prev_end
        assert doc.text[s:e] == doc.text[s:e].strip()
        prev_end = e
    prev_end = 0
    for s, e in doc.sentences:
        assert 0 <= s < e <= n
        assert s >= prev_end, "sentences are ordered and do not overlap"
        assert any(a <= s and e <= b for a, b in doc.segments), "every sentence lies inside a segment"
        assert doc.text[s:e] == doc.text[s:e].strip()
        prev_end = e


# ------------------------------------------------------------------------------------------- seeds


def test_seed_text_is_the_file_content(seeds):
    for path in SEED_FILES:
        doc = seeds[path.name[:3]]
        assert doc.text == path.read_text(encoding="utf-8")
        assert doc.source == path.name
        assert doc.path == str(path)
        assert len(doc.hash) == 64
        check_spans(doc)


def test_seed_boilerplate_dropped(seeds):
    for doc in seeds.values():
        for sentence in sentences(doc):
            for junk in BOILERPLATE:
                assert junk not in sentence, (doc.source, sentence)
            assert sentence.strip() not in ("Latest", "News", "Ukraine | EuropeCurren Operations")
        assert doc.clean_text.strip()


def test_seed_menu_dropped_000_but_its_records_kept(seeds):
    doc = seeds["000"]
    kept = sentences(doc)
    for menu in ("Ukraine | EuropeCurren Operations", "More information", "More Information", "News"):
        assert menu not in kept
    assert doc.title == "Ukraine"
    # the list of missions states facts (a name, its full name, an authorisation date): kept, menu lines are not
    assert kept[1:11] == [
        "EUMAM Ukraine", "EU Military Assistance Mission Ukraine", "Authorization date: 10/22",
        "EUAM Ukraine", "EU Advisory Mission for Civilian Security Sector Reform Ukraine", "Authorization date: 07/14",
        "EUBAM Moldova and Ukraine", "European Union Border Assistance Mission to Moldova and Ukraine (EU)",
        "Authorization date: 11/05", kept[10]]
    assert kept[10].startswith("Ukraine has decried the lack of progress")
    assert kept[-1].startswith("Ukrainian Foreign Minister Dmytro Kuleba has warned")


def test_seed_001_abbreviations(seeds):
    kept = sentences(seeds["001"])
    assert (
        "The extraordinary meeting will be followed by talks between U.S. and Russian officials in Geneva "
        "on January 9-10 and a meeting of the NATO-Russia Council on January 12."
    ) in kept
    # the ellipsis inside a quote does not end the sentence
    assert any("Russia's actions...and take place" in s and s.endswith("on January 4.") for s in kept)
    assert any(s.startswith("U.S. Secretary of State Antony Blinken discussed") for s in kept)
    # a quote ending a sentence
    assert '"The deterrence package includes political, economic, and security levels.' in kept
    assert seeds["001"].title.startswith("EU foreign policy chief Josep Borrell")


def test_seed_002_blog_footer_and_headings(seeds):
    doc = seeds["002"]
    kept = sentences(doc)
    assert doc.title == "NATO Stands with Ukraine: Latest Updates"
    assert "Key Developments:" in kept
    assert "Military Aid: NATO Allies have delivered over €65 billion in military aid to Ukraine since February 2022." in kept
    assert kept[-1].startswith("Diplomatic Support: NATO has condemned")
    assert "$725 million" in " ".join(kept)
    assert "Zelenskyy stated, “Today, Chancellor Scholz visited Ukraine." in kept


def test_seed_003_names_decimals_quotes(seeds):
    doc = seeds["003"]
    kept = sentences(doc)
    assert doc.title == "NATO signals support for Ukraine amid Russia threat"
    assert any("Russian President Vladimir V. Putin is expected" in s for s in kept)
    assert any("Mr. Stoltenberg denounced the Russian military structure" in s for s in kept)
    assert any("$ 2.5 billion on defense assistance" in s for s in kept)
    assert any("a U.S. Marine Corps veteran and Ph.D. Candidate" in s for s in kept)
    assert "“We stand by that,” he said, noting the deadline." in kept
    assert "Reported by Steven Erlanger from Brussels." in kept
    # the stray " ." after a sentence is attached to it, not a sentence of its own
    assert all(any(ch.isalnum() for ch in s) for s in kept)


def test_seed_004_repeated_titles_dropped(seeds):
    doc = seeds["004"]
    kept = sentences(doc)
    assert doc.title == "Ongoing efforts to ensure security assurances for Ukraine persist"
    assert sum("Ongoing" in s for s in kept) == 1
    assert kept[0] == doc.title
    assert kept[1].startswith("In the ongoing conflict between Russia and Ukraine")
    assert kept[-1].startswith("As the situation remains volatile")


def test_seed_dates_not_invented(seeds):
    assert all(doc.date is None for doc in seeds.values())


def test_load_documents_seeds_folder():
    docs, refused = load_documents([SEEDS])
    assert [d.source for d in docs] == [p.name for p in SEED_FILES]
    assert refused == []


# ---------------------------------------------------------------------------------- made-up inputs


def test_front_matter_title_and_date(tmp_path):
    p = tmp_path / "note.md"
    p.write_text(
        "---\ntitle: \"My Front Title\"\ndate: 2024-03-01\ntags: [a, b]\n---\n\n# Heading One\n\n"
        "The first paragraph has a sentence. It has another one too!\n",
        encoding="utf-8",
    )
    doc = load_document(p)
    assert doc.title == "My Front Title"
    assert doc.date == "2024-03-01"
    assert not any("title:" in doc.text[s:e] or "---" in doc.text[s:e] for s, e in doc.segments)
    assert sentences(doc) == ["Heading One", "The first paragraph has a sentence.", "It has another one too!"]
    check_spans(doc)


def test_markdown_heading_title(tmp_path):
    p = tmp_path / "n.markdown"
    p.write_text("# A Markdown Title\n\nSome body text is here. And more text follows it.\n", encoding="utf-8")
    doc = load_document(p)
    assert doc.title == "A Markdown Title"
    assert doc.date is None
    check_spans(doc)


def test_record_lines_before_the_story_are_kept_and_menus_are_not():
    raw = ("Bridge closed for repairs\nHome\nWorld | Europe\nHarbour Bridge\nTotal length: 1,240 m\nOpened: 1932\n"
           "More information\nTags: politics\nPublished: March 1, 2024\n\n"
           "The harbour bridge was closed on Monday for repairs, the city council said in a statement.\n")
    doc = parse_document("x.txt", raw)
    kept = [doc.text[s:e] for s, e in doc.sentences]
    assert doc.title == "Bridge closed for repairs"
    assert kept[:4] == [doc.title, "Harbour Bridge", "Total length: 1,240 m", "Opened: 1932"]
    for menu in ("Home", "World | Europe", "More information", "Tags: politics", "Published: March 1, 2024"):
        assert menu not in kept
    assert kept[-1].startswith("The harbour bridge was closed")
    assert doc.date == "2024-03-01"
    check_spans(doc)


@pytest.mark.parametrize(
    "line, expected",
    [
        ("Published: March 1, 2024", "2024-03-01"),
        ("Date: 2024-03-01", "2024-03-01"),
        ("Posted on 5 January 2023", "2023-01-05"),
        ("2022-12-31", "2022-12-31"),
        ("Authorization date: 10/22", None),
    ],
)
def test_date_lines(line, expected):
    raw = f"Some Headline Here\n{line}\n\nThe story starts here with a full sentence of text. Then it ends.\n"
    doc = parse_document("x.txt", raw)
    assert doc.date == expected
    assert doc.title == "Some Headline Here"


def test_html_visible_text(tmp_path):
    p = tmp_path / "page.html"
    p.write_text(
        """<!doctype html><html><head><title>Page Title | Site</title>
        <meta property="article:published_time" content="2024-02-29T10:00:00Z">
        <style>body { color: red; }</style><script>var secret = "SCRIPT TEXT";</script></head>
        <body><nav><a href="/">Home</a> <a href="/news">News menu</a></nav>
        <header><p>Site header banner</p></header>
        <article><h1>The Real &amp; Only Headline</h1>
        <p>First paragraph with an entity &eacute;t&eacute; and a <b>bold</b> word. Second sentence here.</p>
        <p>Mr. Smith went to Washington on Jan. 5 with the U.S. team.</p>
        <script>document.write("MORE SCRIPT")</script>
        <aside>Sidebar stuff</aside></article>
        <form><input name="q"> Search form text</form>
        <footer>Copyright footer text</footer></body></html>""",
        encoding="utf-8",
    )
    doc = load_document(p)
    assert doc.title == "The Real & Only Headline"
    assert doc.date == "2024-02-29"
    for junk in ("SCRIPT TEXT", "MORE SCRIPT", "color: red", "News menu", "Site header", "Sidebar", "Search form",
                 "Copyright footer"):
        assert junk not in doc.text
    kept = sentences(doc)
    assert "First paragraph with an entity été and a bold word." in kept
    assert "Mr. Smith went to Washington on Jan. 5 with the U.S. team." in kept
    check_spans(doc)


def test_html_time_tag_and_title_fallback():
    raw = "<html><head><title>Only Title</title></head><body><time datetime='2021-07-04'>July 4</time>" \
          "<p>A paragraph of visible text that is long enough to count. Another sentence.</p></body></html>"
    doc = parse_document("t.htm", raw, suffix=".htm")
    assert doc.title == "Only Title"
    assert doc.date == "2021-07-04"


def test_boilerplate_patterns(tmp_path):
    raw = (
        "Home\nMenu\nSkip to main content\nGreat Article Title\n\n"
        "We use cookies to improve your experience. By continuing to use this site you accept them.\n"
        "The actual article starts with a real sentence about things. It continues here.\n"
        "Share this article\nFacebook Twitter LinkedIn\n"
        "A second real paragraph with enough words in it to count as content.\n"
        "Great Article Title\n"
        "Read also: Something else entirely\nSubscribe to our newsletter\n"
        "© 2024 Example Media. All rights reserved.\nLeave a comment\nPowered by WordPress\n"
    )
    doc = parse_document("b.txt", raw)
    kept = sentences(doc)
    assert doc.title == "Great Article Title"
    assert kept == [
        "Great Article Title",
        "The actual article starts with a real sentence about things.",
        "It continues here.",
        "A second real paragraph with enough words in it to count as content.",
    ]


def test_bom_is_removed(tmp_path):
    p = tmp_path / "bom.txt"
    p.write_bytes("\ufeffTitle Line\n\nBody sentence one is here. Body two.".encode("utf-8"))
    doc = load_document(p)
    assert not doc.text.startswith("\ufeff")
    assert doc.text.startswith("Title Line")
    check_spans(doc)


# ------------------------------------------------------------------------------------------ sentences


@pytest.mark.parametrize(
    "text, expected",
    [
        ("He met Mr. Smith. Then he left.", ["He met Mr. Smith.", "Then he left."]),
        ("It cost $2.5 billion in 2020. Prices rose 13.2 percent.", ["It cost $2.5 billion in 2020.", "Prices rose 13.2 percent."]),
        ("Dr. Jones has a Ph.D. from St. Andrews. She is No. 1 in the U.K. today.",
         ["Dr. Jones has a Ph.D. from St. Andrews.", "She is No. 1 in the U.K. today."]),
        ("He said “we stand.” They left. “Go!” she said.", ["He said “we stand.”", "They left.", "“Go!” she said."]),
        ('He said "we stand." They left.', ['He said "we stand."', "They left."]),
        ("Wait... and see. Next one.", ["Wait... and see.", "Next one."]),
        ("Vladimir V. Putin spoke. J. K. Rowling wrote.", ["Vladimir V. Putin spoke.", "J. K. Rowling wrote."]),
        ("It happened on Jan. 9 in the U.S. The next day was calm.", ["It happened on Jan. 9 in the U.S.", "The next day was calm."]),
        ("Key Developments:", ["Key Developments:"]),
        ("Is it true? Yes! Really.", ["Is it true?", "Yes!", "Really."]),
    ],
)
def test_split_sentences(text, expected):
    spans = split_sentences(text, 0, len(text))
    assert [text[s:e] for s, e in spans] == expected


def test_split_sentences_offsets():
    text = "xx  First one. Second one.  yy"
    spans = split_sentences(text, 2, 28)
    assert [text[s:e] for s, e in spans] == ["First one.", "Second one."]
    assert spans[0][0] == 4


# ---------------------------------------------------------------------------------------------- errors


def _assert_file_error(path, *words, max_bytes=5_000_000):
    with pytest.raises(FileError) as info:
        read_file(path, max_bytes)
    message = str(info.value).lower()
    for w in words:
        assert w in message, message
    assert info.value.fix, "every FileError says what to do"
    assert info.value.path == str(path)
    return message


def test_file_errors(tmp_path):
    _assert_file_error(tmp_path / "missing.txt", "does not exist")
    _assert_file_error(tmp_path, "not a regular file")

    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    _assert_file_error(empty, "empty")

    blank = tmp_path / "blank.txt"
    blank.write_text("  \n\t\n  ", encoding="utf-8")
    _assert_file_error(blank, "whitespace")

    binary = tmp_path / "bin.txt"
    binary.write_bytes(b"abc\x00\x01\x02def")
    _assert_file_error(binary, "binary")

    pdf = tmp_path / "doc.txt"
    pdf.write_bytes(b"%PDF-1.7\nrest of it")
    _assert_file_error(pdf, "pdf")

    latin = tmp_path / "latin.txt"
    latin.write_bytes("caf\u00e9 cr\u00e8me".encode("latin-1"))
    _assert_file_error(latin, "utf-8")

    big = tmp_path / "big.txt"
    big.write_text("word " * 100, encoding="utf-8")
    _assert_file_error(big, "too large", max_bytes=100)

    other = tmp_path / "data.csv"
    other.write_text("a,b\n1,2\n", encoding="utf-8")
    message = _assert_file_error(other, "unsupported")
    assert ".txt" in message

    archive = tmp_path / "archive.txt"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("inner.txt", "hello")
    _assert_file_error(archive, "zip")


def test_html_without_text_is_refused(tmp_path):
    p = tmp_path / "empty.html"
    p.write_text("<html><head><script>alert('x')</script></head><body><nav>Menu</nav></body></html>", encoding="utf-8")
    with pytest.raises(FileError) as info:
        load_document(p)
    assert "no readable text" in str(info.value)


def test_iter_files(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / ".hidden").mkdir()
    for name in ("b.txt", "a.md", "sub/c.html", "sub/d.pdf", ".secret.txt", ".hidden/e.txt", "f.HTM"):
        (tmp_path / name).write_text("Hello there. Text.", encoding="utf-8")
    files = iter_files([tmp_path])
    assert [f.relative_to(tmp_path).as_posix() for f in files] == ["a.md", "b.txt", "f.HTM", "sub/c.html"]
    assert all(f.suffix.lower() in SUPPORTED_SUFFIXES for f in files)
    with pytest.raises(FileError) as info:
        iter_files([tmp_path / "nope"])
    assert "nope" in str(info.value)


def test_load_documents_collects_refusals(tmp_path):
    good = tmp_path / "good.txt"
    good.write_text("A Title\n\nThis is a good file with a real sentence in it.", encoding="utf-8")
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "bad.txt").write_bytes(b"\xff\xfe\x00bad")
    docs, refused = load_documents([tmp_path, tmp_path / "missing.md"], max_bytes=1000)
    assert [d.source for d in docs] == ["good.txt"]
    reasons = dict(refused)
    assert set(reasons) == {str(tmp_path / "empty.txt"), str(tmp_path / "bad.txt"), str(tmp_path / "missing.md")}
    assert all(r for r in reasons.values())


def test_parse_document_is_deterministic():
    raw = (SEEDS / SEED_FILES[2].name).read_text(encoding="utf-8")
    a = parse_document("x.txt", raw)
    b = parse_document("x.txt", raw)
    assert a == b
