"""Joining a model from chunk packages: real package metadata, real files, real processes.

The part packages here are small distributions written into a temp folder on
``sys.path`` (a dist-info with METADATA, and the data file), found the way the real
Qwen parts are: through importlib.metadata, never imported. The real 0.5B join is the
``qwen_model`` session fixture, checked at the end.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from coder.errors import ModelError
from coder.models import pypi_parts
from coder.models.pypi_parts import PartedFile, PartPackage


def _write_distribution(site: Path, name: str, version: str, data: bytes) -> PartPackage:
    module = name.replace("-", "_")
    info = site / f"{module}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (site / module / "data").mkdir(parents=True)
    (site / module / "__init__.py").write_text("raise RuntimeError('a part package must never be imported')\n")
    (site / module / "data" / "part.bin").write_bytes(data)
    return PartPackage(name, version, f"{module}/data/part.bin", len(data), hashlib.sha256(data).hexdigest())


@pytest.fixture
def parted(tmp_path, monkeypatch):
    site = tmp_path / "site"
    chunks = [bytes([n]) * (3_000_000 + n) for n in range(1, 4)]
    parts = tuple(_write_distribution(site, f"coder-test-part{n}", "1.0", chunk) for n, chunk in enumerate(chunks, 1))
    monkeypatch.syspath_prepend(str(site))
    whole = b"".join(chunks)
    return site, PartedFile(parts, len(whole), hashlib.sha256(whole).hexdigest()), whole


def test_join_verifies_and_is_done_once(parted, tmp_path):
    _, model, whole = parted
    target = tmp_path / "models" / "m.gguf"
    assert pypi_parts.parts_installed(model)
    assert pypi_parts.join(model, target, install_hint="hint") == target
    assert target.read_bytes() == whole and pypi_parts.is_joined(target)
    stamp = target.stat().st_mtime_ns
    pypi_parts.join(model, target, install_hint="hint")
    assert target.stat().st_mtime_ns == stamp  # verified already: not joined again
    assert not list(target.parent.glob("*.part"))
    # Readable like any file the user writes, and nothing but the model and its marker left.
    assert target.stat().st_mode & 0o777 == 0o644
    assert sorted(p.name for p in target.parent.iterdir()) == ["m.gguf", "m.verified.json"]


def _fails_with(model, target, pattern):
    with pytest.raises(ModelError, match=pattern) as raised:
        pypi_parts.join(model, target, install_hint="run `coder model install m`")
    assert "\n" not in raised.value.message
    assert not target.exists() and not list(target.parent.glob("*.part"))  # nothing half-written
    return raised.value.message


def test_missing_part_names_the_package_and_the_fix(parted, tmp_path):
    site, model, _ = parted
    import shutil

    shutil.rmtree(site / "coder_test_part2-1.0.dist-info")
    message = _fails_with(model, tmp_path / "m.gguf", "coder-test-part2==1.0 is not installed")
    assert "coder model install m" in message and not pypi_parts.parts_installed(model)


def test_truncated_part_names_the_package(parted, tmp_path):
    site, model, _ = parted
    data = site / "coder_test_part3" / "data" / "part.bin"
    data.write_bytes(data.read_bytes()[:1000])
    message = _fails_with(model, tmp_path / "m.gguf", r"coder-test-part3==1.0: .* has 1000 bytes")
    assert "pip install --force-reinstall coder-test-part3==1.0" in message


def test_altered_part_names_the_package(parted, tmp_path):
    site, model, _ = parted
    data = site / "coder_test_part1" / "data" / "part.bin"
    altered = bytearray(data.read_bytes())
    altered[12345] ^= 0xFF
    data.write_bytes(bytes(altered))
    _fails_with(model, tmp_path / "m.gguf", r"coder-test-part1==1\.0: .* does not match its published SHA-256")


def test_whole_file_hash_is_checked_too(parted, tmp_path):
    _, model, _ = parted
    wrong = PartedFile(model.parts, model.size, "0" * 64)
    _fails_with(wrong, tmp_path / "m.gguf", "not the published")


def test_wrong_version_is_refused(parted, tmp_path):
    _, model, _ = parted
    first = model.parts[0]
    other = PartedFile((PartPackage(first.distribution, "2.0", first.file, first.size, first.sha256),) + model.parts[1:],
                       model.size, model.sha256)
    _fails_with(other, tmp_path / "m.gguf", "is version 1.0, the model needs 2.0")


def test_two_processes_joining_at_once_end_with_one_verified_file(parted, tmp_path):
    site, model, whole = parted
    target = tmp_path / "models" / "m.gguf"
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(site)!r})
        from pathlib import Path
        from coder.models.pypi_parts import PartedFile, PartPackage, join
        parts = tuple(PartPackage(*p) for p in {[tuple(p.__dict__.values()) for p in model.parts]!r})
        join(PartedFile(parts, {model.size}, {model.sha256!r}), Path({str(target)!r}), install_hint="x")
        print("ok")
    """)
    runs = [subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)]
    results = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], results
    assert target.read_bytes() == whole and pypi_parts.is_joined(target)
    assert json.loads(target.with_suffix(".verified.json").read_text())["sha256"] == model.sha256
    assert not list(target.parent.glob("*.part"))


def test_the_real_default_model_joins_to_the_published_file(qwen_model):
    from coder.models.registry import QWEN_05B_INSTRUCT

    assert qwen_model.stat().st_size == QWEN_05B_INSTRUCT.size_bytes
    stamp = json.loads(qwen_model.with_suffix(".verified.json").read_text())
    assert stamp["sha256"] == QWEN_05B_INSTRUCT.sha256 == "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
    with qwen_model.open("rb") as handle:
        assert handle.read(4) == b"GGUF"
