"""Building blocks of response models (the shapes ``/openapi.json`` documents).

Most answers are built as dicts by a domain's ``*_to_api`` function; a response model describes that
dict and FastAPI validates the dict against it before sending. :class:`Out` refuses keys it does not
name, so a field added to a dict but not to its model fails loudly in the tests (a 500) instead of
vanishing from the answer or going undocumented.

Instants are already formatted by the dicts (``isoformat()``, with ``+00:00``): typed as ``datetime``
they would be re-serialised with ``Z``, so they stay strings here, documented as ``date-time``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field


class Out(BaseModel):
    """A response model: exactly the keys it names."""

    model_config = ConfigDict(extra="forbid")


#: An ISO 8601 instant with its offset, as the dicts write it (``2030-03-04T10:00:00+00:00``).
Instant = Annotated[str, Field(json_schema_extra={"format": "date-time"})]
#: A calendar date (``2030-03-04``); a name of its own so that a field may be called ``date``.
Day = Annotated[dt.date, Field(examples=["2030-03-04"])]
#: A local time of day, ``HH:MM``.
ClockTime = Annotated[str, Field(pattern=r"^\d{2}:\d{2}$", examples=["15:00"])]
#: An exact decimal written as a string (``"20.00"``, ``"1.15"``, ``"4.5"``).
DecimalText = Annotated[str, Field(pattern=r"^-?\d+(\.\d+)?$", examples=["20.00"])]
