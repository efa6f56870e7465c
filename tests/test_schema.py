"""The JSON Schema for editors: valid, shipped with the package, and in step with the loader.

The loader (audio_builder/loader.py) stays the final word on what a pose script may say;
these tests check that the schema accepts the shipped scripts, rejects the common
mistakes, and that the loader agrees with the schema on every document in the tables.
"""

from __future__ import annotations

import copy
import importlib.resources
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from conftest import SHIPPED

from audio_builder.errors import ScriptError
from audio_builder.script.loader import load_script

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_PATH = ROOT / "audio_builder" / "schema" / "pose-script.schema.json"
SCRIPTS = SHIPPED

BASE: dict[str, Any] = {
    "title": "Tiny",
    "poses": [{"name": "Rest", "cues": ["Lie down softly."]}],
}


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def validator(schema: dict[str, Any]) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(schema)


def variant(top: dict[str, Any] | None = None, pose: dict[str, Any] | None = None,
            drop: tuple[str, ...] = (), drop_pose: tuple[str, ...] = ()) -> dict[str, Any]:
    """BASE with fields of the script and of its pose set or dropped."""
    doc = copy.deepcopy(BASE)
    doc["poses"][0].update(pose or {})
    for key in drop_pose:
        doc["poses"][0].pop(key, None)
    doc.update(top or {})
    for key in drop:
        doc.pop(key, None)
    return doc


def loader_accepts(doc: dict[str, Any], folder: Path) -> bool:
    path = folder / "script.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    try:
        load_script(path)
    except ScriptError:
        return False
    return True


def test_schema_is_a_valid_draft_2020_12_schema(schema: dict[str, Any]) -> None:
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_schema_is_shipped_as_package_data() -> None:
    resource = importlib.resources.files("audio_builder").joinpath(
        "schema/pose-script.schema.json")
    shipped = json.loads(resource.read_text(encoding="utf-8"))
    assert shipped["title"]
    assert json.loads(SCHEMA_PATH.read_text(encoding="utf-8")) == shipped


def test_every_field_is_described(schema: dict[str, Any]) -> None:
    pose = schema["$defs"]["pose"]["properties"]
    voice = schema["properties"]["voice"]["properties"]
    for fields in (schema["properties"], pose, voice):
        for name, sub in fields.items():
            assert sub.get("description"), f"'{name}' has no description"
    cues = pose["cues"]["description"]
    for marker in ("[pause 3s]", "[breaths 3]", "[hold]", "[chime]", "[chime NAME]",
                   '<break time="3s"/>', "{side}", "{other_side}"):
        assert marker in cues, f"the cues description does not mention {marker}"


@pytest.mark.parametrize("script", SCRIPTS, ids=[p.name for p in SCRIPTS])
def test_shipped_scripts_are_valid(script: Path,
                                   validator: jsonschema.Draft202012Validator) -> None:
    doc = yaml.safe_load(script.read_text(encoding="utf-8"))
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
              for e in validator.iter_errors(doc)]
    assert not errors, errors


def test_there_are_shipped_scripts() -> None:
    assert any(p.name == "deep-psoas-release.yaml" for p in SCRIPTS)


