"""Output profiles: how every layout is finished for its destination.

* ``screen``: tagged PDF/UA-1 for reading on screen and with assistive
  technology (the default);
* ``print``: PDF/X-4 for a print shop, 3 mm bleed, a CMYK output intent and,
  on request, crop marks outside the bleed;
* ``archive``: PDF/A-3a (PDF/A with the accessibility structure of
  conformance level A) for the clinic's records.
"""

from __future__ import annotations

from dataclasses import dataclass

BLEED_MM = 3.0
# Crop marks sit in a slug outside the bleed: they start this far from the
# bleed edge and run this long, so no mark ever touches the printed area.
MARK_OFFSET_MM = 2.0
MARK_LENGTH_MM = 6.0
SLUG_MM = MARK_OFFSET_MM + MARK_LENGTH_MM + 2.0


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    pdf_variant: str | None  # None: a plain PDF that claims no standard
    bleed_mm: float = 0.0
    # A CMYK output intent from the project's ICC profile (PDF/X).
    cmyk_intent: bool = False
    # PDF/A and PDF/X carry an output intent; PDF/UA and PDF/A-a a structure tree.
    needs_output_intent: bool = False
    needs_structure: bool = False
    # Byte-identical output for identical input, on any machine and time zone.
    reproducible: bool = True

    def suffix(self, default: str) -> str:
        """The part of the output name that tells profiles apart ('' for the default)."""
        return "" if self.name == default else f".{self.name}"


PROFILES: dict[str, Profile] = {
    profile.name: profile
    for profile in (
        Profile("screen", "tagged PDF/UA-1 for screens and assistive technology", "pdf/ua-1",
                needs_structure=True),
        Profile("print", "PDF/X-4 with 3 mm bleed and a CMYK output intent, for print shops", "pdf/x-4",
                bleed_mm=BLEED_MM, cmyk_intent=True, needs_output_intent=True),
        Profile("archive", "PDF/A-3a (archival, with accessibility structure)", "pdf/a-3a",
                needs_output_intent=True, needs_structure=True),
    )
}
DEFAULT_PROFILE = "screen"
