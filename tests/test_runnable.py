"""The pipeline opened the way a LangChain user opens it: as a Runnable, through its retriever in LCEL, and its
index through a stock ``langchain_chroma.Chroma``; and the chat page's ``/ask`` endpoint as a typed API."""

from __future__ import annotations

import asyncio

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.documents import Document
from langchain_core.runnables import RunnableLambda, RunnableParallel, RunnablePassthrough

from conftest import SEEDS, assert_answer_invariants, free_port
from rag import Answer, Pipeline, QuestionError, Settings, StreamEvent
from rag.retrievers import HybridRetriever

Q = "When was the NATO-Russia Council meeting scheduled?"
Q2 = "Who visited Kyiv on Monday?"


@pytest.fixture(scope="module")
def pipe(tmp_path_factory):
    """Extractive answers (no LLM): these tests are about the Runnable plumbing, not the wording."""
    home = tmp_path_factory.mktemp("runnable_home")
    settings = Settings.from_env({"RAG_HOME": str(home), "RAG_SEEDS_DIR": str(SEEDS),
                                  "RAG_ANSWER_MODE": "extractive"})
    p = Pipeline(settings)
    p.ingest([SEEDS])
    return p


class Recorder(BaseCallbackHandler):
    def __init__(self):
        self.chains: list[str] = []
        self.chat_models = 0

    def on_chain_start(self, serialized, inputs, **kwargs):
        self.chains.append(kwargs.get("name") or "")

    def on_chat_model_start(self, serialized, messages, **kwargs):
        self.chat_models += 1


def test_invoke_returns_the_same_verified_answer_as_ask(pipe):
    a = pipe.invoke(Q)
    assert isinstance(a, Answer) and not a.abstained
    assert a.text == pipe.ask(Q).text
    assert_answer_invariants(a, pipeline=pipe)
    assert pipe.invoke({"question": Q}).text == a.text
    assert pipe.invoke({"user_input": Q, "history": []}).text == a.text  # ragas / gold.jsonl field names


def test_dict_input_carries_the_history(pipe):
    first = pipe.invoke(Q2)
    follow = pipe.invoke({"question": "How long did their meeting last?", "history": [first]})
    assert follow.metadata["rewrite_method"] != "none"  # the follow-up was rewritten with the history
    assert follow.text == pipe.ask("How long did their meeting last?", history=[first]).text


def test_bad_input_is_a_question_error(pipe):
    with pytest.raises(QuestionError, match="no 'question'"):
        pipe.invoke({"q": Q})
    with pytest.raises(QuestionError, match="must be text"):
        pipe.invoke(42)


def test_batch_and_async(pipe):
    answers = pipe.batch([Q, Q2], config={"max_concurrency": 2})
    assert [a.question for a in answers] == [Q, Q2] and all(isinstance(a, Answer) for a in answers)

    async def run():
        one = await pipe.ainvoke(Q)
        many = await pipe.abatch([Q, Q2])
        streamed = [x async for x in pipe.astream(Q)]
        return one, many, streamed

    one, many, streamed = asyncio.run(run())
    assert one.text == answers[0].text and [a.text for a in many] == [a.text for a in answers]
    assert len(streamed) == 1 and streamed[0].text == one.text


def test_stream_keeps_its_events_and_the_runnable_stream_yields_the_answer(pipe):
    events = list(pipe.stream(Q))  # the pipeline's own stream, as the chat page and the CLI call it
    assert all(isinstance(e, StreamEvent) for e in events) and events[-1].kind == "answer"
    assert [e.kind for e in pipe.stream(Q, [])][-1] == "answer"  # (question, history) positionally
    as_runnable = list(pipe.stream(Q, {"tags": ["t"]}))  # stream(input, config): the Runnable signature
    assert len(as_runnable) == 1 and isinstance(as_runnable[0], Answer)
    assert as_runnable[0].text == events[-1].answer.text
    assert [type(x) for x in pipe.stream({"question": Q}, config={})] == [Answer]
    assert [type(x) for x in pipe.with_config(run_name="x").stream(Q)] == [Answer]


