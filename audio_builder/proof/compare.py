"""Written words against heard words: both normalised (case, punctuation, apostrophes,
hyphens), aligned word by word (difflib), with the written words that differ marked."""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


def normal(text: str) -> list[str]:
    """The words of a text, lower case, apostrophes straight, hyphens as spaces."""
    return [w.replace("’", "'") for w in _WORD.findall(text.lower().replace("-", " "))]


@dataclass(frozen=True)
class Comparison:
    written: str
    heard: str
    errors: int
    """Word edits from the written words to the heard ones (substitutions, insertions,
    deletions): the numerator of the word error rate."""
    words: int
    marked: str
    """The written text with each word heard otherwise in [brackets]."""
    missed: tuple[str, ...]
    """The written words heard otherwise, as written."""

    @property
    def wer(self) -> float:
        return self.errors / max(1, self.words)


def compare(written: str, heard: str) -> Comparison:
    tokens = list(_WORD.finditer(written.replace("-", " ")))
    a = [(w, n) for n, t in enumerate(tokens) for w in normal(t.group())]
    b = normal(heard)
    matcher = SequenceMatcher(a=[w for w, _ in a], b=b, autojunk=False)
    errors, wrong = 0, set[int]()
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal" or (op == "replace" and "".join(w for w, _ in a[i1:i2])
                             == "".join(b[j1:j2])):
            continue  # the same letters, spaced otherwise: any time, anytime
        errors += max(i2 - i1, j2 - j1)
        wrong.update(a[i][1] for i in range(i1, i2))
        if i1 == i2 and a:  # a word heard that was never written: mark where it came
            wrong.add(a[min(i1, len(a) - 1)][1])
    marked, last = [], 0
    for n, t in enumerate(tokens):
        marked.append(written[last:t.start()])
        marked.append(f"[{written[t.start():t.end()]}]" if n in wrong
                      else written[t.start():t.end()])
        last = t.end()
    marked.append(written[last:])
    return Comparison(written, heard, errors, len(a), "".join(marked),
                      tuple(tokens[n].group() for n in sorted(wrong)))
