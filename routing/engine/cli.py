"""`manage.py analyze`: analyse kubectl dumps (contract: docs/analysis-report.md)."""

import argparse
import gc
import sys
from typing import Any, BinaryIO, NoReturn

import orjson

from .errors import InputError
from .loader import load_path
from .options import CLIENT_BASES, PROXY_DETAILS, Options
from .parse import build_cluster
from .report import analyze_cluster

EXIT_INPUT_ERROR = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # argparse's default exit status is 2 as well
        self.print_usage(sys.stderr)
        self.exit(EXIT_INPUT_ERROR, f"analyze: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="manage.py analyze",
        description="Simulate where each Service's traffic goes, zone to zone, and what it costs.",
    )
    parser.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="kubectl get -o json|yaml output, or a kubectl cluster-info dump directory; "
        "- for stdin",
    )
    parser.add_argument("--format", choices=("table", "json"), default="table")
    parser.add_argument(
        "--wide",
        action="store_true",
        help="table: no 80-column limit; full names, every finding, dropped and cross-region",
    )
    parser.add_argument("--service", metavar="NS/NAME", help="report on one Service only")
    parser.add_argument(
        "--clients", choices=CLIENT_BASES, default="cpu", help="how client nodes are weighted"
    )
    parser.add_argument(
        "--provider",
        choices=("aws", "gcp", "azure", "oracle", "none"),
        help="price list to use (default: detected from the Nodes' providerID)",
    )
    parser.add_argument(
        "--monthly-gb", type=_non_negative, metavar="N", help="traffic volume per Service"
    )
    parser.add_argument(
        "--overload-limit",
        type=_at_least_one,
        default=1.5,
        metavar="X",
        help="highest acceptable endpoint load / fair share for recommendations",
    )
    parser.add_argument(
        "--price-cross-zone", type=_non_negative, metavar="USD", help="override, per GB"
    )
    parser.add_argument(
        "--price-cross-region", type=_non_negative, metavar="USD", help="override, per GB"
    )
    parser.add_argument(
        "--proxy-detail",
        choices=PROXY_DETAILS,
        default="auto",
        help="proxy entries per node, or per zone plus exceptions (auto: by size)",
    )
    parser.add_argument(
        "--no-fixes",
        dest="fixes",
        action="store_false",
        help="skip the search for verified fixes (each Service's `fixes`, docs/analysis-report.md)",
    )
    return parser


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return value


def _non_negative(text: str) -> float:
    value = _number(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is negative")
    return value


def _at_least_one(text: str) -> float:
    value = _number(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is below 1.0 (1.0 = perfectly even load)")
    return value


def options_from(args: argparse.Namespace) -> Options:
    service = None
    if args.service:
        ns, sep, name = args.service.partition("/")
        if not sep or not ns or not name:
            raise InputError(f"--service {args.service!r} must be NAMESPACE/NAME")
        service = (ns, name)
    return Options(
        clients=args.clients,
        provider=args.provider,
        monthly_gb=args.monthly_gb,
        overload_limit=args.overload_limit,
        service=service,
        proxy_detail=args.proxy_detail,
        price_cross_zone=args.price_cross_zone,
        price_cross_region=args.price_cross_region,
    )


def analyze_path(
    path: str, options: Options, fixes: bool = True, keep: list[Any] | None = None
) -> dict[str, Any]:
    """Load, parse and analyse one file; errors carry the file name. `keep`: where to leave the
    loaded objects and their model, for the caller to decide when they are freed."""
    try:
        items = load_path(path)
        if keep is not None:
            keep.append(items)
        cluster = build_cluster(items)
        if keep is not None:
            keep.append(cluster)
        report = analyze_cluster(cluster, options)
    except InputError as exc:
        raise exc.with_source(path) from None
    if fixes:
        # Imported here: fixes sit on top of the engine (they re-run it through routing.whatif),
        # and nothing inside the engine may depend on them.
        from routing.fixes import add_fixes

        add_fixes(report, (obj for _, _, obj in items), options, cluster)
    if options.service is not None and not report["services"]:
        ns, name = options.service
        raise InputError(f"Service {ns}/{name} is not in the input", source=path)
    return report


_JSON = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS
_CHUNK = 1 << 20  # bytes written at a time


def _dumps(value: Any) -> bytes:
    """orjson.dumps(value, option=_JSON): without OPT_NON_STR_KEYS first, which gives the same
    bytes when every key is a str (nearly always) for a fifth less time, and with it when not."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        return orjson.dumps(value, option=_JSON)


def write_json(payload: Any, out: BinaryIO) -> None:
    """`orjson.dumps(payload, option=_JSON)` and a newline, written to `out`. A report (keys
    "cluster" and "services" only) goes out a Service at a time, in the very bytes the whole
    would be: compact JSON with sorted keys is its parts' JSON joined. A large report is then
    never a single buffer of tens of MB, which costs the memory and the page faults of making
    it."""
    if not isinstance(payload, dict) or payload.keys() != {"cluster", "services"}:
        out.write(_dumps(payload))
        out.write(b"\n")
        return
    pending = [b'{"cluster":', _dumps(payload["cluster"]), b',"services":[']
    size = 0
    for i, entry in enumerate(payload["services"]):
        part = _dumps(entry)
        if i:
            pending.append(b",")
        pending.append(part)
        size += len(part)
        if size >= _CHUNK:
            out.write(b"".join(pending))
            pending, size = [], 0
    pending.append(b"]}\n")
    out.write(b"".join(pending))


def main(argv: list[str]) -> int:
    # The analysis builds millions of small acyclic objects; the cyclic collector would rescan
    # them again and again (a third of the run time on a large cluster) and find nothing.
    gc.disable()
    try:
        return _run(argv)
    finally:
        gc.enable()


# The last run's input, its model and its reports, kept until the next run: `manage.py analyze`
# leaves through os._exit, so they are never freed object by object, which takes a large dump
# (millions of small objects) a tenth of a second or more, for nothing.
_KEPT: list[Any] = []


def _run(argv: list[str]) -> int:
    _KEPT.clear()
    args = build_parser().parse_args(argv)
    try:
        options = options_from(args)
        reports = [analyze_path(path, options, args.fixes, _KEPT) for path in args.paths]
        _KEPT.append(reports)
    except InputError as exc:
        print(f"analyze: error: {exc}", file=sys.stderr)
        return EXIT_INPUT_ERROR
    except RecursionError:  # deeply nested JSON/YAML
        print(
            "analyze: error: the input is nested too deeply to be Kubernetes objects",
            file=sys.stderr,
        )
        return EXIT_INPUT_ERROR
    if args.format == "json":
        payload: Any = reports[0] if len(reports) == 1 else reports
        write_json(payload, sys.stdout.buffer)
    else:
        from .table import render_table  # (here: the JSON runs, benchmarked, need not load it)

        for path, report in zip(args.paths, reports, strict=True):
            title = path if len(reports) > 1 else None
            sys.stdout.write(render_table(report, title, wide=args.wide))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
