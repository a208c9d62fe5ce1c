"""docs/plugin_hooks.md must document every hook with the spec's exact signature."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from srs.plugins import PROJECT_NAME, spec

DOC = Path(__file__).resolve().parents[2] / "docs" / "plugin_hooks.md"
_SECTION = re.compile(r"^### (?P<name>\S+)\s*$", re.M)
_CODE = re.compile(r"```python\n(?P<code>.*?)\n```", re.S)


def spec_hooks() -> dict[str, Callable[..., Any]]:
    return {
        name: func
        for name, func in vars(spec).items()
        if name.startswith("srs_") and callable(func) and hasattr(func, f"{PROJECT_NAME}_spec")
    }


def render_signature(func: Callable[..., Any]) -> str:
    """``def name(arg: Ann, ...) -> Ret`` with annotations as written in the source."""
    sig = inspect.signature(func)
    params = ", ".join(f"{p.name}: {p.annotation}" for p in sig.parameters.values())
    return f"def {func.__name__}({params}) -> {sig.return_annotation}"


def documented_hooks(text: str) -> dict[str, tuple[str, str]]:
    """Heading name -> (signature line of its first python block, section text)."""
    sections: dict[str, tuple[str, str]] = {}
    matches = list(_SECTION.finditer(text))
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        body = text[match.end() : end]
        code = _CODE.search(body)
        signature = " ".join(code.group("code").split()) if code else ""
        sections[match.group("name")] = (signature, body)
    return sections


def test_parser_reads_headings_and_signatures() -> None:
    text = "### srs_a\n\n```python\ndef srs_a(x: int)\n    -> None\n```\n\nSummary.\n### srs_b\n"
    found = documented_hooks(text)
    assert {name: signature for name, (signature, _) in found.items()} == {
        "srs_a": "def srs_a(x: int) -> None",
        "srs_b": "",
    }
    assert "Summary." in found["srs_a"][1]


def test_spec_has_the_promised_hooks() -> None:
    promised = {
        "srs_configure", "srs_register_metadata_dialects", "srs_enrich_call_facts",
        "srs_session_started", "srs_session_updated", "srs_session_ended",
        "srs_recording_finalized", "srs_register_storage_backends",
        "srs_register_channel_drivers", "srs_register_api_routes",
        "srs_register_cli_commands", "srs_classify_call", "srs_tick",
    }  # fmt: skip
    assert promised <= set(spec_hooks())


def test_every_hook_is_documented_and_nothing_else() -> None:
    documented = set(documented_hooks(DOC.read_text()))
    hooks = set(spec_hooks())
    assert sorted(hooks - documented) == [], "hooks missing from docs/plugin_hooks.md"
    assert sorted(documented - hooks) == [], (
        "docs/plugin_hooks.md documents hooks that do not exist"
    )


@pytest.mark.parametrize("name", sorted(spec_hooks()))
def test_documented_signature_matches_spec(name: str) -> None:
    signature, body = documented_hooks(DOC.read_text()).get(name, ("", ""))
    assert signature == render_signature(spec_hooks()[name])
    summary = (inspect.getdoc(spec_hooks()[name]) or "").splitlines()[0]
    assert summary in body, f"{name}: the docstring summary line is not in its doc section"


@pytest.mark.parametrize("name", sorted(spec_hooks()))
def test_docstring_follows_template(name: str) -> None:
    func = spec_hooks()[name]
    doc = inspect.getdoc(func) or ""
    params = re.findall(r"^:param (\w+):", doc, re.M)
    assert params == list(inspect.signature(func).parameters), f"{name}: :param lines"
    assert re.search(r"^:return: ", doc, re.M), f"{name}: no :return: line"
    firstresult = bool(getattr(func, f"{PROJECT_NAME}_spec").get("firstresult"))
    expected = ":firstresult: yes." if firstresult else ":firstresult: no."
    assert doc.rstrip().endswith(expected), f"{name}: docstring must end with {expected!r}"
