"""Disposition pages: request from the case page, approve, the keeper executes by scanning, the record (处置清单).

* custody.web.dispositions.pages: the lists and one page per disposition with the step the user may take now;
* custody.web.dispositions.case_form: the case page's section with the request form, and where it posts;
* custody.web.dispositions.execute: the keeper's page that scans the items out and executes;
* custody.web.dispositions.messages: the services' refusals as sentences in the reader's language.

The public verification of a record is custody/web/verify/records.py, under /verify/<number>.
"""

from __future__ import annotations

from custody.web.dispositions import case_form, execute, pages
from custody.web.dispositions.blueprint import bp
from custody.web.dispositions.case_form import CaseSection, case_section

__all__ = ["CaseSection", "bp", "case_form", "case_section", "execute", "pages"]
