"""The corpus of Camunda's public example models (tests/models/corpus/), each checked as a
deployment checks it and classified: deployed, refused for the events of the next issue
(timers, messages, signals, escalation, compensation, conditions, event sub-processes),
refused as Camunda's own parser refuses it, or refused for something else; and how many
models each refusal reason blocks.

    python -m tests.model_corpus          # the table, then the reasons by count
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from taskvars.engine.bpmn_xml import BPMN
from taskvars.engine.model_check import inspect_model
from taskvars.engine.model_report import ModelReport

CORPUS = Path(__file__).parent / "models" / "corpus"
DEPLOYED = "deployed"
NEXT_ISSUE = "refused-for-next-issue"
CAMUNDA_REFUSES = "refused-as-camunda-does"
OTHER = "refused-other"
# Problems Camunda's BpmnParse reports for the same model: Camunda refuses it too.
_CAMUNDA_PARSE_ERRORS = (
    re.compile(r"^One of the attributes .* is mandatory on \w+\."),
    re.compile(r"^Missing attribute '\w+' or '\w+'"),
    re.compile(r"^Exclusive Gateway '.*' has outgoing sequence flow '.*' without condition"),
)
# What issue 25 brings: the events a model waits for or throws beyond errors.
_NEXT_ISSUE_DEFINITIONS = frozenset(
    {
        "timerEventDefinition",
        "messageEventDefinition",
        "signalEventDefinition",
        "escalationEventDefinition",
        "compensateEventDefinition",
        "conditionalEventDefinition",
    }
)


@dataclass(frozen=True)
class Checked:
    path: Path
    report: ModelReport
    kind: str
    # It uses the next issue's events (whatever else refuses it).
    next_issue: bool = False


def check_corpus() -> list[Checked]:
    return [_checked(path) for path in sorted(CORPUS.glob("*.bpmn"))]


def _checked(path: Path) -> Checked:
    data = path.read_bytes()
    report = inspect_model(path.name, data)
    if not report.refused:
        kind = DEPLOYED
    elif any(camunda_refuses(error.message) for error in report.errors):
        kind = CAMUNDA_REFUSES
    elif _uses_next_issue_events(data):
        kind = NEXT_ISSUE
    else:
        kind = OTHER
    return Checked(path, report, kind, _uses_next_issue_events(data))


def camunda_refuses(message: str) -> bool:
    """Whether a problem is one Camunda's BpmnParse reports for the same model."""
    return any(pattern.search(message) for pattern in _CAMUNDA_PARSE_ERRORS)


def _uses_next_issue_events(data: bytes) -> bool:
    root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    for element in root.iter(f"{{{BPMN}}}*"):
        name = etree.QName(element).localname
        if name in _NEXT_ISSUE_DEFINITIONS or name == "receiveTask":
            return True
        if name == "subProcess" and element.get("triggeredByEvent") == "true":
            return True
    return False


def reason_kind(message: str) -> str:
    """A refusal reason without what names one element: the kind of problem."""
    general = re.sub(r"\s*\(supported: [^)]*\)", "", message)
    general = re.sub(r"[$#]\{.*\}", "${…}", general)
    general = re.sub(r", found .*$", "", general)
    general = re.sub(r" at position \d+|; see docs/compatibility\.md.*$", "", general)
    general = re.sub(r"'[^']*'|\"[^\"]*\"", "'…'", general)
    return re.sub(r"\s+", " ", general).strip()[:110]


def blocking_reasons(checked: list[Checked]) -> Counter[str]:
    """Per kind of reason, how many refused models it is one of the reasons of."""
    counts: Counter[str] = Counter()
    for model in checked:
        counts.update({reason_kind(error.message) for error in model.report.errors})
    return counts


def sole_reasons(checked: list[Checked]) -> Counter[str]:
    """Per kind of reason, how many refused models it alone refuses (they would deploy
    once it is gone, unless the engine's own check then finds more)."""
    counts: Counter[str] = Counter()
    for model in checked:
        kinds = {reason_kind(error.message) for error in model.report.errors}
        if len(kinds) == 1:
            counts.update(kinds)
    return counts


def table(checked: list[Checked]) -> str:
    lines = []
    for model in checked:
        reasons = "; ".join(
            f"{error.element_id or '-'}: {reason_kind(error.message)}"
            for error in model.report.errors
        )
        lines.append(f"{model.kind:<23} {model.path.name[:70]:<70} {reasons}")
    counts = Counter(model.kind for model in checked)
    lines.append(
        f"{len(checked)} models: "
        + ", ".join(
            f"{kind} {counts[kind]}" for kind in (DEPLOYED, NEXT_ISSUE, CAMUNDA_REFUSES, OTHER)
        )
    )
    lines.append("Reasons, by how many models each blocks (and blocks alone):")
    alone = sole_reasons(checked)
    lines.extend(
        f"{count:>5} {alone[reason]:>4}  {reason}"
        for reason, count in blocking_reasons(checked).most_common()
    )
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(check_corpus()))
