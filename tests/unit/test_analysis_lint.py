"""Lint rules: BuildKit's build-check names where they exist, plus the multi-stage rules."""

from __future__ import annotations

import pytest

from msb_tui.analysis import analyze
from msb_tui.analysis.stage_advice import sdk_kind


def rules(text, **kwargs):
    return [(finding.rule, finding.line) for finding in analyze(text, **kwargs).lint]


def only(text, rule, **kwargs):
    return [line for name, line in rules(text, **kwargs) if name == rule]


def test_clean_multistage_file_has_no_findings():
    text = (
        "ARG GO=golang:1.22\nFROM $GO AS build\nWORKDIR /src\nCOPY go.mod go.sum ./\nRUN go mod download\n"
        "COPY . .\nRUN go build -o /app\nFROM gcr.io/distroless/static:nonroot\nCOPY --from=build /app /app\n"
        'ENTRYPOINT ["/app"]\n'
    )
    assert analyze(text).lint == []


@pytest.mark.parametrize(
    ("text", "rule", "lines"),
    [
        ("FROM scratch AS Build\n", "StageNameCasing", [1]),
        ("FROM scratch as build\n", "FromAsCasing", [1]),
        ("from scratch AS build\n", "FromAsCasing", [1]),
        ("FROM scratch AS a\nFROM scratch AS a\n", "DuplicateStageName", [2]),
        ("FROM scratch AS context\n", "ReservedStageName", [1]),
        ("FROM scratch\nCMD run it\n", "JSONArgsRecommended", [2]),
        ("FROM scratch\nENTRYPOINT run it\n", "JSONArgsRecommended", [2]),
        ("FROM scratch\nMAINTAINER me\n", "MaintainerDeprecated", [2]),
        ("FROM busybox:${TAG}\n", "UndefinedArgInFrom", [1]),
        ("ARG IMG\nFROM ${IMG}\n", "InvalidDefaultArgInFrom", [2]),
        ("ARG GITHUB_TOKEN\nFROM scratch\nENV DB_PASSWORD=x\nARG PUBLIC_KEY\n", "SecretsUsedInArgOrEnv", [1, 3]),
        ("FROM scratch\nARG APITOKEN\n", "SecretsUsedInArgOrEnv", [2]),
        ("FROM scratch\nCMD [\"a\"]\nCMD [\"b\"]\n", "MultipleInstructionsDisallowed", [2]),
        ("FROM scratch\nENV A 1\nLABEL b c\n", "LegacyKeyValueFormat", [2, 3]),
        ("FROM scratch\nWORKDIR app\n", "WorkdirRelativePath", [2]),
        ("FROM scratch AS a\nWORKDIR /a\nFROM a\nWORKDIR b\n", "WorkdirRelativePath", []),
        ("FROM --platform=$TARGETPLATFORM scratch\n", "RedundantTargetPlatform", [1]),
        ("FROM --platform=linux/amd64 scratch AS x\n", "FromPlatformFlagConstDisallowed", [1]),
        ("FROM --platform=linux/amd64 scratch AS build-amd64\n", "FromPlatformFlagConstDisallowed", []),
        ("FROM scratch\nEXPOSE 80/TCP\n", "ExposeProtoCasing", [2]),
        ("FROM scratch\nEXPOSE 8080:80\n", "ExposeInvalidFormat", [2]),
        ("FROM scratch\nrun true\nRUN true\nRUN true\n", "ConsistentInstructionCasing", [2]),
        ("FROM golang:1.22 AS build\nFROM build\n", "SdkImageInFinalStage", [2]),
        ("FROM node:20\n", "SdkImageInFinalStage", [1]),
        ("FROM node:20-slim\n", "SdkImageInFinalStage", []),
        ("FROM mcr.microsoft.com/dotnet/sdk:8.0\n", "SdkImageInFinalStage", [1]),
        ("FROM msb-demo/golang:1.19-bookworm\n", "SdkImageInFinalStage", [1]),
        ("FROM node:20\nWORKDIR /a\nCOPY . .\nRUN npm ci\n", "CacheBustingCopy", [3]),
        ("FROM node:20\nWORKDIR /a\nCOPY package.json .\nRUN npm ci\nCOPY . .\n", "CacheBustingCopy", []),
        ("FROM scratch AS test\nFROM scratch AS final\n", "UnusedStage", [1]),
        ("FROM scratch AS a\nFROM scratch\nCOPY --from=a / /\n", "UnusedStage", []),
        ("FROM busybox\nFROM alpine:latest\nFROM alpine:3.19\nFROM alpine@sha256:" + "a" * 64 + "\n",
         "UnpinnedBaseImage", [1, 2]),
        ("FROM scratch AS build\nFROM scratch\nCOPY --from=bulid /a /a\nCOPY --from=nginx:1.25 /b /b\n",
         "FromUnknownStage", [3]),
        ("FROM scratch\nRUN --mount=from=tools,target=/t true\n", "FromUnknownStage", [2]),
    ],
)
def test_rule(text, rule, lines):
    assert only(text, rule) == lines


def test_sdk_final_stage_follows_the_target():
    text = "FROM golang:1.22 AS build\nFROM scratch AS final\nCOPY --from=build /a /a\n"
    assert only(text, "SdkImageInFinalStage") == []
    assert only(text, "SdkImageInFinalStage", target="build") == [1]


@pytest.mark.parametrize(
    ("ref", "sdk"),
    [
        ("golang:1.22-alpine", True),
        ("docker.io/library/rust:1", True),
        ("maven:3-eclipse-temurin-21", True),
        ("eclipse-temurin:21-jre", False),
        ("eclipse-temurin:21-jdk", True),
        ("python:3.12", True),
        ("python:3.12-slim", False),
        ("alpine:3.19", False),
        ("gcr.io/distroless/static", False),
    ],
)
def test_sdk_pattern_table(ref, sdk):
    assert (sdk_kind(ref) is not None) == sdk


def test_findings_are_sorted_and_carry_a_fix():
    analysis = analyze("FROM scratch\nMAINTAINER me\nFROM busybox AS Odd\n")
    lines = [finding.line for finding in analysis.lint]
    assert lines == sorted(lines)
    assert all(finding.fix for finding in analysis.lint)
    assert {finding.severity for finding in analysis.lint} <= {"error", "warning", "info"}


def test_unknown_stage_typo_is_an_error_with_a_suggestion():
    analysis = analyze("FROM scratch AS build\nFROM scratch\nCOPY --from=bulid /a /a\n")
    finding = next(f for f in analysis.lint if f.rule == "FromUnknownStage")
    assert finding.severity == "error"
    assert "did you mean `build`" in finding.message
    assert analysis.ok  # BuildKit accepts the file; the pull fails at build time