def test_with_config_and_composition_trace_one_run(pipe):
    rec = Recorder()
    chain = pipe.with_config(run_name="cited-qa", tags=["news"], callbacks=[rec]) | RunnableLambda(
        lambda a: a.format())
    text = chain.invoke(Q)
    assert text.startswith(pipe.ask(Q).text) and "Sources:" in text
    assert rec.chains == ["cited-qa"]
    assert [s[:20] for s in chain.stream(Q)] == [text[:20]]  # an LCEL stream through the pipeline
    # the pipeline as one branch of a parallel step, next to its retriever
    both = RunnableParallel(answer=pipe, passages=pipe.as_retriever(k=2)).invoke(Q)
    assert isinstance(both["answer"], Answer) and len(both["passages"]) == 2


def test_chat_model_calls_are_child_runs(seeded_pipeline):
    rec = Recorder()
    a = seeded_pipeline.invoke(Q, config={"callbacks": [rec], "run_name": "qa"})
    assert not a.abstained and a.metadata.get("draft") is not None
    assert rec.chains[0] == "qa" and rec.chat_models >= 1  # the draft was a traced child run


def test_retriever_in_lcel(pipe):
    retriever = HybridRetriever(pipeline=pipe, k=3)
    docs = retriever.invoke(Q)
    assert len(docs) == 3 and all(isinstance(d, Document) for d in docs)
    assert [d.id for d in docs] == [p.id for p in pipe.search(Q, 3)]  # the pipeline's own retrieval
    fmt = RunnableLambda(lambda ds: "\n\n".join(f"[{i}] {d.page_content}" for i, d in enumerate(ds, 1)))
    chain = {"context": retriever | fmt, "question": RunnablePassthrough()} | RunnableLambda(
        lambda x: f"Q: {x['question']}\n{x['context']}")
    prompt = chain.invoke(Q)
    assert prompt.startswith("Q: " + Q) and "[3] " in prompt
    assert retriever.invoke(Q, k=1)[0].id == docs[0].id


def test_retriever_documents_hold_their_offsets(pipe):
    docs = HybridRetriever(pipeline=pipe, k=40).invoke("Ukraine Russia NATO troops Biden Kyiv talks")
    assert len(docs) > 20
    for d in docs:
        m = d.metadata
        original = pipe.index.original_text(m["source"])
        assert m["chunk_id"] == d.id and d.id.startswith(m["source"] + "#") and m["title"]
        assert m["start"] == m["sentences"][0][0] and m["end"] == m["sentences"][-1][1]
        for offset, (s, e) in zip(m["text_offsets"], m["sentences"]):
            assert d.page_content[offset : offset + e - s] == original[s:e]
        # every sentence of the page content lies, in order, inside original[start:end]
        span, pos = original[m["start"] : m["end"]], 0
        for s, e in m["sentences"]:
            pos = span.index(original[s:e], pos)


def test_stock_chroma_opens_the_index_beside_a_pipeline(pipe):
    from langchain_chroma import Chroma

    store = Chroma(collection_name=pipe.settings.collection,
                   persist_directory=str(pipe.settings.index_dir / "chroma"),
                   embedding_function=pipe.index.embeddings)
    assert store._collection.count() == pipe.index.count()
    doc = store.similarity_search("NATO-Russia Council meeting", k=1)[0]
    assert doc.metadata["source"] and doc.metadata["start"] < doc.metadata["end"]
    assert not pipe.ask(Q).abstained  # and the pipeline goes on working beside it


def test_ask_endpoint_has_a_typed_documented_return(pipe):
    from gradio_client import Client

    from ui.app import build_demo

    demo = build_demo(pipe)
    port = free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        info = client.view_api(print_info=False, return_format="dict")["named_endpoints"]["/ask"]
        (ret,) = info["returns"]
        schema = ret["type"]
        assert schema["type"] == "object"
        assert {"question", "text", "abstained", "citations", "contexts", "metadata"} <= set(schema["properties"])
        citation = schema["properties"]["citations"]["items"]["properties"]
        assert {"n", "source", "chunk_id", "quote", "start", "end"} <= set(citation)
        assert citation["start"] == {"type": "integer"}
        assert ret["python_type"]["type"].startswith("dict(question: str, text: str, abstained: bool, citations: ")
        text = client.view_api(print_info=False, return_format="str")
        ask = text[text.index('api_name="/ask"'):]
        assert "dict(question: str" in ask.split("api_name=")[1]  # was "-> Any"
        result = client.predict(Q, api_name="/ask")
        assert set(result) == set(schema["properties"])
    finally:
        demo.close()
