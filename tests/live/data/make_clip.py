"""Regenerate clip.mp4, the live suite's test video (committed; this only documents how).

    python -m venv /tmp/ff && /tmp/ff/bin/pip install imageio-ffmpeg
    /tmp/ff/bin/python tests/live/data/make_clip.py

Three seconds of ffmpeg's built-in test pattern, 96x64 at 10 fps, H.264 (baseline, yuv420p,
faststart) without audio: a few KB that any decoder, CI's included, reads.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import imageio_ffmpeg  # type: ignore[import-not-found]

OUT = Path(__file__).with_name("clip.mp4")
ARGS = [
    "-y", "-f", "lavfi", "-i", "testsrc=duration=3:size=96x64:rate=10",
    "-c:v", "libx264", "-profile:v", "baseline", "-pix_fmt", "yuv420p", "-crf", "35",
    "-movflags", "+faststart", "-an", "-map_metadata", "-1", "-fflags", "+bitexact",
]  # fmt: skip


def main() -> None:
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), *ARGS, str(OUT)], check=True)
    print(f"{OUT}: {OUT.stat().st_size} bytes")


if __name__ == "__main__":
    main()
