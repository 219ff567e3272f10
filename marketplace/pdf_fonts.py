"""A Unicode font for the PDFs the co-op writes (dividend statements, licence certificates).

fpdf2's built-in fonts (Helvetica...) draw Latin-1 only: French accents fit, but "€", the
minus sign and the narrow no-break space Babel puts in French numbers (U+202F) do not. Every
PDF embeds Debian's DejaVu Sans instead (package ``fonts-dejavu-core``, installed by
``make pdf-fonts``), so any language's text is drawn as it is written.
"""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF

FAMILY = "DejaVu"

# Where Debian (and most Linux distributions) put DejaVu Sans; the first that holds it wins.
FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/share/fonts/TTF"),
)
_STYLES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}


class MissingFontError(RuntimeError):
    """DejaVu Sans is not installed: the PDF cannot draw text outside Latin-1."""


def font_dir() -> Path:
    for folder in FONT_DIRS:
        if all((folder / name).is_file() for name in _STYLES.values()):
            return folder
    raise MissingFontError(
        "DejaVu Sans is not installed (looked in "
        + ", ".join(str(folder) for folder in FONT_DIRS)
        + "): run `make pdf-fonts` or `apt-get install fonts-dejavu-core`."
    )


def unicode_pdf(**options: object) -> FPDF:
    """A new ``FPDF(**options)`` with DejaVu Sans (regular and ``"B"`` bold) added as
    :data:`FAMILY` and selected; use ``pdf.set_font(FAMILY, style, size)`` afterwards."""
    pdf = FPDF(**options)  # type: ignore[arg-type]
    folder = font_dir()
    for style, name in _STYLES.items():
        pdf.add_font(FAMILY, style, str(folder / name))
    pdf.set_font(FAMILY, "", 10)
    return pdf
