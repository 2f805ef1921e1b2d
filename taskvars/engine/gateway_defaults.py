"""An exclusive gateway's flows without a condition, as Camunda's ``BpmnParse`` reads
them (``parseExclusiveGatewayConditionalFlows``):

- a default flow with a condition is an error;
- with a default flow, or with more than one flow without a condition, each flow without
  a condition (other than the default) is an error;
- a single flow without a condition and no default flow is taken as the default flow,
  with a warning ("bad modeling practice").

SpiffWorkflow refuses the last case, so the engine is handed a copy of the model where
that flow is the gateway's ``default``.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from taskvars.engine.bpmn_xml import BPMN


@dataclass(frozen=True)
class Finding:
    """An error or a warning about ``flow`` (a sequence flow) of ``gateway_id``."""

    flow: etree._Element
    gateway_id: str
    message: str
    is_error: bool


def gateway_findings(process: etree._Element) -> list[Finding]:
    """Camunda's errors and warnings on the exclusive gateways of ``process``, in the
    model's order."""
    findings: list[Finding] = []
    for gateway, flows, default in _gateways(process):
        gateway_id = gateway.get("id", "")
        without_condition = []
        for flow in flows:
            has_condition = flow.find(f"{{{BPMN}}}conditionExpression") is not None
            is_default = flow.get("id") == default
            if not has_condition and not is_default:
                without_condition.append(flow)
            if has_condition and is_default:
                message = (
                    f"Exclusive Gateway '{gateway_id}' has outgoing sequence flow "
                    f"'{flow.get('id')}' which is the default flow but has a condition too."
                )
                findings.append(Finding(flow, gateway_id, message, is_error=True))
        if default is not None or len(without_condition) > 1:
            findings.extend(
                Finding(
                    flow,
                    gateway_id,
                    f"Exclusive Gateway '{gateway_id}' has outgoing sequence flow "
                    f"'{flow.get('id')}' without condition which is not the default flow.",
                    is_error=True,
                )
                for flow in without_condition
            )
        elif len(without_condition) == 1:
            (flow,) = without_condition
            message = (
                f"Exclusive Gateway '{gateway_id}' has outgoing sequence flow "
                f"'{flow.get('id')}' without condition which is not the default flow. We "
                "assume it to be the default flow, but it is bad modeling practice, better "
                "set the default flow in your gateway."
            )
            findings.append(Finding(flow, gateway_id, message, is_error=False))
    return findings


def with_assumed_defaults(root: etree._Element) -> None:
    """Makes, in place, the one flow without a condition of a gateway without a default
    flow its default, as Camunda assumes it (see the module docstring)."""
    for process in root.iter(f"{{{BPMN}}}process"):
        for finding in gateway_findings(process):
            if not finding.is_error:
                gateway = next(
                    gateway
                    for gateway, _, _ in _gateways(process)
                    if gateway.get("id") == finding.gateway_id
                )
                gateway.set("default", str(finding.flow.get("id")))


def _gateways(
    process: etree._Element,
) -> list[tuple[etree._Element, list[etree._Element], str | None]]:
    """Each exclusive gateway of ``process`` (sub-processes included), its outgoing
    flows in the model's order, and its default flow's id."""
    flows_from: dict[str, list[etree._Element]] = {}
    for flow in process.iter(f"{{{BPMN}}}sequenceFlow"):
        flows_from.setdefault(flow.get("sourceRef", ""), []).append(flow)
    return [
        (gateway, flows_from.get(gateway.get("id", ""), []), gateway.get("default"))
        for gateway in process.iter(f"{{{BPMN}}}exclusiveGateway")
    ]
