"""The cache check around one build: predict before it is sent, explain once it ended, keep both.

Used by ``msb-tui build`` and the app alike::

    check = CacheCheck.prepare(inputs, backend, analysis)   # before backend.start(inputs)
    source = backend.start(inputs); check.attach(source.recording_path)
    ... the build runs into a BuildModel ...
    explanation = check.finish(model)                        # saved next to the recording
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from msb_tui.cache import record as records
from msb_tui.cache.explain import CacheExplanation, explain
from msb_tui.cache.predict import Forecast, predict


@dataclass
class CacheCheck:
    record: records.CacheRecord
    manifest: object | None
    forecast: Forecast
    explanation: CacheExplanation | None = None

    @classmethod
    def prepare(cls, inputs, backend, analysis=None, *, folder: Path | None = None) -> CacheCheck:
        """Gather this build's cache inputs and predict it against the previous recorded build.
        Reads the context (checksums, reusing the previous manifest's for unchanged files) and asks
        the engine for its base images' ids."""
        from msb_tui.analysis.versions import engine_buildkit
        from msb_tui.cache.manifest import make_manifest

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