BAD = {
    "unknown top-level key": variant({"tempo": "slow"}),
    "missing title": variant(drop=("title",)),
    "no poses": variant({"poses": []}),
    "pose without cues": variant(drop_pose=("cues",)),
    "pose without name": variant(drop_pose=("name",)),
    "empty cue list": variant(pose={"cues": []}),
    "blank cue": variant(pose={"cues": ["   "]}),
    "cue too long": variant(pose={"cues": ["a" * 2001]}),
    "unknown pose key": variant(pose={"duration": "2m"}),
    "sides up": variant(pose={"sides": ["up"]}),
    "sides twice right": variant(pose={"sides": ["right", "right"]}),
    "three sides": variant(pose={"sides": ["right", "left", "right"]}),
    "speed 3": variant({"voice": {"speed": 3}}),
    "unknown engine": variant({"voice": {"engine": "espeak"}}),
    "unknown voice key": variant({"voice": {"pitch": 2}}),
    "hold abc": variant(pose={"hold": "abc"}),
    "hold zero": variant(pose={"hold": "0s"}),
    "hold three parts": variant(pose={"hold": "1m..2m..3m"}),
    "hold breaths with units": variant(pose={"hold": "1m..2m breaths"}),
    "hold negative number": variant(pose={"hold": -5}),
    "breath in words": variant({"breath": "5 seconds"}),
    "lengths named full": variant({"lengths": {"full": "10m"}}),
    "length name with a digit first": variant({"lengths": {"10min": "10m"}}),
    "length not a duration": variant({"lengths": {"short": "soon"}}),
    "chime path": variant({"chime": "../x"}),
    "pose chime path": variant(pose={"chime": "sounds/bell.wav"}),
    "language word": variant({"language": "english"}),
    "priority fraction": variant(pose={"priority": 1.5}),
    "priority too high": variant(pose={"priority": 2000}),
    "optional maybe": variant(pose={"optional": "maybe"}),
    "switch without sides": variant(pose={"switch": "Change sides."}),
    "switch with one side": variant(pose={"sides": ["right"], "switch": "Change sides."}),
    "switch not text": variant(pose={"sides": ["right", "left"], "switch": ["Change."]}),
    "[hold] without hold": variant(pose={"cues": ["Rest here. [hold]"]}),
    "{side} without sides": variant(pose={"cues": ["Lift your {side} arm."]}),
    "[hold] in intro": variant({"intro": ["Welcome. [hold]"]}),
    "unknown engine say": variant({"voice": {"engine": "say"}}),
    "recording path": variant({"intro": [{"recording": "../welcome"}]}),
    "recording without name": variant({"intro": [{"text": "Welcome."}]}),
    "recording unknown key": variant(pose={"cues": [{"recording": "a", "volume": 2}]}),
    "pronounce empty": variant({"pronounce": {"Savasana": ""}}),
    "pronounce marker": variant({"pronounce": {"Savasana": "[pause 1s]"}}),
    "pronounce word marker": variant({"pronounce": {"{side}": "left"}}),
    "pronounce too long": variant({"pronounce": {"Savasana": "a" * 121}}),
    "pronounce half IPA": variant({"pronounce": {"Savasana": "/ʃəˈvɑːsənə"}}),
    "pronounce a list": variant({"pronounce": ["Savasana"]}),
    "tone unknown key": variant({"tone": {"deny": ["must"]}}),
    "ambience path": variant({"ambience": "../rain"}),
    "ambience too loud": variant({"ambience": {"sound": "rain", "level": -10}}),
    "ambience far too loud": variant({"ambience": {"sound": "rain", "level": -11.5}}),
    "ambience level above 0": variant({"ambience": {"sound": "rain", "level": 3}}),
    "ambience duck too deep": variant({"ambience": {"sound": "rain", "duck": 40}}),
    "ambience without sound": variant({"ambience": {"level": -30}}),
    "ambience unknown key": variant({"ambience": {"sound": "rain", "volume": 3}}),
    "breath split without out": variant({"breath": {"in": "2s"}}),
    "breath split unknown key": variant({"breath": {"in": "2s", "out": "3s", "hold": "1s"}}),
    "breath split in words": variant({"breath": {"in": "two", "out": "3s"}}),
    "pace fast": variant({"pace": "fast"}),
    "pace too slow": variant({"pace": "20wpm"}),
    "pace too quick": variant({"pace": 300}),
    "breath_guide maybe": variant({"breath_guide": "maybe"}),
}

