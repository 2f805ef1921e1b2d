"""The forms a model declares on its start event and user tasks, as Camunda parses them
(``BpmnParse.parseFormDefinition``, ``DefaultFormHandler.parseFormData``, ``FormTypes``):

- ``camunda:formKey`` (an expression), or ``camunda:formRef`` with ``camunda:formRefBinding``
  (``deployment``, ``latest`` or ``version``) and, for ``version``, ``camunda:formRefVersion``;
  not both;
- generated form fields, ``camunda:formData`` / ``camunda:formField`` (id, type, label,
  default value, ``camunda:properties``, ``camunda:validation`` constraints, enum values)
  in the element's extension elements, on start events and user tasks; the form's
  ``businessKey`` field. Their values and submission: :mod:`taskvars.engine.form_values`.

Nothing here is evaluated: expressions are compiled (and refused outside the subset) at
deployment and evaluated by whoever asks for the form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from taskvars.engine.bpmn_xml import BPMN, CAMUNDA
from taskvars.engine.expressions import ExpressionError, compile_expression

# DefaultFormHandler.ALLOWED_FORM_REF_BINDINGS
FORM_REF_BINDINGS = ("deployment", "latest", "version")
# FormTypes as the engine registers them; ``date`` without a pattern is "dd/MM/yyyy".
FIELD_TYPES = ("string", "long", "boolean", "date", "enum")
DEFAULT_DATE_PATTERN = "dd/MM/yyyy"
# ProcessEngineConfigurationImpl.initFormFieldValidators: the built-in constraints; a
# ``validator`` constraint names a Java class or an expression (FormValidators).
BUILT_IN_VALIDATORS = ("required", "readonly", "minlength", "maxlength", "min", "max")
CUSTOM_VALIDATOR = "validator"
# SimpleDateFormat letters this server formats, and their strftime codes.
_DATE_LETTERS = {
    "yyyy": "%Y",
    "yy": "%y",
    "MM": "%m",
    "dd": "%d",
    "HH": "%H",
    "mm": "%M",
    "ss": "%S",
}
_DATE_PATTERN_PART = re.compile(r"yyyy|yy|MM|dd|HH|mm|ss|'[^']*'|[A-Za-z]|[^A-Za-z']+")


class FormDeclarationError(ValueError):
    """A form declaration Camunda's parser refuses; the message is its error."""


@dataclass(frozen=True)
class FormRef:
    """``camunda:formRef`` as written: the key and version may be expressions."""

    key: str
    binding: str
    version: str | None


@dataclass(frozen=True)
class Constraint:
    """``camunda:constraint``: a built-in validator's name and its ``config``, or
    ``validator`` with a Java class name or an expression as ``config``."""

    name: str
    config: str | None = None

    def __str__(self) -> str:
        # FormFieldValidationConstraintHandler.toString, as its messages show it.
        return self.name if self.config is None else f"{self.name}({self.config})"


@dataclass(frozen=True)
class FormField:
    """A generated form's field: ``camunda:formField``."""

    id: str
    type: str
    default: str | None  # an expression or plain text, as written
    date_pattern: str = DEFAULT_DATE_PATTERN
    enum_values: tuple[str, ...] = ()
    label: str | None = None  # an expression or plain text, as written
    properties: tuple[tuple[str, str | None], ...] = ()
    constraints: tuple[Constraint, ...] = ()
    enum_names: tuple[str | None, ...] = ()


@dataclass(frozen=True)
class FormDeclaration:
    form_key: str | None = None
    form_ref: FormRef | None = None
    fields: tuple[FormField, ...] = ()
    # ``camunda:formData businessKey``: the field holding the business key, which a
    # submission writes as a plain variable, unvalidated (DefaultFormHandler).
    business_key_field: str | None = None


def form_declaration(element: etree._Element, *, with_fields: bool) -> FormDeclaration:
    """The form ``element`` declares; :class:`FormDeclarationError` with Camunda's
    message for what its parser refuses."""
    form_key = element.get(f"{{{CAMUNDA}}}formKey")
    form_ref_key = element.get(f"{{{CAMUNDA}}}formRef")
    if form_key is not None and form_ref_key is not None:
        raise FormDeclarationError(
            "Invalid element definition: only one of the attributes formKey and formRef is allowed."
        )
    form_ref = None
    if form_ref_key is not None:
        binding = element.get(f"{{{CAMUNDA}}}formRefBinding")
        if binding not in FORM_REF_BINDINGS:
            raise FormDeclarationError(
                "Invalid element definition: value for formRefBinding attribute has to be one "
                f"of [deployment, latest, version] but was {binding}"
            )
        version = element.get(f"{{{CAMUNDA}}}formRefVersion") if binding == "version" else None
        form_ref = FormRef(form_ref_key, binding, version)
    for source in (form_key, form_ref_key, form_ref.version if form_ref else None):
        _compile(source)
    fields = _fields(element) if with_fields else ()
    business_key = _business_key_field(element) if with_fields else None
    return FormDeclaration(form_key, form_ref, fields, business_key)


