"""Docs checked against the code: the README's settings table names exactly the settings that exist."""

from __future__ import annotations

import re
from dataclasses import fields

import pytest

from conftest import ROOT

from rag import ConfigurationError, Settings
from rag.errors import redact, register_secret


def env_name(field_name: str) -> str:
    return {"openai_api_key": "OPENAI_API_KEY", "openai_base_url": "OPENAI_BASE_URL"}.get(
        field_name, "RAG_" + field_name.upper()
    )


def test_readme_settings_table_matches_the_code():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Settings", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", section, re.M))
    in_code = {env_name(f.name) for f in fields(Settings)}
    assert documented == in_code, f"only in README: {documented - in_code}; only in code: {in_code - documented}"


def test_every_setting_is_read_from_the_environment():
    env = {"RAG_TOP_K": "7", "RAG_ALLOW_UPLOADS": "yes", "RAG_LLM_TIMEOUT": "2.5", "OPENAI_BASE_URL": "http://x/v1"}
    s = Settings.from_env(env)
    assert (s.top_k, s.allow_uploads, s.llm_timeout, s.openai_base_url) == (7, True, 2.5, "http://x/v1")


@pytest.mark.parametrize(
    "env,needle",
    [
        ({"RAG_LLM": "gpt"}, "RAG_LLM"),
        ({"RAG_TOP_K": "many"}, "RAG_TOP_K"),
        ({"RAG_COLLECTION": "ab"}, "3 or more"),
        ({"RAG_ANSWER_MODE": "magic"}, "RAG_ANSWER_MODE"),
        ({"RAG_CHUNK_OVERLAP_TOKENS": "500"}, "smaller"),
    ],
)
def test_bad_settings_name_the_variable(env, needle):
    with pytest.raises(ConfigurationError, match=needle):
        Settings.from_env(env)


def test_secrets_are_not_in_repr_and_are_redacted():
    s = Settings.from_env({"OPENAI_API_KEY": "sk-test-SECRET123456789", "RAG_CHROMA_TOKEN": "tok-abcdef-123"})
    assert "SECRET123456789" not in repr(s) and "tok-abcdef-123" not in repr(s)
    register_secret("tok-abcdef-123")
    assert "tok-abcdef-123" not in redact("server said: token tok-abcdef-123 is invalid")
    assert "SECRET" not in redact("Incorrect API key provided: sk-test-SECRET123456789")
