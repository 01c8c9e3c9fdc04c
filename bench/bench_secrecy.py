"""Benchmark: the 保密 self-check scan and the zip-bomb guard (no database).

Scans an item body of ``--paragraphs`` paragraphs (each about 220 characters with one mobile
number) with the default term list, and refuses a docx-like zip whose document part unpacks to
``--bomb-mib`` MiB of zeros. Prints the time per scan (mean of ``--repeat``) and the refusal time.

    .venv/bin/python bench/bench_secrecy.py --paragraphs 50 --bomb-mib 120
"""

from __future__ import annotations

import argparse
import io
import os
import time
import zipfile


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--paragraphs", type=int, default=50)
    parser.add_argument("--bomb-mib", type=int, default=120)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xinbao.settings")
    import django

    django.setup()
    from xinbao.items.secrecy import DEFAULT_TERMS, scan
    from xinbao.uploads import UploadRefused, check_zip

    line = "今年以来,甲镇坚持把党员教育作为基层组织建设的基础工程,联系电话13812345678。" * 5
    body = [line] * args.paragraphs
    started = time.perf_counter()
    for _ in range(args.repeat):
        findings = scan(body, source="正文", terms=DEFAULT_TERMS)
    per_scan = (time.perf_counter() - started) / args.repeat * 1000
    chars = sum(map(len, body))
    print(f"secrecy scan: {chars} chars, {len(findings)} findings, {per_scan:.2f} ms per scan")

    out = io.BytesIO()
    archive = zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED)
    with archive, archive.open("word/document.xml", "w", force_zip64=True) as handle:
        for _ in range(args.bomb_mib):
            handle.write(b"\0" * 2**20)
    data = out.getvalue()
    started = time.perf_counter()
    try:
        check_zip(data)
        verdict = "accepted"
    except UploadRefused as refused:
        verdict = str(refused)
    elapsed = (time.perf_counter() - started) * 1000
    print(
        f"zip bomb: {len(data)} bytes packed, {args.bomb_mib} MiB unpacked, "
        f"{elapsed:.2f} ms: {verdict}"
    )


if __name__ == "__main__":
    main()
