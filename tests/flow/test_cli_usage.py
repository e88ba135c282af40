"""What an operator meets first: usage and settings errors answered at once with one line and
exit 2, --version, help with exit codes, and Japanese messages under a Japanese locale."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from dxplan import cli, i18n

BIN = Path(sys.executable).parent


def _dxplan(*args: str, **env: str) -> tuple[subprocess.CompletedProcess, float]:
    full = {k: v for k, v in os.environ.items() if not k.startswith(("DXPLAN_", "LC_", "LANG"))}
    full.update(env)
    started = time.monotonic()
    proc = subprocess.run([str(BIN / "dxplan"), *args], env=full, capture_output=True,
                          text=True, timeout=60)
    return proc, time.monotonic() - started


def _one_clear_line(proc) -> None:
    assert proc.returncode == cli.EXIT_ERROR, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(("dxplan: error:", "dxplan: エラー:"))


@pytest.mark.parametrize("args, env, says", [
    (("run", "--raw-dir", "/no/such/folder"), {}, "does not exist"),
    (("template", "--year", "2023", "--out", "x.csv", "--warehouse", "/no/wh.duckdb"), {},
     "no published warehouse"),
    (("run", "--raw-dir", "."), {"DXPLAN_MAX_FILE_BYTES": "8MB"}, "DXPLAN_MAX_FILE_BYTES"),
    (("run", "--raw-dir", "."), {"DXPLAN_MAX_FILE_BYTES": "-5"}, "whole number of bytes"),
    (("run", "--raw-dir", "."), {"DXPLAN_LOCK_TIMEOUT": "soon"}, "DXPLAN_LOCK_TIMEOUT"),
    (("run", "--raw-dir", "."), {"DXPLAN_NOTIFY_URL": "not a url"}, "DXPLAN_NOTIFY_URL"),
    (("check", "x.txt", "--warehouse", "/no/wh.duckdb"), {}, "no published warehouse"),
    (("serve", "--timezone", "Mars/Olympus"), {}, "time zone"),
    (("serve", "--cron", "every day"), {}, "DXPLAN_CRON"),
], ids=["raw-missing", "template-no-warehouse", "size-with-unit", "negative-size", "bad-timeout", "bad-notify-url",
        "check-no-warehouse", "bad-timezone", "bad-cron"])
def test_usage_errors_are_one_line_exit_2_and_fast(tmp_path, args, env, says):
    proc, seconds = _dxplan(*args, **env)
    _one_clear_line(proc)
    assert says in proc.stderr
    assert seconds < 3, f"took {seconds:.1f} s"


def test_unwritable_warehouse_folder(tmp_path):
    (tmp_path / "raw").mkdir()
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    proc, _ = _dxplan("run", "--raw-dir", str(tmp_path / "raw"),
                      "--warehouse", str(blocker / "wh" / "dxplan.duckdb"))
    _one_clear_line(proc)
    assert "cannot be written" in proc.stderr


def test_a_byte_count_is_read(monkeypatch):
    from dxplan.settings import load_settings

    monkeypatch.setenv("DXPLAN_MAX_FILE_BYTES", "8388608")
    assert load_settings().max_file_bytes == 8 * 1024 * 1024


def test_version_and_help():
    proc, _ = _dxplan("--version")
    assert proc.returncode == 0 and proc.stdout.startswith("dxplan ")
    proc, _ = _dxplan("run", "--help")
    assert proc.returncode == 0
    for text in ("exit codes:", "75", "DXPLAN_WAREHOUSE", "examples:", "dxplan check"):
        assert text in proc.stdout
    assert "``" not in proc.stdout


def test_japanese_under_a_japanese_locale():
    proc, _ = _dxplan("run", "--raw-dir", "/no/such/folder", LANG="ja_JP.UTF-8")
    _one_clear_line(proc)
    assert "取込フォルダ" in proc.stderr
    proc, _ = _dxplan("run", "--raw-dir", "/no/such/folder", LANG="ja_JP.UTF-8",
                      LC_ALL="C.UTF-8")  # a container's C locale names no language
    assert "取込フォルダ" in proc.stderr
    proc, _ = _dxplan("--lang", "en", "run", "--raw-dir", "/no/such/folder", LANG="ja_JP.UTF-8")
    assert "does not exist" in proc.stderr


@pytest.mark.parametrize("env, lang", [
    ({}, "en"), ({"LANG": "ja_JP.UTF-8"}, "ja"), ({"LANG": "en_US.UTF-8"}, "en"),
    ({"LC_ALL": "ja_JP.eucJP", "LANG": "en_US.UTF-8"}, "ja"),
    ({"LC_ALL": "C", "LANG": "ja_JP.UTF-8"}, "ja"), ({"DXPLAN_LANG": "ja"}, "ja"),
])
def test_language_detection(env, lang):
    assert i18n.detect_lang(env) == lang


def test_every_message_has_both_languages_and_the_same_fields():
    import string

    for key, entry in i18n.catalog().items():
        assert set(entry) == {"en", "ja"}, key
        fields = [{f for _, f, _, _ in string.Formatter().parse(entry[lang]) if f}
                  for lang in ("en", "ja")]
        assert fields[0] == fields[1], key


def test_a_files_outcome_is_kept_in_english_and_said_in_the_users_language(tmp_path, capsys):
    """dxplan.load keeps the English message for the audit and the message key for the
    CLI, so a rejected file's reason is said in Japanese too, not translated after the fact."""
    from dataclasses import asdict
    from datetime import datetime

    from dxplan import cli
    from dxplan.load import REJECTED, FileResult

    result = FileResult(source_path=str(tmp_path / "r.txt"), sha256="0" * 64, status=REJECTED,
                        started_at=datetime.now()).settled(
        REJECTED, "msg.cannot_read", file="r.txt", reason="no report title")
    assert result.message == "cannot read r.txt: no report title"
    summary = {"counts": {"published": 0, "unchanged": 0, "rejected": 1}, "seconds": 1.0,
               "warehouse": "w.duckdb", "files": [asdict(result)]}
    try:
        i18n.set_lang("ja")
        cli._print_summary(summary)
    finally:
        i18n.set_lang(None)
    err = capsys.readouterr().err
    assert "r.txt を読み取れません: no report title" in err
