"""The cache check around one build: predict before it is sent, explain once it ended, keep both.

Used by ``msb-tui build`` and the app alike::

    check = CacheCheck.prepare(inputs, backend, analysis)   # before backend.start(inputs)
    source = backend.start(inputs); check.attach(source.recording_path)
    ... the build runs into a BuildModel ...
    explanation = check.finish(model)                        # saved next to the recording
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from msb_tui.analysis.versions import engine_buildkit
from msb_tui.builds.changes import StepChanged
from msb_tui.builds.runs import State
from msb_tui.cache import record as records
from msb_tui.cache.explain import CacheExplanation, explain, model_step_id, surprise
from msb_tui.cache.manifest import make_manifest
from msb_tui.cache.predict import Forecast, predict


@dataclass
class CacheCheck:
    record: records.CacheRecord
    manifest: object | None
    forecast: Forecast
    explanation: CacheExplanation | None = None
    _judged: set[str] = field(default_factory=set, repr=False)

    @classmethod
    def prepare(cls, inputs, backend, analysis=None, *, folder: Path | None = None) -> CacheCheck:
        """Gather this build's cache inputs and predict it against the previous recorded build.
        Reads the context (checksums, reusing the previous manifest's for unchanged files) and asks
        the engine for its base images' ids."""
        engine = backend.engine()
        buildkit = engine_buildkit(engine.version) if engine.version else None
        text = (inputs.read_dockerfile() or b"").decode("utf-8", errors="replace")
        if analysis is None:
            analysis = inputs.analyze(text, lint=False)
        record = records.CacheRecord(
            dockerfile=str(inputs.dockerfile_path.resolve()),
            target=inputs.target,
            target_stage=analysis.target_name,
            engine=records.engine_identity(backend),
            dockerfile_text=text,
            no_cache=inputs.no_cache,
            platform=inputs.platform,
            started=time.time(),
        )
        previous = records.find_previous(record, folder)
        record.build_args = records.kept_args(inputs.build_args, inputs.secret_build_args, previous)
        record.bases = {stage.display_name: stage.base.ref for stage in analysis.stages if stage.base.kind == "image"}
        client = getattr(backend, "client", None)
        refs = [*record.bases.values(), *analysis.externals]
        record.images = records.image_ids(client, refs) if client is not None else {}
        previous_manifest = records.load_manifest(previous.recording) if previous else None
        manifest = make_manifest(inputs.context, inputs.dockerfile, previous=previous_manifest)
        forecast = predict(record, manifest, previous, previous_manifest, buildkit=buildkit)
        if client is None:
            forecast.notes.append(f"the {backend.name} backend does not say which base images it has: "
                                  "base image changes are seen by name only")
        return cls(record, manifest, forecast)

    def attach(self, recording_path: Path | None) -> None:
        """Keep the record (and the context manifest) next to the build's recording."""
        if recording_path is None:
            return
        self.record.recording = str(recording_path)
        try:
            records.save(self.record, self.manifest)
        except OSError as error:
            self.forecast.notes.append(f"could not keep the cache record: {error}")

    def finish(self, model) -> CacheExplanation:
        """The explanation of the ended build (also kept in its record)."""
        self.explanation = explain(self.forecast, model)
        self.record.outcome = str(model.status)
        self.record.explanation = self.explanation.to_json()
        if self.record.recording:
            try:
                records.save(self.record)
            except OSError as error:
                self.explanation.notes.append(f"could not keep the explanation: {error}")
        return self.explanation

    def mismatches(self, changes) -> list[str]:
        """As steps end during the build, those that BuildKit did otherwise than predicted (each said
        once, as the plan-vs-solve check says a stage ran that the plan skips)."""
        found = []
        for change in changes:
            if not isinstance(change, StepChanged) or not change.step.state.finished:
                continue
            step = change.step
            id_ = model_step_id(step)
            if id_ is None or id_ in self._judged or id_ not in self._judge:
                continue
            self._judged.add(id_)
            message = surprise(f"[{step.stage} {step.position}]", self.forecast.predicted[id_],
                               step.state != State.CACHED)
            if message is not None:
                found.append(message)
        return found

    @cached_property
    def _judge(self) -> set[str]:
        """The steps a prediction is checked for (a FROM is reported done in every build: not judged)."""
        return {facts.id for facts in self.forecast.steps if facts.kind != "from"}
