"""``msb-tui build PATH``: run a build on the engine headless, printing progress and a stage summary."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from contextlib import closing, nullcontext
from pathlib import Path

from msb_tui.builds.inputs import BUILD_ARG_HELP, build_arg_option
from msb_tui.commands import EXIT_CANCELLED, EXIT_FAILED, EXIT_NO_ENGINE, EXIT_USAGE, CommandFailed

HELP = "build a Dockerfile on the engine (BuildKit) and print progress and a per-stage summary"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", metavar="PATH", help="the build context folder")
    parser.add_argument("-f", "--file", dest="dockerfile", help="the Dockerfile (default: PATH/Dockerfile)")
    parser.add_argument("--target", help="the stage to build (default: the last one)")
    parser.add_argument("--build-arg", dest="build_args", action="append", default=[], type=build_arg_option,
                        metavar="NAME=VALUE", help=BUILD_ARG_HELP)
    parser.add_argument("--secret-build-arg", dest="secret_build_args", action="append", default=[],
                        type=build_arg_option, metavar="NAME=VALUE",
                        help="set a build arg whose value msb-tui masks in its recording and output (NAME alone: from "
                             "the environment). Args named like credentials (TOKEN, PASSWORD, SECRET, KEY, AUTH, "
                             "...) are masked anyway. Build args stay in the image's history: prefer RUN --mount=type=secret")
    parser.add_argument("--no-cache", action="store_true", help="do not use the build cache")
    parser.add_argument("--pull", action="store_true", help="always try to pull newer base images")
    parser.add_argument("--platform",
                        help="target platform, e.g. linux/amd64; several (linux/amd64,linux/arm64) build one lane "
                             "per stage and platform, through docker buildx (the Engine API builds one platform)")
    parser.add_argument("-t", "--tag", dest="tags", action="append", default=[], metavar="TAG", help="name the image")
    parser.add_argument("--label", dest="labels", action="append", default=[], metavar="K=V", help="add an image label")
    parser.add_argument("--network", help="network mode for RUN steps (none, host, default)")
    parser.add_argument("--backend", default=None, metavar="NAME",
                        help="how to build: engine (BuildKit through the Engine API, the default), classic, or "
                             "buildx (docker buildx build on a builder: see --builder)")
    parser.add_argument("--builder", default=os.environ.get("BUILDX_BUILDER"), metavar="NAME",
                        help="build with docker buildx on this builder (default: BUILDX_BUILDER; any builder "
                             "'docker buildx ls' lists: a BuildKit container, Kubernetes, remote, cloud)")
    parser.add_argument("--classic", action="store_true", help="use the classic builder (same as --backend classic)")
    parser.add_argument("--progress", choices=("plain", "json"), default="plain", help="progress output format")
    parser.add_argument("--host", help="engine address (default: DOCKER_HOST, the docker context, the local socket)")
    parser.add_argument("--no-record", action="store_true", help="do not record the build")
    parser.add_argument("--no-explain", action="store_true",
                        help="do not predict which steps come from the cache, nor explain afterwards why each "
                             "step ran (by default both are printed, compared with the previous recorded build "
                             "of this Dockerfile and target on this engine; see 'msb-tui explain')")


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


def inputs_from_args(args: argparse.Namespace):
    """The ``BuildInputs`` of ``msb-tui build``'s options (``ValueError`` for a malformed one)."""
    from msb_tui.builds.inputs import BuildInputs, parse_build_args, parse_labels

    secret_args = parse_build_args(args.secret_build_args)
    return BuildInputs(
        context=Path(args.path),
        dockerfile=Path(args.dockerfile) if args.dockerfile else None,
        target=args.target,
        build_args={**parse_build_args(args.build_args), **secret_args},
        secret_build_args=tuple(secret_args),
        platform=args.platform,
        no_cache=args.no_cache,
        pull=args.pull,
        tags=tuple(args.tags),
        labels=parse_labels(args.labels),
        network=args.network,
    )