GOOD = {
    "minimal": variant(),
    "hold 2m": variant(pose={"hold": "2m"}),
    "hold range": variant(pose={"hold": "1m..5m"}),
    "hold 4..8 breaths": variant(pose={"hold": "4..8 breaths"}),
    "hold 6 breaths": variant(pose={"hold": "6 breaths"}),
    "hold 90": variant(pose={"hold": 90}),
    "hold 1m30s..3m": variant(pose={"hold": "1m30s..3m"}),
    "breath 5s": variant({"breath": "5s"}),
    "breath 4.5": variant({"breath": 4.5}),
    "everything": variant(
        {"author": "Jane", "description": "A short practice.", "language": "en-GB",
         "voice": {"engine": "gtts", "name": "en", "speed": 0.9}, "breath": "500ms",
         "chime": "none", "lengths": {"short": "10m", "medium_2": "1h"},
         "intro": ["Welcome. [pause 2s] <break time=\"1s\"/> [chime bowl]"],
         "outro": ["Thank you. [breaths 3]"]},
        {"cues": ["Lift your {side} arm. [hold]", "Look to your {other_side}."],
         "hold": "30s..1m", "sides": ["left", "right"], "switch": "Change to the {side}.",
         "optional": True, "priority": 0, "chime": "bowl"}),
    "one side": variant(pose={"sides": ["right"], "cues": ["Lift your {side} arm."]}),
    "a single cue without a list": variant(pose={"cues": "Rest here."}),
    "empty intro": variant({"intro": None}),
    "kokoro voice": variant({"voice": {"engine": "kokoro", "name": "heart"}}),
    "recordings": variant({"intro": [{"recording": "welcome", "text": "Welcome."}, "Hello."],
                           "outro": [{"recording": "thanks"}]},
                          {"cues": ["Rest.", {"recording": "rest_2"}]}),
    "pronounce": variant({"pronounce": {"Savasana": "shah-VAH-sah-nah",
                                        "Baddha Konasana": "/bɑːdə koʊˈnɑːsənə/"}}),
    "tone allow": variant({"tone": {"allow": ["must", "push"]}}),
    "tone allow one": variant({"tone": {"allow": "must"}}),
    "ambience rain": variant({"ambience": "rain"}),
    "ambience none": variant({"ambience": "none"}),
    "ambience mapping": variant({"ambience": {"sound": "ocean", "level": -30, "duck": 8}}),
    "ambience level only": variant({"ambience": {"sound": "rain", "level": -24}}),
    "breath split": variant({"breath": {"in": "2s", "out": "3s"}}),
    "breath guide": variant({"breath_guide": True}, {"hold": "4..8 breaths"}),
    "words-free": variant(pose={"cues": ["[pause 3s] [chime]"], "hold": "6 breaths"}),
    "pace calm": variant({"pace": "calm"}),
    "pace off": variant({"pace": "off"}),
    "pace 140wpm": variant({"pace": "140wpm"}),
    "pace 120": variant({"pace": 120}),
    "ambience loud": variant({"ambience": {"sound": "rain", "level": -12}}),
}


@pytest.mark.parametrize("doc", BAD.values(), ids=BAD.keys())
def test_schema_rejects(doc: dict[str, Any], validator: jsonschema.Draft202012Validator,
                        tmp_path: Path) -> None:
    assert not validator.is_valid(doc)
    assert not loader_accepts(doc, tmp_path), "the loader accepts what the schema rejects"


@pytest.mark.parametrize("doc", GOOD.values(), ids=GOOD.keys())
def test_schema_accepts(doc: dict[str, Any], validator: jsonschema.Draft202012Validator,
                        tmp_path: Path) -> None:
    errors = [e.message for e in validator.iter_errors(doc)]
    assert not errors, errors
    assert loader_accepts(doc, tmp_path), "the loader rejects what the schema accepts"


HOLDS_OK = ["2m", "1m..5m", "4..8 breaths", "6 breaths", "1 breath", "30s..1m30s", "500ms",
            "1.5s", "1h", "45", "30..90", "2.5..4 breaths", "1M..2M", "4..8 Breaths"]
HOLDS_BAD = ["", "abc", "0", "0s", "0..5m", "..5m", "5m..", "1m..2m..3m", "1m1m", "2 minutes",
             "4..8 breths", "1:30", "-1m", "1m30", "m", "breaths", "0 breaths"]


@pytest.mark.parametrize("hold", HOLDS_OK)
def test_hold_pattern_accepts(hold: str, validator: jsonschema.Draft202012Validator,
                              tmp_path: Path) -> None:
    doc = variant(pose={"hold": hold})
    assert validator.is_valid(doc)
    assert loader_accepts(doc, tmp_path)


@pytest.mark.parametrize("hold", HOLDS_BAD)
def test_hold_pattern_rejects(hold: str, validator: jsonschema.Draft202012Validator,
                              tmp_path: Path) -> None:
    doc = variant(pose={"hold": hold})
    assert not validator.is_valid(doc)
    assert not loader_accepts(doc, tmp_path)
