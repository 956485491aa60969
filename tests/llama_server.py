"""Run llama-cpp-python's OpenAI-compatible server with the same load fix as rag.llm: on a CPU with AMX, llama.cpp
(llama-cpp-python 0.3.36 built natively) segfaults on every multi-token batch when it places weights in its AMX
"extra buffer", so the server loads its model without extra buffer types. Arguments are llama_cpp.server's."""

import runpy
import sys

from rag.llm import _cpu_has_amx, without_extra_buffers

if _cpu_has_amx():
    import llama_cpp

    low = llama_cpp.llama_cpp
    low.llama_model_default_params = without_extra_buffers(low.llama_model_default_params)

sys.argv[0] = "llama_cpp.server"
runpy.run_module("llama_cpp.server", run_name="__main__", alter_sys=True)