def run(args: argparse.Namespace) -> int:
    from msb_tui.backends import backend_class, open_backend
    from msb_tui.builds.context_files import ContextError, check_dockerfile
    from msb_tui.engine.connection import EngineUnavailable, waiting_notice

    try:
        inputs = inputs_from_args(args)
        if not inputs.context.exists():
            raise ValueError(f"build context not found: {inputs.context}")
        if not inputs.context.is_dir():
            raise ValueError(f"build context is not a folder: {inputs.context}")
        if not inputs.dockerfile_path.is_file():
            raise ValueError(f"Dockerfile not found: {inputs.dockerfile_path}")
        check_dockerfile(inputs.context, inputs.dockerfile)  # before anything reads it (the analysis too)
    except (ValueError, ContextError) as error:
        raise CommandFailed(f"msb-tui build: {error}", EXIT_USAGE) from None
    name = "classic" if args.classic else args.backend or ("buildx" if args.builder else "engine")
    if inputs.dockerfile is not None and name == "engine" and _outside(inputs.dockerfile_path, inputs.context):
        # Measured on 20.10 and 28.5: BuildKit ignores .dockerignore in a tar-uploaded context, so a
        # Dockerfile added to it is visible to `COPY .`. buildx sends the Dockerfile apart from the
        # context (a session), as the docker CLI does: build through it when it is there.
        if args.backend is None and _buildx_there(
                "the Dockerfile is outside the context: building through docker buildx, which "
                "sends it apart from the context (as the docker CLI does), so it cannot end up in "
                "the image"):
            name = "buildx"
        else:
            print("msb-tui build: warning: the Dockerfile is outside the context; it is uploaded "
                  "inside the context as .msb-tui-dockerfile-<hash>, and with the Engine API a "
                  "'COPY .' copies it into the image (docker buildx, or --classic, keeps it out)",
                  file=sys.stderr)
    elif name == "engine" and args.backend is None and "," in (inputs.platform or ""):
        # POST /build takes one platform (28.5.2: '"amd64,linux" is an invalid component'): as
        # `docker build --platform a,b` does, build through buildx when it is there.
        if _buildx_there("several platforms: building through docker buildx (the Engine API "
                         "builds one platform at a time)"):
            name = "buildx"
    try:
        live = backend_class(name).live
    except KeyError as error:
        raise CommandFailed(f"msb-tui build: {error.args[0]}", EXIT_USAGE) from None
    if not live:
        raise CommandFailed(f"msb-tui build: the {name} backend plays builds back; use "
                            "'msb-tui replay' or 'msb-tui import-log'", EXIT_USAGE)
    from msb_tui.backends.buildx import BuildxUnavailable

    options = {"builder": args.builder} if name == "buildx" else {}
    try:
        backend = open_backend(name, host=args.host, record=not args.no_record, on_wait=waiting_notice(args.host),
                               **options)
    except (EngineUnavailable, BuildxUnavailable) as error:
        raise CommandFailed(f"msb-tui build: {error}", EXIT_NO_ENGINE) from None
    from msb_tui.analysis.versions import engine_buildkit

    # The plan is made for the engine's BuildKit (0.8 and current BuildKit run different stages).
    buildkit = engine_buildkit(backend.engine().version)
    analysis = load_analysis(inputs.dockerfile_path, inputs.target, inputs.build_args, inputs.platform, buildkit)
    return run_build(backend, inputs, analysis, progress=args.progress, explain=not args.no_explain)


def _buildx_there(notice: str) -> bool:
    """True, after saying ``notice``, when docker buildx is there to build with."""
    from msb_tui.backends.buildx import BuildxUnavailable, check_buildx

    try:
        check_buildx()
    except BuildxUnavailable:
        return False
    print(f"msb-tui build: {notice}", file=sys.stderr)
    return True


def _outside(dockerfile: Path, context: Path) -> bool:
    return not dockerfile.resolve().is_relative_to(context.resolve())


