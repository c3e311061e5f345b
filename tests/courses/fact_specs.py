"""Fact specs for tests that need a catalogue without reading content/facts.yaml."""

import datetime as dt
import re
from decimal import Decimal

from courses.facts import FactSpec, Pattern


def fact_spec(**overrides) -> FactSpec:
    """The Lambda timeout fact (900 s, matching "15 minutes", "15mn", "900s" ...)."""
    fields = dict(
        key="lambda.timeout.max",
        label="Maximum Lambda timeout",
        service="lambda",
        value=Decimal(900),
        unit="s",
        display="900 seconds (15 minutes)",
        since="",
        verified=dt.date(2026, 11, 22),
        reference="https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html",
        note="",
        patterns=[
            Pattern(re.compile(r"(?P<value>\d+)\s*(?P<unit>minutes?|mins?|mn|s)\b", re.I), "", 1)
        ],
    )
    fields.update(overrides)
    return FactSpec(**fields)


def memory_fact_spec() -> FactSpec:
    return fact_spec(
        key="lambda.memory.max",
        label="Maximum Lambda memory",
        value=Decimal(10240),
        unit="MB",
        display="10,240 MB (10 GB)",
        since="December 2020",
        reference="https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html",
        patterns=[Pattern(re.compile(r"(?P<value>\d+)\s*(?P<unit>GB)\b", re.I), "", 1)],
    )
