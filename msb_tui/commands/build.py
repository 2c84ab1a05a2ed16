"""``msb-tui build PATH``: run a build on the engine headless, printing progress and a stage summary."""

from __future__ import annotations

import argparse
import os
import sys

HELP = "build a Dockerfile on the engine (BuildKit) and print progress and a per-stage summary"

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_NO_ENGINE = 3
EXIT_CANCELLED = 130


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", metavar="PATH", help="the build context folder")
    parser.add_argument("-f", "--file", dest="dockerfile", help="the Dockerfile (default: PATH/Dockerfile)")
    parser.add_argument("--target", help="the stage to build (default: the last one)")
    parser.add_argument("--build-arg", dest="build_args", action="append", default=[], metavar="K=V",
                        help="set a build arg (K alone takes its value from the environment)")
    parser.add_argument("--secret-build-arg", dest="secret_build_args", action="append", default=[], metavar="K=V",
                        help="set a build arg whose value msb-tui masks in its recording and output (K alone: from "
                             "the environment). Args named like credentials (TOKEN, PASSWORD, SECRET, KEY, AUTH, "
                             "...) are masked anyway. Build args stay in the image's history: prefer RUN --mount=type=secret")
    parser.add_argument("--no-cache", action="store_true", help="do not use the build cache")
    parser.add_argument("--pull", action="store_true", help="always try to pull newer base images")
    parser.add_argument("--platform", help="target platform, e.g. linux/amd64")
    parser.add_argument("-t", "--tag", dest="tags", action="append", default=[], metavar="TAG", help="name the image")
    parser.add_argument("--label", dest="labels", action="append", default=[], metavar="K=V", help="add an image label")
    parser.add_argument("--network", help="network mode for RUN steps (none, host, default)")
    parser.add_argument("--classic", action="store_true", help="use the classic builder instead of BuildKit")
    parser.add_argument("--progress", choices=("plain", "json"), default="plain", help="progress output format")
    parser.add_argument("--host", help="engine address (default: DOCKER_HOST, the docker context, the local socket)")
    parser.add_argument("--no-record", action="store_true", help="do not record the build")


def parse_pairs(values: list[str], what: str, *, from_env: bool) -> dict[str, str]:
    """``K=V`` options as a dict; ``K`` alone takes the environment's value (build args, like docker)."""
    pairs: dict[str, str] = {}
    for value in values:
        key, sep, rest = value.partition("=")
        key = key.strip()
        if not key:
            raise ValueError(f"invalid {what} {value!r}: expected KEY=VALUE")
        if not sep:
            if not from_env:
                raise ValueError(f"invalid {what} {value!r}: expected KEY=VALUE")
            if key not in os.environ:
                continue  # like docker: an unset variable is left to the Dockerfile's default
            rest = os.environ[key]
        pairs[key] = rest
    return pairs


def load_analysis(dockerfile: str, target: str | None, build_args: dict[str, str], platform: str | None,
                  buildkit=None):
    """The Dockerfile analysis for the engine's BuildKit, or None when it is unavailable (unreadable
    file, parse failure)."""
    from msb_tui.analysis import analyze

    try:
        with open(dockerfile, "rb") as handle:  # bytes, read as BuildKit reads them
            data = handle.read()
        return analyze(data, target=target, build_args=build_args, platform=platform, lint=False,  # not shown here
                       buildkit=buildkit)
    except Exception:  # noqa: BLE001 - the build still runs without a plan
        return None


def run(args: argparse.Namespace) -> int:
    from msb_tui.builds.runner import BuildRequest

    try:
        build_args = parse_pairs(args.build_args, "--build-arg", from_env=True)
        secret_args = parse_pairs(getattr(args, "secret_build_args", []), "--secret-build-arg", from_env=True)
        build_args.update(secret_args)
        labels = parse_pairs(args.labels, "--label", from_env=False)
    except ValueError as error:
        print(f"msb-tui build: {error}", file=sys.stderr)
        return EXIT_USAGE
    # Paths stay strings here: pathlib (with urllib.parse) is ~3 ms that would delay every build.
    context = args.path
    if not os.path.exists(context):
        print(f"msb-tui build: build context not found: {context}", file=sys.stderr)
        return EXIT_USAGE
    if not os.path.isdir(context):
        print(f"msb-tui build: build context is not a folder: {context}", file=sys.stderr)
        return EXIT_USAGE
    request = BuildRequest(
        context=context,
        dockerfile=args.dockerfile or None,
        target=args.target,
        build_args=build_args,
        no_cache=args.no_cache,
        pull=args.pull,
        platform=args.platform,
        tags=tuple(args.tags),
        labels=labels,
        classic=args.classic,
        network=args.network,
        secret_build_args=tuple(secret_args),
    )
    dockerfile = request.dockerfile_path()
    if not os.path.isfile(dockerfile):
        print(f"msb-tui build: Dockerfile not found: {dockerfile}", file=sys.stderr)
        return EXIT_USAGE
    from msb_tui.builds.context import ContextError, check_dockerfile

    try:
        check_dockerfile(context, request.dockerfile)  # before anything reads it (the analysis too)
    except ContextError as error:
        print(f"msb-tui build: {error}", file=sys.stderr)
        return EXIT_USAGE
    if request.dockerfile is not None and not request.classic and _outside(dockerfile, context):
        # Measured on 20.10 and 28.5: BuildKit ignores .dockerignore in a tar-uploaded context, so
        # the Dockerfile added to it is visible to `COPY .` (the classic builder hides it).
        print("msb-tui build: warning: the Dockerfile is outside the context; it is uploaded inside the context "
              "as .msb-tui-dockerfile-<hash>, and with BuildKit a 'COPY .' copies it into the image "
              "(--classic hides it, as docker does)", file=sys.stderr)

    from msb_tui.engine.plain_http import connect_plain

    # A plain socket needs no docker-py (whose import alone takes ~60 ms); TLS, ssh and named
    # contexts, and the message when no engine answers, come from connect().
    client = connect_plain(args.host)
    if client is None:
        from msb_tui.engine.connection import EngineUnavailable, connect

        try:
            client = connect(args.host, timeout=None)
        except EngineUnavailable as error:
            print(f"msb-tui build: {error}", file=sys.stderr)
            return EXIT_NO_ENGINE

    # The analysis runs while the engine works on the build (a cached one answers in 20-40 ms):
    # run_build calls it once the request has gone out.
    def analysis():
        from msb_tui.analysis.versions import engine_buildkit
        from msb_tui.builds.runner import _engine_version  # asked once per client, when the build was sent

        buildkit = engine_buildkit(_engine_version(client).get("version") or "")
        return load_analysis(dockerfile, args.target, build_args, args.platform, buildkit)

    return run_build(client, request, analysis, progress=args.progress, record=not args.no_record)


