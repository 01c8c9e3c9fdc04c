"""PDF of an issue, rendered from its Word file by LibreOffice when the machine has it.

The PDF is an extra: the Word file (``docx.issue_docx``) is the document offices exchange.
``issue_pdf`` raises ``PdfUnavailable`` when no LibreOffice binary is installed and
``PdfConversionFailed`` when the conversion fails or runs past its time limit; both carry a
Chinese message for the user and both derive from ``PdfError``, which callers catch to offer the
Word file instead. A failed conversion is logged with LibreOffice's output.

Each conversion runs LibreOffice with a private, throw-away user profile
(``-env:UserInstallation``) in its own temporary directory, so concurrent conversions do not
share or lock each other's profile, and in its own process group, so a conversion that times out
is killed together with the ``soffice.bin`` it started.

Servers seldom have the fonts Chinese offices use (仿宋_GB2312, 方正小标宋简体 …). LibreOffice then
asks fontconfig for a substitute, and an unknown family falls to the default sans font, whose
Chinese glyphs may even come from a Japanese face. Each conversion therefore runs with a small
fontconfig file that includes the system configuration and, for every name of every font role
of the Word export (``xinbao.publishing.docx``), appends a Simplified-Chinese font of the right
kind: a Song-style serif for 宋体, 仿宋 and 楷体, its bold for 小标宋, a sans for 黑体. Appended
fonts only matter when the named font is missing; an installed 仿宋_GB2312 is still used.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

from django.utils.translation import gettext as _

from xinbao.publishing.docx import (
    FANGSONG,
    HEITI,
    KAITI,
    SONGTI,
    XIAOBIAOSONG,
    issue_docx,
)

if TYPE_CHECKING:
    from xinbao.publishing.models import PublicationIssue

logger = logging.getLogger(__name__)

RENDERERS = ("libreoffice", "soffice")
TIMEOUT_SECONDS = 120

# Substitutes for missing Chinese fonts, the first installed one wins (see the docstring).
SERIF_CJK = ("Noto Serif CJK SC", "Source Han Serif SC", "Source Han Serif CN", "AR PL UMing CN")
SANS_CJK = ("Noto Sans CJK SC", "Source Han Sans SC", "Source Han Sans CN", "WenQuanYi Zen Hei")
SUBSTITUTES: tuple[tuple[Sequence[str], Sequence[str], bool], ...] = (
    # (font role, substitutes, bold)
    (XIAOBIAOSONG, SERIF_CJK, True),
    (FANGSONG, SERIF_CJK, False),
    (KAITI, SERIF_CJK, False),
    (SONGTI, SERIF_CJK, False),
    (HEITI, SANS_CJK, False),
)
SYSTEM_FONTCONFIG = Path("/etc/fonts/fonts.conf")


class PdfError(Exception):
    """The PDF cannot be made; ``str(error)`` is the Chinese message to show."""


class PdfUnavailable(PdfError):
    def __init__(self) -> None:
        super().__init__(_("本机未安装 LibreOffice,无法生成 PDF;请下载 Word 文件。"))


class PdfConversionFailed(PdfError):
    def __init__(self) -> None:
        super().__init__(_("PDF 生成失败,请下载 Word 文件;如多次失败,请联系系统管理员。"))


def find_renderer() -> str | None:
    """The path of the LibreOffice binary, or None when none is installed."""
    for name in RENDERERS:
        path = shutil.which(name)
        if path:
            return path
    return None


def pdf_available() -> bool:
    return find_renderer() is not None


def issue_pdf(issue: PublicationIssue, *, timeout: float = TIMEOUT_SECONDS) -> bytes:
    """The issue as PDF, converted from ``issue_docx(issue)``."""
    binary = find_renderer()
    if binary is None:
        raise PdfUnavailable
    return docx_to_pdf(issue_docx(issue), binary=binary, timeout=timeout, label=str(issue.pk))


def docx_to_pdf(
    data: bytes, *, binary: str | None = None, timeout: float = TIMEOUT_SECONDS, label: str = ""
) -> bytes:
    """Convert a Word document to PDF with LibreOffice (``--headless --convert-to pdf``)."""
    binary = binary or find_renderer()
    if binary is None:
        raise PdfUnavailable
    with tempfile.TemporaryDirectory(prefix="xinbao-pdf-") as scratch:
        root = Path(scratch)
        source = root / "issue.docx"
        source.write_bytes(data)
        out_dir = root / "out"
        command = [
            binary,
            f"-env:UserInstallation={(root / 'profile').as_uri()}",
            "--headless",
            "--norestore",
            "--nolockcheck",
            "--nodefault",
            "--convert-to",
            "pdf:writer_pdf_Export",
            "--outdir",
            str(out_dir),
            str(source),
        ]
        # LibreOffice writes caches under $HOME; keep them inside the scratch directory too.
        env = {**os.environ, "HOME": str(root)}
        if SYSTEM_FONTCONFIG.is_file():
            env["FONTCONFIG_FILE"] = str(write_fontconfig(root / "fonts.conf"))
        started = time.monotonic()
        # The command is a fixed argument list with an absolute binary path and our own file
        # names; no shell and no user input are involved.
        process = subprocess.Popen(  # noqa: S603
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=root,
            start_new_session=True,
        )
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(process)
            logger.error(
                "PDF conversion of issue %s timed out after %s s (%s)", label, timeout, binary
            )
            raise PdfConversionFailed from None
        elapsed = time.monotonic() - started
        target = out_dir / "issue.pdf"
        if process.returncode != 0 or not target.is_file():
            logger.error(
                "PDF conversion of issue %s failed (%s, exit %s): %s %s",
                label,
                binary,
                process.returncode,
                stdout.decode(errors="replace").strip(),
                stderr.decode(errors="replace").strip(),
            )
            raise PdfConversionFailed
        pdf = target.read_bytes()
    if not pdf.startswith(b"%PDF"):
        logger.error("PDF conversion of issue %s produced no PDF (%d bytes)", label, len(pdf))
        raise PdfConversionFailed
    logger.info("Converted issue %s to PDF in %.1f s", label, elapsed)
    return pdf


def write_fontconfig(path: Path) -> Path:
    """A fontconfig file: the system configuration plus the substitutes for Chinese fonts.

    A name that several roles list (宋体 is 宋体's own name and 小标宋's last resort) belongs to
    the role that lists it earliest; the rules test only the family that was asked for.
    """
    chosen: dict[str, tuple[int, Sequence[str], bool]] = {}
    for role, substitutes, bold in SUBSTITUTES:
        for rank, name in enumerate(role):
            if name not in chosen or rank < chosen[name][0]:
                chosen[name] = (rank, substitutes, bold)
    rules = []
    for name, (_rank, substitutes, bold) in chosen.items():
        accepted = "".join(f"<string>{escape(s)}</string>" for s in substitutes)
        weight = '<edit name="weight" mode="assign"><const>bold</const></edit>' if bold else ""
        rules.append(
            f'<match target="pattern"><test qual="first" name="family">'
            f"<string>{escape(name)}</string></test>"
            f'<edit name="family" mode="append" binding="strong">{accepted}</edit>{weight}</match>'
        )
    path.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
        + "\n".join(rules)
        + f'\n<include ignore_missing="yes">{escape(str(SYSTEM_FONTCONFIG))}</include>\n'
        + "</fontconfig>\n",
        encoding="utf-8",
    )
    return path


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.communicate()
