"""What sounds between the words, as the command line may change it: the bed
(`--ambience NAME|none`) and the breath guide (`--breath-guide`), applied to the Script
before anything is planned, so `plan`, `check` and `render` agree."""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..errors import ScriptError, Where
from ..script.markers import SOUND_NAME
from ..script.model import Ambience, Script


@dataclass(frozen=True)
class Between:
    """Command-line overrides of the script's ambience and breath guide."""

    ambience: str | None = None
    """A bed's name, 'none' for no bed; None keeps the script's."""
    breath_guide: bool | None = None
    """True turns the guide on; None keeps the script's."""


def apply(script: Script, between: Between) -> Script:
    """The script with the command line's choices; the script's level and duck are kept
    when only the bed's name changes."""
    if between.ambience is not None:
        name = between.ambience.strip()
        if name.lower() == "none":
            script = replace(script, ambience=None)
        elif not SOUND_NAME.fullmatch(name):
            raise ScriptError(f"--ambience {name}: a bed is named (letters, digits, '-' or "
                              "'_'), never given as a path", Where(script.path))
        else:
            old = script.ambience or Ambience(name)
            script = replace(script, ambience=Ambience(name, old.level_lu, old.duck_db))
    if between.breath_guide is not None:
        script = replace(script, breath_guide=between.breath_guide)
    return script
