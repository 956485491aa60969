"""``rag`` command line: ingest, search, ask, serve, eval, bench."""

from __future__ import annotations

import argparse
import json
import logging
import sys

from .errors import RagError, redact

__all__ = ["main"]


def _progress_bar():
    from tqdm import tqdm

    bar = None

    def update(message: str, done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, unit="chunk", file=sys.stderr, leave=False)
        bar.total = total
        bar.set_description(message[:40])
        bar.n = done
        bar.refresh()

    return update


def _pipeline():
    from .pipeline import Pipeline

    return Pipeline()


def cmd_ingest(args) -> int:
    p = _pipeline()
    paths = args.paths or [p.settings.seeds_dir]
    report = p.rebuild(paths, _progress_bar()) if args.rebuild else p.ingest(paths, _progress_bar())
    print(json.dumps(report.to_dict(), indent=2) if args.json else report.summary().split("\n")[0])
    for path, reason in report.refused:  # reasons (each names its fix) go to stderr like every other error
        print(f"refused {path}: {reason}", file=sys.stderr)
    return 0 if not report.refused or report.added or report.updated or report.unchanged else 2


def cmd_search(args) -> int:
    passages = _pipeline().search(args.query, args.k)
    if args.json:
        print(json.dumps([p.to_dict() for p in passages], indent=2, ensure_ascii=False))
        return 0
    for p in passages:
        dense = f"{p.dense_score:.3f}" if p.dense_score is not None else "-"
        lexical = f"{p.lexical_score:.2f}" if p.lexical_score is not None else "-"
        print(f"{p.rank}. {p.id}  fused={p.fused_score:.4f} dense={dense} bm25={lexical}  [{p.start}:{p.end}]")
        print(f"   {p.title}")
        print(f"   {p.text[:240]}{'…' if len(p.text) > 240 else ''}")
    return 0


def cmd_ask(args) -> int:
    answer = _pipeline().ask(args.question)
    if args.json:
        print(json.dumps(answer.to_dict(), indent=2, ensure_ascii=False))
    else:
        print(answer.format())
    return 0


def cmd_serve(args) -> int:
    from ui.app import serve

    serve(host=args.host, port=args.port, share=args.share)
    return 0


def cmd_eval(args) -> int:
    from evals.run import main as eval_main

    return eval_main(args.rest)


def cmd_bench(args) -> int:
    from evals.bench import main as bench_main

    return bench_main(args.rest)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rag", description="Cited answers over news articles.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="index files or folders (default: seeds/)")
    p.add_argument("paths", nargs="*")
    p.add_argument("--rebuild", action="store_true", help="drop the index and build it again")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("search", help="show the passages retrieved for a query, with scores")
    p.add_argument("query")
    p.add_argument("-k", type=int, default=None)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("ask", help="answer a question with citations")
    p.add_argument("question")
    p.add_argument("--json", action="store_true", help="print Answer.to_dict()")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("serve", help="start the chat page")
    p.add_argument("--host", default=None)
    p.add_argument("--port", type=int, default=None)
    p.add_argument("--share", action="store_true", help="make a public Gradio link (off by default)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("eval", help="run the faithfulness eval (see evals/)", add_help=False)
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("bench", help="run the scale benchmark (see evals/bench.py)", add_help=False)
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_bench)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    for i, word in enumerate(argv):  # `rag eval --check`: the options after eval/bench are theirs
        if not word.startswith("-"):
            if word in ("eval", "bench"):
                argv.insert(i + 1, "--")
            break
    args = build_parser().parse_args(argv)
    if getattr(args, "rest", None) and args.rest[0] == "--":
        args.rest = args.rest[1:]
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(message)s")
    try:
        return args.func(args)
    except RagError as exc:
        print(f"error: {redact(str(exc))}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
