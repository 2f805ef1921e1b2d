// A generated form (camunda:formData) read from the deployed model's XML, as the server
// reads it: a user task's or a start event's fields, their values and constraints, and
// the values a submit-form request sends for them. No rendering here.
const BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL";
// The server reads Activiti's extension namespace as Camunda's; so does the page.
const CAMUNDA = new Set(["http://camunda.org/schema/1.0/bpmn", "http://activiti.org/bpmn"]);

const bpmnChildren = (element, name) =>
  [...element.children].filter((child) => child.namespaceURI === BPMN && child.localName === name);
const camundaChildren = (element, name) =>
  element
    ? [...element.children].filter((child) => CAMUNDA.has(child.namespaceURI) && child.localName === name)
    : [];

function readField(element) {
  const [validation] = camundaChildren(element, "validation");
  return {
    id: element.getAttribute("id"),
    label: element.getAttribute("label") || element.getAttribute("id"),
    type: element.getAttribute("type") || "string",
    datePattern: element.getAttribute("datePattern") || "dd/MM/yyyy", // Camunda's default
    defaultValue: element.getAttribute("defaultValue"),
    options: camundaChildren(element, "value").map((value) => ({
      id: value.getAttribute("id"),
      name: value.getAttribute("name") || value.getAttribute("id"),
    })),
    constraints: camundaChildren(validation, "constraint").map((constraint) => ({
      name: constraint.getAttribute("name"),
      config: constraint.getAttribute("config"),
    })),
  };
}

/** The form of one flow element: its fields and the id of its business-key field (or null). */
function readForm(element) {
  const [extensions] = bpmnChildren(element, "extensionElements");
  const [formData] = camundaChildren(extensions, "formData");
  if (!formData) return null;
  return {
    fields: camundaChildren(formData, "formField").map(readField),
    businessKeyField: formData.getAttribute("businessKey"),
  };
}

const parse = (xml) => new DOMParser().parseFromString(xml, "application/xml");
const withId = (elements, id) => [...elements].find((element) => element.getAttribute("id") === id);

/** The generated form of user task ``taskKey`` in the BPMN ``xml``, or null where it has none. */
export function readTaskForm(xml, taskKey) {
  const userTask = withId(parse(xml).getElementsByTagNameNS(BPMN, "userTask"), taskKey);
  const form = userTask ? readForm(userTask) : null;
  return form && { ...form, businessKeyField: null }; // only a start form's counts
}

/** The generated start form of process ``processKey`` in the BPMN ``xml``, or null where it has none. */
export function readStartForm(xml, processKey) {
  const process = withId(parse(xml).getElementsByTagNameNS(BPMN, "process"), processKey);
  const forms = process ? bpmnChildren(process, "startEvent").map(readForm) : [];
  return forms.find(Boolean) ?? null;
}

/** Whether a field is one whose value the server refuses to take. */
export const isReadOnly = (field) => field.constraints.some((constraint) => constraint.name === "readonly");

export const isRequired = (field) => field.constraints.some((constraint) => constraint.name === "required");

const CONSTRAINT_TEXT = {
  required: () => "required",
  readonly: () => "read-only",
  minlength: (config) => `at least ${config} characters`,
  maxlength: (config) => `at most ${config} characters`,
  min: (config) => `at least ${config}`,
  max: (config) => `less than ${config}`, // Camunda's max is strict
  validator: (config) => `checked by ${config}`,
};

const describeConstraint = ({ name, config }) =>
  CONSTRAINT_TEXT[name]?.(config) ?? `checked by ${config ? `${name} (${config})` : name}`;

/** What people should know of a field of ``form``: "required, at least 1". */
export function describeField(field, form) {
  const parts = field.constraints.map(describeConstraint);
  if (field.type === "date") parts.push(`as ${field.datePattern}`);
  if (field.id === form.businessKeyField) parts.push("the instance's business key");
  return parts.join(", ");
}

/** What the input shows first: the value form-variables gives, as text (a checkbox: a boolean). */
export function initialValue(field, formVariables) {
  const value = formVariables[field.id]?.value;
  if (field.type === "boolean") return value === true;
  return value === null || value === undefined ? "" : String(value);
}

const WHOLE_NUMBER = /^[+-]?\d+$/;

/** One field's typed value for submit-form, or undefined to leave the field out. */
function typedValue(field, value) {
  if (field.type === "boolean") return { value, type: "Boolean" };
  const text = value.trim();
  if (text === "") return undefined; // not submitted: the server applies the default and `required`
  // Text that is no whole number goes as typed: the server's message says what is wrong.
  if (field.type === "long") {
    const number = Number(text);
    return { value: WHOLE_NUMBER.test(text) && Number.isSafeInteger(number) ? number : value, type: "Long" };
  }
  return { value, type: "String" };
}

/**
 * What submit-form takes from the values typed (``values``: field id -> text or boolean):
 * each field's typed value, and the business-key field's value apart.
 */
export function submission(form, values) {
  const variables = {};
  for (const field of form.fields) {
    if (field.id === form.businessKeyField || isReadOnly(field)) continue;
    const typed = typedValue(field, values[field.id]);
    if (typed) variables[field.id] = typed;
  }
  return { variables, businessKey: form.businessKeyField ? values[form.businessKeyField] : undefined };
}

const FIELD_ERROR = /Invalid value submitted for form field '([^']*)'/;

/**
 * A refusal that names a field of ``form`` (Camunda's FormFieldValidationException, told by
 * its message): that field's id and the message from there on, without the operation the
 * server prefixes it with; else null.
 */
export function fieldError(error, form) {
  const message = error?.message || "";
  const match = FIELD_ERROR.exec(message);
  if (!match || !form.fields.some((field) => field.id === match[1])) return null;
  return { field: match[1], message: message.slice(match.index) };
}