def _outside(dockerfile: str, context: str) -> bool:
    rel = os.path.relpath(os.path.abspath(dockerfile), os.path.abspath(context))
    return rel == os.pardir or rel.startswith(os.pardir + os.sep)


def run_build(client, request, analysis=None, *, progress: str = "plain", record: bool = True, stdout=None) -> int:
    """Run one build, printing progress and the summary; Ctrl+C cancels it on the engine (exit 130).

    ``analysis``: an Analysis, None, or a callable returning one — called once the build is under
    way, so analysing the Dockerfile overlaps with the engine's start-up.
    """
    import signal
    import threading

    from msb_tui.builds.runner import start_build

    stream = start_build(client, request, record=record)
    previous = {}
    if threading.current_thread() is threading.main_thread():
        interrupts = []

        def on_interrupt(signum, frame):
            # SIGTERM and SIGHUP (a closed terminal, a service manager) stop the build like Ctrl+C:
            # the engine cancels it and the recording gets its footer.
            interrupts.append(signum)
            if len(interrupts) > 1:
                raise KeyboardInterrupt
            what = "" if signum == signal.SIGINT else f" ({signal.Signals(signum).name})"
            print(f"\ncancelling the build{what} (Ctrl+C again to quit at once)...", file=sys.stderr)
            stream.cancel()

        for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            previous[number] = signal.signal(number, on_interrupt)
    try:
        # The engine starts on the build now; the model, the analysis and the printers are
        # imported and prepared while it works (its answer waits in the socket meanwhile).
        stream.send()
        from msb_tui.builds.model import BuildModel

        if callable(analysis):
            analysis = analysis()
        model = BuildModel(analysis, classic=request.classic)
        if stdout is None:
            # A slow reader of our output must not stall the build on the engine (output.py).
            from msb_tui.builds.output import NonBlockingOutput

            output = NonBlockingOutput(sys.stdout)
        try:
            status = consume(stream, model, progress=progress, stdout=stdout or output,
                             recording=str(stream.recording_path) if stream.recording_path else None)
        finally:
            if stdout is None:
                output.close()
    except BaseException:
        stream.cancel()  # whatever stopped us, the engine stops too
        raise
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    return exit_status(status)


def consume(events, model, *, progress: str = "plain", stdout=None, recording: str | None = None) -> str:
    """Feed events into the model, print progress as it goes and the summary at the end; the final status."""
    import json

    from msb_tui.builds.events import StreamText
    from msb_tui.builds.report import BufferedWriter, JsonProgress, PlainProgress, summary_json, summary_text

    stream = stdout or sys.stdout
    out = BufferedWriter(stream)
    colours = progress == "plain" and hasattr(stream, "isatty") and stream.isatty()
    printer = JsonProgress(out) if progress == "json" else PlainProgress(out, colours=colours)
    apply = model.apply
    handle = printer.handle
    try:
        for event in events:
            changes = apply(event)
            if changes or isinstance(event, StreamText):
                handle(event, changes)
    finally:
        settle = getattr(stream, "settle", None)
        if settle is not None:
            settle()  # progress may have been dropped for a slow reader; the summary never is
        # Also when the source ends without saying how the build ended: report what we have.
        if progress == "json":
            out.write(json.dumps(summary_json(model, recording), ensure_ascii=False) + "\n")
        else:
            out.write(summary_text(model, recording))
        out.flush()
    return model.status


def exit_status(status: str) -> int:
    if status == "succeeded":
        return EXIT_OK
    if status == "cancelled":
        return EXIT_CANCELLED
    return EXIT_FAILED
