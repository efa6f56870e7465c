"""Voice model hashes are remembered across runs, and a changed file is hashed again."""

from __future__ import annotations

import hashlib
import os

from audio_builder.speech import digest


def test_a_models_hash_is_remembered_and_a_changed_file_hashed_again(tmp_path, monkeypatch):
    monkeypatch.setenv("AUDIO_BUILDER_CACHE_DIR", str(tmp_path / "cache"))
    model = tmp_path / "voice.onnx"
    model.write_bytes(b"a voice" * 1000)
    want = hashlib.sha256(model.read_bytes()).hexdigest()[:16]
    assert digest.file_digest(model) == want
    memos = list((digest._memo_dir()).glob("*.txt"))
    assert [m.read_text() for m in memos] == [want]

    digest._digest.cache_clear()  # a new run: the memo answers, the file is not read
    real_open = open
    monkeypatch.setattr("builtins.open", lambda *a, **k: (_ for _ in ()).throw(
        AssertionError("hashed again")) if str(a[0]) == str(model) else real_open(*a, **k))
    assert digest.file_digest(model) == want
    monkeypatch.setattr("builtins.open", real_open)

    model.write_bytes(b"another voice")
    os.utime(model, ns=(1, 1))
    digest._digest.cache_clear()
    assert digest.file_digest(model) == hashlib.sha256(b"another voice").hexdigest()[:16]


def test_a_corrupt_memo_is_not_believed(tmp_path, monkeypatch):
    monkeypatch.setenv("AUDIO_BUILDER_CACHE_DIR", str(tmp_path / "cache"))
    model = tmp_path / "voice.onnx"
    model.write_bytes(b"x")
    digest.file_digest(model)
    for memo in digest._memo_dir().glob("*.txt"):
        memo.write_text("not a hash")
    digest._digest.cache_clear()
    assert digest.file_digest(model) == hashlib.sha256(b"x").hexdigest()[:16]
