"""Every visible string is translatable, and the Chinese catalogue is complete."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"
# Words that read the same in both languages (formats and product names).
SAME_IN_EVERY_LANGUAGE = {"CSV", "XLSX", "JSON", "ONNX", "API", "htmx", "npz", "MiB", "GiB"}

DJANGO_BLOCKS = [
    re.compile(r"{%\s*comment\s*%}.*?{%\s*endcomment\s*%}", re.S),
    re.compile(r"{%\s*blocktranslate.*?{%\s*endblocktranslate\s*%}", re.S),
    re.compile(r"{#.*?#}", re.S),
    re.compile(r"{%.*?%}", re.S),
    re.compile(r"{{.*?}}", re.S),
    re.compile(r"<(script|style)\b.*?</\1>", re.S | re.I),
]
ATTRIBUTES = re.compile(r'\b(title|placeholder|aria-label|alt)="([^"]*)"', re.I)


def untranslated(source: str) -> list[str]:
    """Literal words a reader would see that are not inside a translation tag."""
    for pattern in DJANGO_BLOCKS:
        source = pattern.sub(" ", source)
    found = [value for _name, value in ATTRIBUTES.findall(source)]
    found += re.split(r"<[^>]*>", source)
    words = []
    for chunk in found:
        text = " ".join(chunk.split())
        letters = [w for w in re.findall(r"[A-Za-z][A-Za-z'’-]+", text)]
        if [w for w in letters if w not in SAME_IN_EVERY_LANGUAGE]:
            words.append(text)
    return words


def test_it_finds_an_unmarked_string():
    assert untranslated("<p>Hello there</p>") == ["Hello there"]
    assert untranslated('<p title="Delete row">{% translate "x" %}</p>') == ["Delete row"]
    assert untranslated("<p>{% translate 'Hello' %} {{ name }}</p><td>CSV</td>") == []


@pytest.mark.parametrize(
    "template", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: str(p.relative_to(TEMPLATES))
)
def test_every_template_marks_its_strings_for_translation(template):
    assert untranslated(template.read_text()) == []


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="gettext tools are not installed")
def test_the_chinese_catalogue_is_complete_for_the_current_source(tmp_path):
    """Collect the strings of a copy of the source and check every one is translated."""
    copy = tmp_path / "src"
    ignore = shutil.ignore_patterns(".venv", "var", ".git", "node_modules", "*.so", "build")
    shutil.copytree(ROOT, copy, ignore=ignore)
    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "makemessages",
            "-l",
            "zh_Hans",
            "--no-obsolete",
            "--ignore",
            ".venv",
            "--ignore",
            "var",
            "--ignore",
            "tests",
            "--ignore",
            "bench",
        ],
        cwd=copy,
        check=True,
        capture_output=True,
        text=True,
    )
    po = copy / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(po)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "untranslated" not in result.stderr and "fuzzy" not in result.stderr, result.stderr