def task_forms(root: etree._Element) -> dict[str, FormDeclaration]:
    """The generated forms of a deployed file's user tasks (its parsed root), by element
    id; tasks without form fields are left out."""
    forms = {}
    for element in root.iter(f"{{{BPMN}}}userTask"):
        form = form_declaration(element, with_fields=True)
        if form.fields:
            forms[str(element.get("id"))] = form
    return forms


def format_date(value: datetime, pattern: str) -> str:
    """``value`` as Java's ``SimpleDateFormat(pattern)`` writes it."""
    return value.strftime(_strftime(pattern))


def parse_date(text: str, pattern: str) -> datetime:
    """``text`` read with ``pattern``; ValueError when it does not fit."""
    return datetime.strptime(text.strip(), _strftime(pattern))


def _fields(element: etree._Element) -> tuple[FormField, ...]:
    fields = []
    for form_data in element.iterfind(f"./{{{BPMN}}}extensionElements/{{{CAMUNDA}}}formData"):
        for field in form_data.iterchildren(f"{{{CAMUNDA}}}formField"):
            fields.append(form_field(field))
    return tuple(fields)


def _business_key_field(element: etree._Element) -> str | None:
    form_data = element.find(f"./{{{BPMN}}}extensionElements/{{{CAMUNDA}}}formData")
    return None if form_data is None else form_data.get("businessKey")


def form_field(field: etree._Element) -> FormField:
    """A ``camunda:formField``; :class:`FormDeclarationError` with Camunda's message for
    what its parser refuses (DefaultFormHandler.parseFormField)."""
    field_id = field.get("id")
    if not field_id:
        raise FormDeclarationError(
            "attribute id must be set for FormFieldGroup and must have a non-empty value"
        )
    field_type = field.get("type")
    if field_type is None:
        raise FormDeclarationError("form field must have a 'type' attribute")
    if field_type not in FIELD_TYPES:
        raise FormDeclarationError(f"unknown type '{field_type}'")
    default = field.get("defaultValue")
    _compile(default)
    date_pattern = field.get("datePattern") or DEFAULT_DATE_PATTERN
    if field_type == "date":
        _strftime(date_pattern)
    enum_values = list(field.iterchildren(f"{{{CAMUNDA}}}value"))
    label = field.get("label")
    _compile(label)
    return FormField(
        field_id,
        field_type,
        default,
        date_pattern,
        tuple(str(value.get("id")) for value in enum_values),
        label,
        _properties(field),
        _constraints(field),
        tuple(value.get("name") for value in enum_values),
    )


def _properties(field: etree._Element) -> tuple[tuple[str, str | None], ...]:
    """``camunda:properties`` in the order written; a repeated id keeps its first place
    and its last value, as Java's LinkedHashMap does."""
    found: dict[str, str | None] = {}
    for properties in field.iterchildren(f"{{{CAMUNDA}}}properties"):
        for prop in properties.iterchildren(f"{{{CAMUNDA}}}property"):
            found[str(prop.get("id"))] = prop.get("value")
    return tuple(found.items())


def _constraints(field: etree._Element) -> tuple[Constraint, ...]:
    """``camunda:validation``'s constraints; FormValidators.createValidator's refusals."""
    constraints = []
    for validation in field.iterchildren(f"{{{CAMUNDA}}}validation"):
        for constraint in validation.iterchildren(f"{{{CAMUNDA}}}constraint"):
            name = constraint.get("name")
            config = constraint.get("config")
            if name == CUSTOM_VALIDATOR:
                if not config:
                    raise FormDeclarationError(
                        "validator configuration needs to provide either a fully qualified "
                        "classname or an expression resolving to a custom FormFieldValidator "
                        "implementation."
                    )
                if is_expression(config):
                    _compile(config)
            elif name not in BUILT_IN_VALIDATORS:
                raise FormDeclarationError(
                    f"Cannot find validator implementation for name '{name}'."
                )
            constraints.append(Constraint(str(name), config))
    return tuple(constraints)


def is_expression(text: str) -> bool:
    """StringUtil.isExpression: ``${`` or ``#{`` at the start."""
    return text.strip().startswith(("${", "#{"))


def _compile(source: str | None) -> None:
    if source is None:
        return
    try:
        compile_expression(source)
    except ExpressionError as error:
        raise FormDeclarationError(str(error)) from None


def _strftime(pattern: str) -> str:
    """A SimpleDateFormat pattern as strftime's; refused beyond years, months, days,
    hours, minutes and seconds."""
    parts = []
    for match in _DATE_PATTERN_PART.finditer(pattern):
        part = match.group()
        if part in _DATE_LETTERS:
            parts.append(_DATE_LETTERS[part])
        elif part.startswith("'"):
            parts.append(part[1:-1].replace("%", "%%") or "'")
        elif part.isalpha():
            raise FormDeclarationError(
                f"date pattern '{pattern}': '{part}' is not supported "
                "(supported: yyyy, yy, MM, dd, HH, mm, ss)"
            )
        else:
            parts.append(part.replace("%", "%%"))
    return "".join(parts)