def run_build(backend, inputs, analysis=None, *, progress: str = "plain", stdout=None, explain: bool = True) -> int:
    """Run one build on ``backend``, printing progress and the summary (with why each step ran,
    unless ``explain`` is False); Ctrl+C cancels it on the engine (exit 130)."""
    from msb_tui.builds.model import BuildModel
    from msb_tui.builds.output import NonBlockingOutput

    check = prepare_cache_check(inputs, backend, analysis) if explain else None
    source = backend.start(inputs)
    if check is not None:
        check.attach(source.recording_path)
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
            source.cancel()

        for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            previous[number] = signal.signal(number, on_interrupt)
    try:
        model = BuildModel(analysis, classic=source.classic)
        recording = str(source.recording_path) if source.recording_path else None
        # A slow reader of our output must not stall the build on the engine (output.py).
        output = closing(NonBlockingOutput(sys.stdout)) if stdout is None else nullcontext(stdout)
        with output as out:
            status = consume(source, model, progress=progress, stdout=out, recording=recording,
                             cache=check)
    except BaseException:
        source.cancel()  # whatever stopped us, the engine stops too
        raise
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    return exit_status(status)


def prepare_cache_check(inputs, backend, analysis):
    """The cache prediction for this build (``msb_tui.cache.check``), or None when it cannot be made
    (said on stderr: the build goes on without it)."""
    from msb_tui.cache.check import CacheCheck

    if getattr(backend, "classic", False):
        return None  # the classic builder numbers and caches its steps its own way: not explained
    try:
        return CacheCheck.prepare(inputs, backend, analysis)
    except Exception as error:  # noqa: BLE001 - the build matters more than its explanation
        print(f"msb-tui build: no cache explanation for this build: {error}", file=sys.stderr)
        return None


def consume(events, model, *, progress: str = "plain", stdout=None, recording: str | None = None,
            cache=None) -> str:
    """Feed events into the model, print progress as it goes and the summary at the end; the final
    status. ``cache``: a ``CacheCheck`` whose prediction is printed first and explanation last."""
    import json

    from msb_tui.builds.events import StreamText
    from msb_tui.builds.report import BufferedWriter, JsonProgress, PlainProgress, summary_json, summary_text

    stream = stdout or sys.stdout
    out = BufferedWriter(stream)
    colours = progress == "plain" and hasattr(stream, "isatty") and stream.isatty()
    printer = JsonProgress(out) if progress == "json" else PlainProgress(out, colours=colours)
    if cache is not None:
        from msb_tui.cache.predict import forecast_json, forecast_text

        out.write(json.dumps(forecast_json(cache.forecast)) + "\n" if progress == "json"
                  else forecast_text(cache.forecast))
    try:
        for event in events:
            changes = model.apply(event)
            if changes or isinstance(event, StreamText):
                printer.handle(event, changes)
                if cache is not None and changes:
                    for message in cache.mismatches(changes):
                        out.write(json.dumps({"type": "cache_mismatch", "message": message}) + "\n"
                                  if progress == "json" else f"cache prediction mismatch: {message}\n")
    finally:
        settle = getattr(stream, "settle", None)
        if settle is not None:
            settle()  # progress may have been dropped for a slow reader; the summary never is
        # Also when the source ends without saying how the build ended: report what we have.
        explanation = None
        if cache is not None:
            try:
                explanation = cache.finish(model)
            except Exception as error:  # noqa: BLE001 - the summary is printed whatever happens
                print(f"msb-tui: no cache explanation: {error}", file=sys.stderr)
        if progress == "json":
            summary = summary_json(model, recording)
            if explanation is not None:
                summary["cache"] = explanation.to_json()
            out.write(json.dumps(summary, ensure_ascii=False) + "\n")
        else:
            out.write(summary_text(model, recording))
            if explanation is not None:
                from msb_tui.cache.explain import explanation_text

                out.write("\n" + explanation_text(explanation))
        out.flush()
    return model.status


def exit_status(status: str) -> int:
    return {"succeeded": 0, "cancelled": EXIT_CANCELLED}.get(status, EXIT_FAILED)
