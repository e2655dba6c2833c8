"""The certificate of attendance: one landscape A4 page per attendee of a topic's CPD session.

Not built by `leafpress build`: `leafpress certificates TOPIC --roster FILE`
makes one per roster row (see :mod:`leafpress.runner.certificates`).
"""

from __future__ import annotations

from ..base import Layout, PageRules
from .cpd import CPD_DATA

LAYOUT = Layout(
    name="certificate",
    description="certificate of attendance for each attendee of the CPD session (A4 landscape, from a roster)",
    template="certificate.html.j2",
    stylesheets=("fonts/fonts-world.css", "certificate.css"),
    audience="educators",
    data=(CPD_DATA,),
    page=PageRules(max_pages=1),
    batch=False,
    order=90,
)

LAYOUTS = (LAYOUT,)
